/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the library's event side (lib/progress.c) fed arbitrary
 * event-ring contents, producer index and recvq bytes, with receives of
 * every shape posted.  The daemon is trusted more than a guest is, but a
 * bad event must never make the library write outside a buffer, crash or
 * loop.  Built as a libFuzzer target with -DMYRIXEN_FUZZ=ON; otherwise a
 * main() runs a fixed-seed batch of random inputs as a unit test.
 */
#include <stdlib.h>
#include <string.h>
#include "area.h"

static char rbuf[4][70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_endpoint *ep = ta_endpoint();
	mx_segment_t segs[3] = { { rbuf[0], 10 }, { rbuf[1], 0 }, { rbuf[2], 70000 } };
	mx_request_t req[4];
	uint32_t slots, prod, i, n, res;
	uint8_t *recvq;

	if (!ep)
		return 0;
	mx_irecv(ep, segs, 1, 0, 0, NULL, &req[0]);             /* tiny buffer */
	mx_irecv(ep, segs, 3, 0, 0, NULL, &req[1]);             /* vector */
	mx_irecv(ep, &segs[1], 1, 0, 0, NULL, &req[2]);         /* empty */
	mx_irecv(ep, &segs[2], 1, 0x5, 0xff, NULL, &req[3]);    /* masked */
	/* the first 4 KiB of input (if any) lands in the recvq */
	recvq = (uint8_t *)ep->t.area + ep->lay.recvq_off;
	n = size > 4096 ? 4096 : (uint32_t)size;
	memcpy(recvq, data, n);
	slots = mxn_ring_slots(&ep->evt);
	prod = 0;
	while (size >= sizeof(struct mxn_evt)) {
		for (i = 0; i < slots && size >= sizeof(struct mxn_evt); i++) {
			memcpy(&ep->evt_slots[prod & (slots - 1)], data, sizeof(struct mxn_evt));
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
	for (i = 0; i < 4; i++)
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
			}
		}
		buf[0] = it % 7 ? buf[0] : 0xff;
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
