/* SPDX-License-Identifier: MIT */
/*
 * The pair channel's slot rule (include/myrixen/pair.h "Publication",
 * "Trust") and the library's receiving side over it (lib/pair.c): a slot
 * is taken once its seq says it is written, with no read of the peer's
 * prod; a seq no honest producer writes, a prod pushed past a slot never
 * written or a prod more than a ring away cuts that channel off and has it
 * reported; a prod that lags the slots already taken is no fault.  The
 * test plays the peer by hand.
 */
#include <stdio.h>
#include "area.h"
#include "check.h"

#define PEER_EP 7u
#define PEER_SESSION 0x5e55u
#define ORDER 4u  /* 16 slots */
#define NS (1u << ORDER)
#define MATCH 0x99ull

/* ---- the rule itself, pure ---- */

static void test_rule(void)
{
	/* lap 0: never written (0) or written (idx + 1); anything else is bad */
	CHECK_EQ(mxn_pair_seq_state(0, 0, NS), MXN_PAIR_SEQ_EMPTY);
	CHECK_EQ(mxn_pair_seq_state(1, 0, NS), MXN_PAIR_SEQ_READY);
	CHECK_EQ(mxn_pair_seq_state(0, 5, NS), MXN_PAIR_SEQ_EMPTY);
	CHECK_EQ(mxn_pair_seq_state(6, 5, NS), MXN_PAIR_SEQ_READY);
	CHECK_EQ(mxn_pair_seq_state(5, 5, NS), MXN_PAIR_SEQ_BAD);
	CHECK_EQ(mxn_pair_seq_state(7, 5, NS), MXN_PAIR_SEQ_BAD);
	CHECK_EQ(mxn_pair_seq_state(6 + NS, 5, NS), MXN_PAIR_SEQ_BAD); /* next lap's */
	/* later laps: the previous lap's seq is "not yet" */
	CHECK_EQ(mxn_pair_seq_state(6, 5 + NS, NS), MXN_PAIR_SEQ_EMPTY);
	CHECK_EQ(mxn_pair_seq_state(6 + NS, 5 + NS, NS), MXN_PAIR_SEQ_READY);
	CHECK_EQ(mxn_pair_seq_state(6 - NS, 5 + NS, NS), MXN_PAIR_SEQ_BAD); /* two laps back */
	/* across the 2^32 wrap of the index */
	CHECK_EQ(mxn_pair_seq_state(0, 0xffffffffu, NS), MXN_PAIR_SEQ_READY);
	CHECK_EQ(mxn_pair_seq_state(0xffffffffu - NS + 1, 0xffffffffu, NS), MXN_PAIR_SEQ_EMPTY);
	CHECK_EQ(mxn_pair_seq_state(1 - NS, 0, NS), MXN_PAIR_SEQ_EMPTY);
	CHECK_EQ(mxn_pair_seq_state(1, 0, NS), MXN_PAIR_SEQ_READY);

	/* before sleeping: prod must agree with the slot */
	CHECK_EQ(mxn_pair_prod_state(5, 0, 5, NS), MXN_PAIR_SEQ_EMPTY);    /* caught up */
	CHECK_EQ(mxn_pair_prod_state(3, 0, 5, NS), MXN_PAIR_SEQ_EMPTY);    /* not pushed yet */
	CHECK_EQ(mxn_pair_prod_state(5 - NS, 0, 5, NS), MXN_PAIR_SEQ_EMPTY); /* a ring behind */
	CHECK_EQ(mxn_pair_prod_state(4 - NS, 0, 5, NS), MXN_PAIR_SEQ_BAD); /* more */
	CHECK_EQ(mxn_pair_prod_state(6, 0, 5, NS), MXN_PAIR_SEQ_BAD);      /* past an unwritten slot */
	CHECK_EQ(mxn_pair_prod_state(6, 6, 5, NS), MXN_PAIR_SEQ_READY);
	CHECK_EQ(mxn_pair_prod_state(5 + NS, 6, 5, NS), MXN_PAIR_SEQ_READY);
	CHECK_EQ(mxn_pair_prod_state(6 + NS, 6, 5, NS), MXN_PAIR_SEQ_BAD); /* beyond the ring */
	CHECK_EQ(mxn_pair_prod_state(5, 6, 5, NS), MXN_PAIR_SEQ_READY);    /* written, not pushed */
	CHECK_EQ(mxn_pair_prod_state(5, 9, 5, NS), MXN_PAIR_SEQ_BAD);      /* a bad seq stays bad */
}

/* ---- the library ---- */

/* The peer writes slot idx of our rx direction: a tiny message whose
 * payload is "ring" + idx, stamped with seq (the rule's or a lie). */
static void peer_write(struct mxl_pair *p, uint32_t idx, uint32_t seq)
{
	struct mxn_pair_slot *sl = &p->rx_slots[idx & p->rx.mask];

	memset(sl, 0, offsetof(struct mxn_pair_slot, seq));
	sl->type = MXN_PAIR_TINY;
	sl->length = 8;
	sl->match_info = MATCH;
	memcpy(sl->tiny, "ring", 4);
	memcpy(sl->tiny + 4, &idx, 4);
	atomic_store_explicit(MXN_ATOMIC(&sl->seq), seq, memory_order_release);
}

static void peer_prod(struct mxl_pair *p, uint32_t prod)
{
	atomic_store(MXN_ATOMIC(&p->rx.ctl->prod), prod);
}

/* A receive for MATCH, tested once after a progress pass: the 8 bytes of
 * slot idx arrived, or (idx < 0) nothing did (the receive is cancelled). */
static int recv_once(struct mx_endpoint *ep, int64_t idx)
{
	char buf[16] = { 0 };
	mx_segment_t s = { buf, sizeof(buf) };
	mx_request_t r;
	mx_status_t st;
	uint32_t res = 0, want = (uint32_t)idx;

	if (mx_irecv(ep, &s, 1, MATCH, MX_MATCH_MASK_NONE, NULL, &r) != MX_SUCCESS)
		return -1;
	mxl_lock(ep);
	mxl_progress_full(ep);
	mxl_unlock(ep);
	if (mx_test(ep, &r, &st, &res) != MX_SUCCESS)
		return -1;
	if (idx < 0)
		return !res && mx_cancel(ep, &r, &res) == MX_SUCCESS && res ? 0 : -1;
	return res && st.code == MX_STATUS_SUCCESS && st.xfer_length == 8 &&
	       !memcmp(buf, "ring", 4) && !memcmp(buf + 4, &want, 4) ? 0 : -1;
}

static struct mx_endpoint *open_with_pair(struct mxl_pair **p)
{
	struct mx_endpoint *ep = ta_endpoint();

	if (!ep)
		return NULL;
	/* we produce direction 0, the peer direction 1 */
	*p = ta_pair(ep, ORDER, MXN_PAIR_DATA_MIN, 0, PEER_EP, PEER_SESSION);
	if (!*p) {
		mxl_endpoint_close(ep);
		return NULL;
	}
	return ep;
}

/* A cut-off channel: counted once, reported to the daemon, freed (by
 * the progress pass that found it, or the next one). */
static void check_cut(struct mx_endpoint *ep)
{
	struct mxn_cmd c;

	CHECK_EQ(ep->counters[MXL_CNT_PAIR_FAULT], 1);
	mxl_lock(ep);
	mxl_progress_full(ep);
	mxl_unlock(ep);
	CHECK(ep->npairs == 0 && ep->lp[PEER_EP].pair == NULL);
	CHECK(ta_take_cmd(ep, &c) && c.op == MXN_CMD_PAIR_FAULT && c.u.pair.pair_id == 1);
}

/* Three laps of the ring, the peer never pushing prod: every slot is
 * taken from its seq alone, and the previous lap's seq reads "not yet". */
static void test_laps(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = open_with_pair(&p);

	CHECK(ep != NULL);
	if (!ep)
		return;
	CHECK(recv_once(ep, -1) == 0);
	for (uint32_t i = 0; i < 3 * NS; i++) {
		peer_write(p, i, mxn_pair_seq_of(i));
		CHECK(recv_once(ep, i) == 0);
		CHECK(recv_once(ep, -1) == 0); /* slot i + 1 holds lap - 1's seq or 0 */
		/* released as taken: the peer may reuse the slot */
		CHECK_EQ(atomic_load(MXN_ATOMIC(&p->rx.ctl->cons)), i + 1);
	}
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], 3 * NS);
	CHECK_EQ(atomic_load(MXN_ATOMIC(&p->rx.ctl->prod)), 0);
	CHECK(!p->broken && ep->counters[MXL_CNT_PAIR_FAULT] == 0);
	/* Before sleeping, a prod that lags what we took (not pushed yet,
	 * within a ring) is no fault: the arm finds nothing and a futex
	 * sleep waits for that prod to move. */
	peer_prod(p, 3 * NS - 2);
	mxl_lock(ep);
	CHECK(!mxl_pair_arm(ep, true));
	mxl_unlock(ep);
	CHECK(!p->broken && p->rx_prod_armed == 3 * NS - 2);
	mxl_endpoint_close(ep);
}

/* A seq no honest producer writes (not 0, not this lap's, not the last
 * lap's): cut off on the fast path, the message never delivered. */
static void test_bad_seq(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = open_with_pair(&p);

	CHECK(ep != NULL);
	if (!ep)
		return;
	peer_write(p, 0, mxn_pair_seq_of(0));
	CHECK(recv_once(ep, 0) == 0);
	peer_write(p, 1, mxn_pair_seq_of(1) + NS); /* the next lap's, too early */
	CHECK(recv_once(ep, -1) == 0);
	CHECK_EQ(ep->counters[MXL_CNT_PAIR_RECV], 1);
	check_cut(ep);
	mxl_endpoint_close(ep);
}

/* prod pushed past a slot whose seq says it was never written: the check
 * before sleeping cuts the channel off (and the wait does not sleep, so
 * the report goes out at once). */
static void test_prod_past_unwritten(void)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = open_with_pair(&p);

	CHECK(ep != NULL);
	if (!ep)
		return;
	peer_write(p, 0, mxn_pair_seq_of(0));
	peer_prod(p, 1);
	CHECK(recv_once(ep, 0) == 0);
	peer_prod(p, 2); /* slot 1 still 0 */
	CHECK(recv_once(ep, -1) == 0);
	CHECK(!p->broken); /* the fast path does not read prod */
	mxl_lock(ep);
	CHECK(mxl_pair_arm(ep, true));
	mxl_unlock(ep);
	CHECK(p->broken);
	check_cut(ep);
	mxl_endpoint_close(ep);
}

/* prod far outside the ring (either side): cut off before sleeping. */
static void test_prod_beyond(uint32_t prod)
{
	struct mxl_pair *p;
	struct mx_endpoint *ep = open_with_pair(&p);

	CHECK(ep != NULL);
	if (!ep)
		return;
	peer_prod(p, prod);
	mxl_lock(ep);
	CHECK(mxl_pair_arm(ep, true));
	mxl_unlock(ep);
	CHECK(p->broken);
	check_cut(ep);
	mxl_endpoint_close(ep);
}

/* Our sends: each slot is published by its seq at once; prod follows at
 * the flush (a spinning peer sees the message before prod moves). */
static void test_publish(void)
{
	struct mxl_addr a = { .peer = MXN_PEER_SELF, .endpoint = PEER_EP,
			      .session = PEER_SESSION, .valid = true };
	struct mxl_pair *p;
	struct mx_endpoint *ep = open_with_pair(&p);
	mx_endpoint_addr_t to;
	char buf[8] = "publish";
	mx_segment_t s = { buf, 8 };
	mx_request_t r;
	mx_status_t st;
	uint32_t res;

	CHECK(ep != NULL);
	if (!ep)
		return;
	a.nic_id = ep->info.nic_id;
	a.owner = ep->serial;
	mxl_addr_pack(&a, &to);
	for (uint32_t i = 0; i < NS + 3; i++) {
		if (i >= NS) /* the peer released the slot */
			atomic_store(MXN_ATOMIC(&p->tx.ctl->cons), i - NS + 1);
		CHECK(mx_isend(ep, &s, 1, to, MATCH, NULL, &r) == MX_SUCCESS);
		CHECK(mx_test(ep, &r, &st, &res) == MX_SUCCESS && res);
		CHECK_EQ(atomic_load(MXN_ATOMIC(&p->tx_slots[i & p->tx.mask].seq)),
			 mxn_pair_seq_of(i));
		CHECK_EQ(p->tx_slots[i & p->tx.mask].length, 8);
		CHECK_EQ(atomic_load(MXN_ATOMIC(&p->tx.ctl->prod)), i + 1);
	}
	CHECK(!p->broken);
	mxl_endpoint_close(ep);
}

int main(void)
{
	test_rule();
	test_laps();
	test_bad_seq();
	test_prod_past_unwritten();
	test_prod_beyond(1000);
	test_prod_beyond(0u - NS - 1);
	test_publish();
	DONE();
}
