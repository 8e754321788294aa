/* Sequence numbers and the duplicate filter (lib/seqtrack.c): numbering per
 * destination, wrap skipping 0, duplicates and stale resends dropped per
 * source, unnumbered arrivals always taken, sources kept apart by session,
 * and the bounded table forgetting the least recently used source. */
#include <stdlib.h>
#include <string.h>
#include "seqtrack.h"
#include "check.h"

static struct mxl_seqtrack *fresh(void)
{
	struct mxl_seqtrack *t = calloc(1, sizeof(*t));

	CHECK(t != NULL);
	return t;
}

static void numbering(void)
{
	struct mxl_seqtrack *t = fresh();
	uint32_t i;

	CHECK_EQ(mxl_seq_next(t, 1, 2, 3), 1);
	CHECK_EQ(mxl_seq_next(t, 1, 2, 3), 2);
	CHECK_EQ(mxl_seq_next(t, 1, 2, 4), 1);   /* another session: own numbers */
	CHECK_EQ(mxl_seq_next(t, 1, 3, 3), 1);   /* another endpoint */
	for (i = 3; i <= 65535; i++)
		CHECK_EQ(mxl_seq_next(t, 1, 2, 3), i);
	CHECK_EQ(mxl_seq_next(t, 1, 2, 3), 1);   /* wraps past 0 */
	free(t);
}

static void duplicates(void)
{
	struct mxl_seqtrack *t = fresh();
	uint32_t i;

	CHECK(!mxl_seq_dup(t, 9, 1, 7, 1));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 2));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 3));
	/* resent after a re-attach: 2 and 3 were taken, 4 is new */
	CHECK(mxl_seq_dup(t, 9, 1, 7, 2));
	CHECK(mxl_seq_dup(t, 9, 1, 7, 3));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 4));
	CHECK(mxl_seq_dup(t, 9, 1, 7, 4));
	/* unnumbered: never a duplicate */
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 0));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 0));
	/* the same numbers from another opening (session) are new */
	CHECK(!mxl_seq_dup(t, 9, 1, 8, 2));
	/* a gap (sends that failed) is fine */
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 10));
	CHECK(mxl_seq_dup(t, 9, 1, 7, 9));
	/* across the wrap: 65535 then 1 is forward, 65535 again is old */
	for (i = 11; i <= 65535; i += 1000)
		CHECK(!mxl_seq_dup(t, 9, 1, 7, (uint16_t)i));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 65535));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 1));
	CHECK(mxl_seq_dup(t, 9, 1, 7, 65535));
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 2));
	free(t);
}

/* The question alone (pair order, progress.c): asks, records nothing. */
static void seen(void)
{
	struct mxl_seqtrack *t = fresh();

	CHECK(!mxl_seq_seen(t, 9, 1, 7, 1));
	CHECK(!mxl_seq_seen(t, 9, 1, 7, 1));     /* asking did not take it */
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 1));
	CHECK(mxl_seq_seen(t, 9, 1, 7, 1));
	CHECK(!mxl_seq_seen(t, 9, 1, 7, 2));
	CHECK(!mxl_seq_seen(t, 9, 1, 7, 0));     /* unnumbered */
	CHECK(!mxl_seq_seen(t, 9, 1, 8, 1));     /* another opening */
	CHECK(!mxl_seq_dup(t, 9, 1, 7, 2));
	free(t);
}

static void bounded(void)
{
	struct mxl_seqtrack *t = fresh();
	uint32_t i;

	CHECK(!mxl_seq_dup(t, 1, 0, 100, 5));
	for (i = 0; i < MXL_SEQ_PEERS - 1; i++)
		CHECK(!mxl_seq_dup(t, 2, 0, 1000 + i, 1));
	CHECK(mxl_seq_dup(t, 1, 0, 100, 5));     /* all fit: still remembered (and used now) */
	CHECK(!mxl_seq_dup(t, 3, 0, 1, 1));      /* one more evicts the oldest: session 1000 */
	CHECK(mxl_seq_dup(t, 1, 0, 100, 5));     /* recently used one stays */
	CHECK(!mxl_seq_dup(t, 2, 0, 1000, 1));   /* the evicted one starts afresh */
	free(t);
}

int main(void)
{
	seen();
	numbering();
	duplicates();
	bounded();
	DONE();
}
