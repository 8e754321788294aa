/* Matching: masks, wildcards, FIFO order per sender, unexpected-then-posted
 * and posted-then-arrival, probe without taking. */
#include <stdlib.h>
#include <string.h>
#include "match.h"
#include "check.h"

static const struct mxl_source anyone = { .nic_id = 0x1234, .endpoint = 3 };

static struct mxl_unexp *unexp(uint64_t mi, uint16_t peer, uint32_t len)
{
	struct mxl_unexp *u = calloc(1, sizeof(*u));

	u->match_info = mi;
	u->length = len;
	u->kind = MXL_UNEXP_EAGER;
	u->src.peer = peer;
	return u;
}

static void test_masks(void)
{
	CHECK(mxl_match_ok(0x1234, 0x1234, ~0ull));
	CHECK(!mxl_match_ok(0x1235, 0x1234, ~0ull));
	CHECK(mxl_match_ok(0xdead00001234ull, 0xbeef00001234ull, 0xffffffffull));
	CHECK(!mxl_match_ok(0xdead00001234ull, 0xbeef00001234ull, 0xffffffff00000000ull));
	CHECK(mxl_match_ok(0xffffffffffffffffull, 0, 0)); /* mask 0: wildcard */
	CHECK(mxl_match_ok(1ull << 63, 1ull << 63, 1ull << 63));
	CHECK(!mxl_match_ok(0, 1ull << 63, 1ull << 63));
}

static void test_posted_then_arrival(void)
{
	struct mxl_matcher m;
	struct mxl_posted a = { .match_info = 0x10, .mask = ~0ull };
	struct mxl_posted b = { .match_info = 0x20, .mask = ~0ull };
	struct mxl_posted any = { .match_info = 0, .mask = 0 };

	mxl_matcher_init(&m);
	mxl_match_post(&m, &a);
	mxl_match_post(&m, &b);
	mxl_match_post(&m, &any);
	CHECK_EQ(m.nposted, 3);
	CHECK(mxl_match_has_posted(&m, 0x20, &anyone));
	CHECK(mxl_match_has_posted(&m, 0x77, &anyone)); /* the wildcard */
	CHECK_EQ(m.nposted, 3);                 /* peeking takes nothing */
	CHECK(mxl_match_arrival(&m, 0x20, &anyone) == &b);   /* skips non-matching older a */
	CHECK(mxl_match_arrival(&m, 0x99, &anyone) == &any); /* wildcard takes the stranger */
	CHECK(mxl_match_arrival(&m, 0x99, &anyone) == NULL);
	CHECK(mxl_match_arrival(&m, 0x10, &anyone) == &a);
	CHECK_EQ(m.nposted, 0);
	CHECK(!mxl_match_has_posted(&m, 0x10, &anyone));
	CHECK(mxl_match_arrival(&m, 0x10, &anyone) == NULL);
}

static void test_unexpected_then_posted(void)
{
	struct mxl_matcher m;
	struct mxl_unexp *u1 = unexp(0x500000001ull, 1, 10), *u2 = unexp(0x600000001ull, 1, 20);
	struct mxl_unexp *u3 = unexp(0x500000002ull, 2, 30), *got;

	mxl_matcher_init(&m);
	mxl_match_add_unexp(&m, u1);
	mxl_match_add_unexp(&m, u2);
	mxl_match_add_unexp(&m, u3);
	/* probe does not take */
	CHECK(mxl_match_find_unexp(&m, 0x600000001ull, ~0ull, false) == u2);
	CHECK_EQ(m.nunexp, 3);
	/* high-32 mask: oldest with 0x5 in the top word is u1, then u3 */
	got = mxl_match_find_unexp(&m, 0x500000000ull, 0xffffffff00000000ull, true);
	CHECK(got == u1);
	got = mxl_match_find_unexp(&m, 0x500000000ull, 0xffffffff00000000ull, true);
	CHECK(got == u3);
	CHECK(mxl_match_find_unexp(&m, 0x500000000ull, 0xffffffff00000000ull, true) == NULL);
	CHECK(mxl_match_find_unexp(&m, 0, 0, true) == u2);
	CHECK_EQ(m.nunexp, 0);
	free(u1);
	free(u2);
	free(u3);
}

/* Two senders interleave messages with the same match info: each sender's
 * messages are taken in its send order, whatever the receive pattern. */
static void test_order_per_sender(void)
{
	struct mxl_matcher m;
	struct mxl_unexp *u[8];
	uint32_t next_seq[3] = { 0, 0, 0 };
	int i;

	mxl_matcher_init(&m);
	for (i = 0; i < 8; i++) {
		uint16_t peer = (uint16_t)(1 + (i % 3 == 0));

		u[i] = unexp(42, peer, 0);
		u[i]->length = next_seq[peer]++; /* length field = per-sender sequence */
		mxl_match_add_unexp(&m, u[i]);
	}
	memset(next_seq, 0, sizeof(next_seq));
	for (i = 0; i < 8; i++) {
		struct mxl_unexp *got = mxl_match_find_unexp(&m, 42, ~0ull, true);

		CHECK(got != NULL);
		if (!got)
			break;
		CHECK_EQ(got->length, next_seq[got->src.peer]);
		next_seq[got->src.peer]++;
		CHECK(got == u[i]); /* and globally arrival order */
		free(got);
	}
	CHECK_EQ(next_seq[1] + next_seq[2], 8);
}

/* Receives posted with the same match are filled in posting order. */
static void test_posted_order(void)
{
	struct mxl_matcher m;
	struct mxl_posted p[4];
	int i;

	memset(p, 0, sizeof(p));
	mxl_matcher_init(&m);
	for (i = 0; i < 4; i++) {
		p[i].match_info = 7;
		p[i].mask = ~0ull;
		mxl_match_post(&m, &p[i]);
	}
	CHECK(mxl_match_unpost(&m, &p[1]));
	CHECK(!mxl_match_unpost(&m, &p[1])); /* second cancel: not queued */
	CHECK(mxl_match_arrival(&m, 7, &anyone) == &p[0]);
	CHECK(mxl_match_arrival(&m, 7, &anyone) == &p[2]);
	CHECK(mxl_match_arrival(&m, 7, &anyone) == &p[3]);
	CHECK(mxl_match_arrival(&m, 7, &anyone) == NULL);
}

/* Directed receives (mx_irecv_from): a posted receive filtered by source
 * takes only that sender's message, an older undirected one takes any; an
 * unexpected search with a filter skips other senders but keeps each
 * sender's order. */
static void test_directed(void)
{
	const struct mxl_source s1 = { .nic_id = 0xa1, .endpoint = 1, .peer = 1 };
	const struct mxl_source s2 = { .nic_id = 0xa1, .endpoint = 2, .peer = 1 };
	const struct mxl_source s3 = { .nic_id = 0xb2, .endpoint = 1, .peer = 2 };
	struct mxl_srcsel from2 = { .nic_id = 0xa1, .endpoint = 2, .on = true };
	struct mxl_posted d = { .match_info = 5, .mask = ~0ull, .from = from2 };
	struct mxl_posted any = { .match_info = 5, .mask = ~0ull };
	struct mxl_unexp *a = unexp(5, 1, 1), *b = unexp(5, 1, 2), *c = unexp(5, 1, 3), *got;
	struct mxl_matcher m;

	mxl_matcher_init(&m);
	mxl_match_post(&m, &d);
	CHECK(!mxl_match_has_posted(&m, 5, &s1)); /* same nic, other endpoint */
	CHECK(!mxl_match_has_posted(&m, 5, &s3)); /* same endpoint id, other nic */
	CHECK(mxl_match_has_posted(&m, 5, &s2));
	CHECK(mxl_match_arrival(&m, 5, &s1) == NULL);
	mxl_match_post(&m, &any);
	CHECK(mxl_match_arrival(&m, 5, &s3) == &any); /* directed d is older but not for s3 */
	CHECK(mxl_match_arrival(&m, 5, &s2) == &d);
	CHECK_EQ(m.nposted, 0);

	a->src = s1;
	b->src = s2;
	c->src = s2;
	mxl_match_add_unexp(&m, a);
	mxl_match_add_unexp(&m, b);
	mxl_match_add_unexp(&m, c);
	CHECK(mxl_match_find_unexp_from(&m, 5, ~0ull, &from2, false) == b);
	got = mxl_match_find_unexp_from(&m, 5, ~0ull, &from2, true);
	CHECK(got == b);
	got = mxl_match_find_unexp_from(&m, 5, ~0ull, &from2, true);
	CHECK(got == c);
	CHECK(mxl_match_find_unexp_from(&m, 5, ~0ull, &from2, true) == NULL);
	CHECK(mxl_match_find_unexp_from(&m, 5, ~0ull, NULL, true) == a);
	CHECK_EQ(m.nunexp, 0);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	test_masks();
	test_posted_then_arrival();
	test_unexpected_then_posted();
	test_order_per_sender();
	test_posted_order();
	test_directed();
	DONE();
}
