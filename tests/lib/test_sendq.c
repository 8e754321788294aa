/* The sendq allocator: alignment, exhaustion, out-of-order frees, wrap with
 * a pad, no overlap between live chunks, bad frees rejected. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "myrixen/abi.h"
#include "sendq.h"
#include "check.h"

#define QSZ 4096u

static void basic(void)
{
	struct mxl_sendq q;
	uint32_t off, id, id2, off2;

	CHECK_EQ(mxl_sendq_init(&q, 100), -EINVAL);
	CHECK_EQ(mxl_sendq_init(&q, QSZ), 0);
	CHECK_EQ(mxl_sendq_alloc(&q, 0, &off, &id), 0);
	CHECK_EQ(off, 0);
	CHECK_EQ(mxl_sendq_used(&q), 64);
	CHECK_EQ(mxl_sendq_alloc(&q, 65, &off2, &id2), 0);
	CHECK_EQ(off2, 64);
	CHECK_EQ(mxl_sendq_used(&q), 64 + 128);
	CHECK_EQ(mxl_sendq_free(&q, id2), 0);
	CHECK_EQ(mxl_sendq_free(&q, id2), -EINVAL); /* double free */
	CHECK_EQ(mxl_sendq_used(&q), 64 + 128);     /* still behind id */
	CHECK_EQ(mxl_sendq_free(&q, id), 0);
	CHECK_EQ(mxl_sendq_used(&q), 0);
	CHECK_EQ(mxl_sendq_free(&q, id + 100), -EINVAL);
	CHECK_EQ(mxl_sendq_alloc(&q, QSZ, &off, &id), -E2BIG);
	mxl_sendq_fini(&q);
}

static void exhaust_and_wrap(void)
{
	struct mxl_sendq q;
	uint32_t off[64], id[64], o, i, n = 0;

	CHECK_EQ(mxl_sendq_init(&q, QSZ), 0);
	/* 1000 B -> 1024 B chunks: four fit exactly */
	while (mxl_sendq_alloc(&q, 1000, &off[n], &id[n]) == 0)
		n++;
	CHECK_EQ(n, 4);
	CHECK_EQ(mxl_sendq_alloc(&q, 1, &o, &i), -ENOSPC);
	/* free out of order: the tail only moves past the oldest */
	CHECK_EQ(mxl_sendq_free(&q, id[2]), 0);
	CHECK_EQ(mxl_sendq_used(&q), QSZ);
	CHECK_EQ(mxl_sendq_alloc(&q, 1, &o, &i), -ENOSPC);
	CHECK_EQ(mxl_sendq_free(&q, id[0]), 0);
	CHECK_EQ(mxl_sendq_used(&q), 3 * 1024);
	/* head is at the end (wrapped to 0): 1024 B free at the start */
	CHECK_EQ(mxl_sendq_alloc(&q, 1024, &off[4], &id[4]), 0);
	CHECK_EQ(off[4], 0);
	CHECK_EQ(mxl_sendq_free(&q, id[1]), 0); /* frees 1 and the already-freed 2 */
	CHECK_EQ(mxl_sendq_used(&q), 2 * 1024);
	/* free space is [1024, 3072): a 1500 B chunk fits at 1024 */
	CHECK_EQ(mxl_sendq_alloc(&q, 1500, &off[5], &id[5]), 0);
	CHECK_EQ(off[5], 1024);
	CHECK_EQ(off[5] % MXN_QUEUE_ALIGN, 0);
	CHECK_EQ(mxl_sendq_free(&q, id[3]), 0);
	CHECK_EQ(mxl_sendq_free(&q, id[4]), 0);
	CHECK_EQ(mxl_sendq_free(&q, id[5]), 0);
	CHECK_EQ(mxl_sendq_used(&q), 0);
	mxl_sendq_fini(&q);
}

/* When the end of the ring is too short the remainder is padded and the
 * chunk starts at 0; the pad goes away with its neighbours. */
static void pad_at_end(void)
{
	struct mxl_sendq q;
	uint32_t a, ia, b, ib, c, ic;

	CHECK_EQ(mxl_sendq_init(&q, QSZ), 0);
	CHECK_EQ(mxl_sendq_alloc(&q, 3000, &a, &ia), 0);  /* [0, 3008) */
	CHECK_EQ(mxl_sendq_alloc(&q, 512, &b, &ib), 0);   /* [3008, 3520) */
	CHECK_EQ(mxl_sendq_free(&q, ia), 0);
	/* 576 B left at the end, 3008 at the start: 1000 B goes to 0 */
	CHECK_EQ(mxl_sendq_alloc(&q, 1000, &c, &ic), 0);
	CHECK_EQ(c, 0);
	CHECK_EQ(mxl_sendq_used(&q), 512 + 576 + 1024);
	CHECK_EQ(mxl_sendq_free(&q, ib), 0); /* b and the pad behind it */
	CHECK_EQ(mxl_sendq_used(&q), 1024);
	CHECK_EQ(mxl_sendq_free(&q, ic), 0);
	CHECK_EQ(mxl_sendq_used(&q), 0);
	mxl_sendq_fini(&q);
}

/* Random alloc/free churn: live chunks never overlap or cross the end,
 * and the record FIFO grows past its initial size. */
static void churn(void)
{
	struct live { uint32_t off, len, id; } live[512];
	uint32_t nlive = 0, step, i, j;
	struct mxl_sendq q;

	srand(7);
	CHECK_EQ(mxl_sendq_init(&q, 64 * 1024), 0);
	for (step = 0; step < 200000; step++) {
		if (nlive < 512 && (rand() & 1)) {
			uint32_t len = (uint32_t)rand() % 3000, off, id;
			int err = mxl_sendq_alloc(&q, len, &off, &id);

			if (err) {
				CHECK_EQ(err, -ENOSPC);
				continue;
			}
			CHECK_EQ(off % MXN_QUEUE_ALIGN, 0);
			CHECK(off + len <= q.size);
			for (j = 0; j < nlive; j++)
				CHECK(off + (len ? len : 1) <= live[j].off ||
				      live[j].off + (live[j].len ? live[j].len : 1) <= off);
			live[nlive++] = (struct live){ off, len, id };
		} else if (nlive) {
			i = (uint32_t)rand() % nlive;
			CHECK_EQ(mxl_sendq_free(&q, live[i].id), 0);
			live[i] = live[--nlive];
		}
		if (failures)
			break;
	}
	while (nlive)
		CHECK_EQ(mxl_sendq_free(&q, live[--nlive].id), 0);
	CHECK_EQ(mxl_sendq_used(&q), 0);
	mxl_sendq_fini(&q);
}

int main(void)
{
	basic();
	exhaust_and_wrap();
	pad_at_end();
	churn();
	DONE();
}
