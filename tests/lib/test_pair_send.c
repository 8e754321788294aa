/* SPDX-License-Identifier: MIT */
/*
 * Sending through a pair channel (lib/pair.c) whose peer lies about its
 * consumer index.  The sender reads the peer's cons only when the room it
 * saw last is used up (the line is the peer's: reading it on every send
 * costs a cache miss per message), so what must hold is: a slot the peer
 * has not released is never overwritten, a cons outside [what we saw, what
 * we wrote] cuts the channel off the moment it is read, and the message
 * then goes through the daemon with its bytes, match and order count.
 */
#include <stdio.h>
#include "area.h"
#include "check.h"

#define PEER_EP 7u
#define PEER_SESSION 0x5e55u
#define ORDER 4u  /* 16 slots */
#define MATCH 0x77ull

static void fill(char *buf, uint32_t n)
{
	snprintf(buf, 8, "msg%03u", n % 1000);
	buf[7] = (char)n;
}

/* Post 8 bytes "msgNNN" + n to the peer (buf must live until reaped). */
static int post(struct mx_endpoint *ep, mx_endpoint_addr_t to, uint32_t n, char *buf,
		mx_request_t *r)
{
	mx_segment_t s = { buf, 8 };

	fill(buf, n);
	return mx_isend(ep, &s, 1, to, MATCH, NULL, r) == MX_SUCCESS ? 0 : -1;
}

/* The send is complete, all 8 bytes. */
static int reap(struct mx_endpoint *ep, mx_request_t *r)
{
	mx_status_t st;
	uint32_t res = 0;

	return mx_test(ep, r, &st, &res) == MX_SUCCESS && res && st.code == MX_STATUS_SUCCESS &&
	       st.xfer_length == 8 ? 0 : -1;
}

static int send_one(struct mx_endpoint *ep, mx_endpoint_addr_t to, uint32_t n)
{
	char buf[8];
	mx_request_t r;

	return post(ep, to, n, buf, &r) || reap(ep, &r) ? -1 : 0;
}

static bool slot_is(const struct mxl_pair *p, uint32_t idx, uint32_t n)
{
	const struct mxn_pair_slot *s = &p->tx_slots[idx & p->tx.mask];

	return s->type == MXN_PAIR_TINY && s->length == 8 && s->match_info == MATCH &&
	       s->seq == mxn_pair_seq_of(idx) && s->tiny[7] == (uint8_t)n &&
	       !memcmp(s->tiny, "msg", 3);
}

int main(void)
{
	struct mx_endpoint *ep = ta_endpoint();
	struct mxl_addr a = { .peer = MXN_PEER_SELF, .endpoint = PEER_EP,
			      .session = PEER_SESSION, .valid = true };
	mx_endpoint_addr_t to;
	mx_request_t r;
	struct mxl_pair *p;
	char buf[8];
	struct mxn_cmd c;
	uint32_t i, n = 0;

	CHECK(ep != NULL);
	if (!ep)
		return 1;
	p = ta_pair(ep, ORDER, MXN_PAIR_DATA_MIN, 0, PEER_EP, PEER_SESSION);
	CHECK(p != NULL);
	if (!p)
		return 1;
	a.nic_id = ep->info.nic_id;
	a.owner = ep->serial;
	mxl_addr_pack(&a, &to);

	/* A full ring's worth goes into the channel, published. */
	for (i = 0; i < 16; i++, n++)
		CHECK(send_one(ep, to, n) == 0);
	CHECK(p->tx_cons == 0);
	for (i = 0; i < 16; i++)
		CHECK(slot_is(p, i, i));
	CHECK(atomic_load(MXN_ATOMIC(&p->tx.ctl->prod)) == 16);

	/* The peer has released 4: the next 4 reuse exactly those. */
	atomic_store(MXN_ATOMIC(&p->tx.ctl->cons), 4);
	for (i = 0; i < 4; i++, n++)
		CHECK(send_one(ep, to, n) == 0);
	for (i = 0; i < 4; i++)
		CHECK(slot_is(p, 16 + i, 16 + i));
	CHECK(slot_is(p, 4, 4)); /* not released: untouched */
	CHECK(ep->counters[MXL_CNT_PAIR_SEND] == 20 && ta_cmds_pending(ep) == 0);

	/* A cons beyond what we wrote: the channel is cut off when read, no
	 * slot is overwritten, and the send goes by the daemon, in order. */
	atomic_store(MXN_ATOMIC(&p->tx.ctl->cons), 1000);
	CHECK(post(ep, to, n, buf, &r) == 0);
	CHECK(p->broken && ep->counters[MXL_CNT_PAIR_FAULT] == 1);
	CHECK(ep->counters[MXL_CNT_PAIR_SEND] == 20);
	for (i = 4; i < 20; i++)
		CHECK(slot_is(p, i, i));
	/* progress reports the peer (and frees the channel) */
	CHECK(reap(ep, &r) == 0);
	CHECK(ep->npairs == 0 && ep->lp[PEER_EP].pair == NULL);
	CHECK(ta_take_cmd(ep, &c));
	CHECK(c.op == MXN_CMD_SEND_TINY && c.length == 8 && c.match_info == MATCH &&
	      c.pair_seq == 20 && c.dest_endpoint == PEER_EP && c.dest_session == PEER_SESSION &&
	      c.u.tiny[7] == (char)n && !memcmp(c.u.tiny, "msg", 3));
	CHECK(ta_take_cmd(ep, &c));
	CHECK(c.op == MXN_CMD_PAIR_FAULT && c.u.pair.pair_id == 1);
	mxl_endpoint_close(ep);
	DONE();
}
