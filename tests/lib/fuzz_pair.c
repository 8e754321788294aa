/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the receiving side of a pair channel (lib/pair.c) with a
 * hostile peer.  The input becomes the peer's slots, data queue, producer
 * index and consumer index of our direction, interleaved with daemon-path
 * events from that peer whose pair_seq asks the library to catch up on the
 * channel, and with the check before sleeping (prod against the slot,
 * pair.h "Trust"), rendezvous announcements and FINs included.  A slot's seq is taken raw or, by its two low bits,
 * stamped as written, as the previous lap's or as never written, so every
 * case of the slot rule is reached; prod lies within 24 of our cons on
 * either side (the ring is 16).  Whatever the peer writes, the library must not read or write
 * outside the channel or a buffer, crash, loop, or stall the event ring: a
 * broken channel is cut off and the events go on.  Built as a libFuzzer
 * target with -DMYRIXEN_FUZZ=ON; otherwise a main() runs a fixed-seed batch
 * as a unit test.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "area.h"

#define PEER_EP 7u
#define PEER_SESSION 0x5e55u
#define ORDER 4u
#define DATA (64u * 1024u)

static char rbuf[3][70000];

static size_t take(const uint8_t **data, size_t *size, void *dst, size_t n)
{
	n = n < *size ? n : *size;
	memcpy(dst, *data, n);
	*data += n;
	*size -= n;
	return n;
}

/* One daemon-path arrival from the peer, claiming 'seq' channel messages
 * before it. */
static void peer_event(struct mx_endpoint *ep, uint16_t seq, uint32_t *prod)
{
	struct mxn_evt e = { .type = MXN_EVT_RECV_TINY, .length = 4, .src_peer = MXN_PEER_SELF,
			     .src_endpoint = PEER_EP, .src_session = PEER_SESSION,
			     .pair_seq = seq };

	memcpy(&ep->evt_slots[*prod & ep->evt.mask], &e, sizeof(e));
	(*prod)++;
	atomic_store_explicit(MXN_ATOMIC(&ep->evt.ctl->prod), *prod, memory_order_release);
}

/* The seq of each of the first n slots as its two low bits say: 0 raw,
 * 1 written (the rule's for the index the consumer reaches it at), 2 the
 * previous lap's, 3 never written. */
static void stamp(struct mxl_pair *p, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++) {
		uint32_t idx = p->rx.cons_pvt + ((j - p->rx.cons_pvt) & p->rx.mask);
		uint32_t *seq = &p->rx_slots[j].seq;

		switch (*seq & 3u) {
		case 1: *seq = mxn_pair_seq_of(idx); break;
		case 2: *seq = mxn_pair_seq_of(idx - (p->rx.mask + 1u)); break;
		case 3: *seq = 0; break;
		default: break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_endpoint *ep = ta_endpoint();
	mx_segment_t segs[3] = { { rbuf[0], 10 }, { rbuf[1], 40 }, { rbuf[2], 70000 } };
	struct mxl_pair *p;
	uint32_t evt_prod = 0, idx[2];
	mx_request_t req[3];
	uint16_t seq;
	uint32_t res;

	if (!ep)
		return 0;
	p = ta_pair(ep, ORDER, DATA, 1, PEER_EP, PEER_SESSION);
	if (!p) {
		mxl_endpoint_close(ep);
		return 0;
	}
	/* We take the peer's rendezvous (pair.h "Rendezvous"), reading
	 * "its" segments from ourselves: a copy fails or moves bytes of our
	 * own into a receive buffer, and the FIN goes back; its identity fds
	 * are none, so the check after each read fails. */
	p->proc = true;
	p->peer_pid = getpid();
	for (int i = 0; i < 3; i++)
		mx_irecv(ep, &segs[i], 1, 0, 0, NULL, &req[i]);
	/* the first 256 bytes (if any) are the data queue's head: short
	 * inputs (libFuzzer's default max_len is 4096) reach the slots */
	take(&data, &size, p->rx_data, 256);
	while (size >= sizeof(struct mxn_pair_slot) && !ep->dead) {
		uint32_t n = (1u << ORDER) < size / sizeof(struct mxn_pair_slot)
				     ? (1u << ORDER) : (uint32_t)(size / sizeof(struct mxn_pair_slot));

		take(&data, &size, p->rx_slots, n * sizeof(struct mxn_pair_slot));
		stamp(p, n);
		/* the peer's indices: ours to consume, and its cons of our direction */
		if (take(&data, &size, idx, sizeof(idx)) < sizeof(idx))
			break;
		atomic_store_explicit(MXN_ATOMIC(&p->rx.ctl->prod), p->rx.cons_pvt + idx[0] % 48 - 24,
				      memory_order_release);
		atomic_store_explicit(MXN_ATOMIC(&p->tx.ctl->cons), idx[1], memory_order_release);
		if (take(&data, &size, &seq, sizeof(seq)) == sizeof(seq) && (seq & 1))
			peer_event(ep, seq >> 1, &evt_prod);
		mxl_progress(ep);
		if (!ep->npairs)
			break; /* cut off: nothing more to read */
		if (idx[0] & 0x100) { /* about to sleep: the arm's check, then awake again */
			(void)mxl_pair_arm(ep, idx[0] & 0x200);
			mxl_pair_disarm(ep);
		}
	}
	for (int i = 0; i < 3; i++)
		if (req[i])
			mx_test(ep, &req[i], NULL, &res);
	mxl_endpoint_close(ep);
	return 0;
}

#ifndef MXL_FUZZING
/* Deterministic batch: random channels, half of them with plausible slots. */
int main(void)
{
	static uint8_t buf[256 + 74 * 100];
	uint32_t seed = 7, it, i;

	for (it = 0; it < 2000; it++) {
		size_t n = 256 + 74 * (1 + it % 100);

		for (i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (uint8_t)(seed >> 16);
		}
		for (i = 256; (it & 1) && i + 64 <= n; i += 74) {
			struct mxn_pair_slot sl;

			memcpy(&sl, &buf[i], sizeof(sl));
			sl.type = (uint8_t)(1 + sl.type % 4);
			sl.length %= 40000;
			if (sl.type == MXN_PAIR_RNDV) { /* a few plausible segments */
				struct mxn_pair_rndv a = { .nsegs = 1 + sl.match_info % 3 };

				memcpy(sl.tiny, &a, sizeof(a));
			}
			sl.off = (sl.off % DATA) & ~63u;
			sl.dcount %= 3;
			if (sl.seq & 2u) /* mostly written, a few never */
				sl.seq = (sl.seq & ~3u) | ((sl.seq >> 8) % 8 ? 1u : 3u);
			memcpy(&buf[i], &sl, sizeof(sl));
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
