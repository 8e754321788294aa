/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the library's event side (lib/progress.c) fed arbitrary
 * event-ring contents, producer index and recvq bytes, with receives of
 * every shape posted.  The daemon is trusted more than a guest is, but a
 * bad event must never make the library write outside a buffer, crash or
 * loop.  A staged pull is in flight throughout, so MXN_EVT_PULL_DATA
 * (lib/staged.c) gets its offsets and lengths checked against a real pull:
 * a PULL_DATA whose cookie is 0 names it.  Built as a libFuzzer target with -DMYRIXEN_FUZZ=ON; otherwise a
 * main() runs a fixed-seed batch of random inputs as a unit test.
 */
#include <stdlib.h>
#include <string.h>
#include "area.h"

static char rbuf[4][70000];

/* A 70000-byte rendezvous taken by a receive of its own, pulled staged
 * (the daemon's part played here): the PULL's cookie, or 0. */
static uint64_t staged_pull(struct mx_endpoint *ep, mx_segment_t *seg, mx_request_t *req)
{
	struct mxn_evt e = ta_arrival(MXN_EVT_RECV_RNDV, 0x77, 70000);
	struct mxn_cmd c;

	ep->pull_staged = true;
	if (mx_irecv(ep, seg, 1, 0x77, MX_MATCH_MASK_NONE, NULL, req) != MX_SUCCESS)
		return 0;
	e.u.rndv.rndv_handle = 1;
	ta_put_evt(ep, &e);
	mxl_progress(ep);
	while (ta_take_cmd(ep, &c))
		if (c.op == MXN_CMD_PULL)
			return c.cookie;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_endpoint *ep = ta_endpoint();
	mx_segment_t segs[4] = { { rbuf[0], 10 }, { rbuf[1], 0 }, { rbuf[2], 70000 },
				 { rbuf[3], 70000 } };
	mx_request_t req[5];
	uint32_t slots, prod, i, n, res;
	uint64_t pull_cookie;
	uint8_t *recvq;

	if (!ep)
		return 0;
	/* first, before the receives that match anything */
	pull_cookie = staged_pull(ep, &segs[3], &req[4]);
	mx_irecv(ep, segs, 1, 0, 0, NULL, &req[0]);             /* tiny buffer */
	mx_irecv(ep, segs, 3, 0, 0, NULL, &req[1]);             /* vector */
	mx_irecv(ep, &segs[1], 1, 0, 0, NULL, &req[2]);         /* empty */
	mx_irecv(ep, &segs[2], 1, 0x5, 0xff, NULL, &req[3]);    /* masked */
	/* the first 4 KiB of input (if any) lands in the recvq */
	recvq = (uint8_t *)ep->t.area + ep->lay.recvq_off;
	n = size > 4096 ? 4096 : (uint32_t)size;
	memcpy(recvq, data, n);
	slots = mxn_ring_slots(&ep->evt);
	prod = atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->prod), memory_order_relaxed);
	while (size >= sizeof(struct mxn_evt)) {
		for (i = 0; i < slots && size >= sizeof(struct mxn_evt); i++) {
			struct mxn_evt *e = &ep->evt_slots[prod & (slots - 1)];

			memcpy(e, data, sizeof(struct mxn_evt));
			if (e->type == MXN_EVT_PULL_DATA && !e->u.data.cookie)
				e->u.data.cookie = pull_cookie;
			data += sizeof(struct mxn_evt);
			size -= sizeof(struct mxn_evt);
			prod++;
		}
		/* occasionally a hostile producer index */
		if (size >= 4 && data[0] == 0xff) {
			uint32_t p;

			memcpy(&p, data, 4);
			prod = p;
			data += 4;
			size -= 4;
		}
		atomic_store_explicit(MXN_ATOMIC(&ep->evt.ctl->prod), prod, memory_order_release);
		mxl_progress(ep);
		if (ep->dead)
			break;
	}
	for (i = 0; i < 5; i++)
		if (req[i])
			mx_test(ep, &req[i], NULL, &res);
	mxl_endpoint_close(ep);
	return 0;
}

#ifndef MXL_FUZZING
/* Deterministic batch: random events plus structured ones that hit the
 * interesting types with plausible fields. */
int main(void)
{
	static uint8_t buf[64 * 40 + 64];
	uint32_t seed = 1, it, i;

	for (it = 0; it < 3000; it++) {
		size_t n = 64 * (1 + it % 40);

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		for (i = 0; i + 64 <= n; i += 64) {
			struct mxn_evt *e = (struct mxn_evt *)(void *)&buf[i];

			if (it & 1) {
				e->type = (uint8_t)(e->type % (MXN_EVT_TYPE_MAX + 1));
				e->length %= 80000;
				e->u.q.off %= 70000;
				if (e->type == MXN_EVT_SEND_DONE || e->type == MXN_EVT_PULL_DONE)
					e->u.done.cookie = (1ull << 32) | (e->u.done.cookie & 3);
				/* mostly the staged pull's, with offsets near the bounds */
				if (e->type == MXN_EVT_PULL_DATA) {
					e->u.data.cookie = e->u.data.cookie & 1 ? e->u.data.cookie : 0;
					e->u.data.msg_offset %= 72000;
					e->u.data.off %= 66000;
				}
			}
		}
		buf[0] = it % 7 ? buf[0] : 0xff;
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
