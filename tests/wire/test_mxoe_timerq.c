/* SPDX-License-Identifier: MIT */
/*
 * The engine's deadline heap against a brute-force model, on an injected
 * clock: random arm / move / earlier-only / cancel / pop-due sequences
 * must always pop exactly the timers due, earliest first, and report the
 * true earliest deadline.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include "mxoe_timerq.h"

#include "wcheck.h"

#define N 300
static struct mxw_timer tm[N];
static bool armed[N];
static uint64_t due[N];
static uint64_t rng = 42;

static uint32_t rnd(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(rng >> 33);
}

static uint64_t model_next(void)
{
	uint64_t m = MXW_TQ_NONE;

	for (int i = 0; i < N; i++)
		if (armed[i] && due[i] < m)
			m = due[i];
	return m;
}

static void test_basic(void)
{
	struct mxw_timerq q;
	struct mxw_timer a = { 0 }, b = { 0 }, c = { 0 };

	CHECK(mxw_tq_init(&q, 2) == 0);
	CHECK(mxw_tq_next(&q) == MXW_TQ_NONE);
	CHECK(mxw_tq_set(&q, &a, 50) == 0);
	CHECK(mxw_tq_set(&q, &b, 20) == 0);
	CHECK(mxw_tq_set(&q, &c, 10) == -ENOSPC);   /* full: refused, not lost */
	CHECK(mxw_tq_next(&q) == 20);
	CHECK(mxw_tq_set_earlier(&q, &b, 30) == 0);  /* later: ignored */
	CHECK(mxw_tq_next(&q) == 20);
	CHECK(mxw_tq_set_earlier(&q, &a, 5) == 0);
	CHECK(mxw_tq_next(&q) == 5);
	CHECK(mxw_tq_pop_due(&q, 4) == NULL);
	CHECK(mxw_tq_pop_due(&q, 5) == &a && !mxw_tq_armed(&a));
	CHECK(mxw_tq_set(&q, &b, 100) == 0);         /* moved later */
	CHECK(mxw_tq_next(&q) == 100);
	mxw_tq_cancel(&q, &b);
	mxw_tq_cancel(&q, &b);                        /* twice: harmless */
	CHECK(mxw_tq_next(&q) == MXW_TQ_NONE && q.n == 0);
	mxw_tq_free(&q);
}

static void test_random(void)
{
	struct mxw_timerq q;
	uint64_t now = 1000;

	CHECK(mxw_tq_init(&q, N) == 0);
	for (int step = 0; step < 200000; step++) {
		int i = (int)(rnd() % N);
		uint64_t d = now + rnd() % 5000;

		switch (rnd() % 5) {
		case 0:
		case 1:
			CHECK(mxw_tq_set(&q, &tm[i], d) == 0);
			armed[i] = true;
			due[i] = d;
			break;
		case 2:
			CHECK(mxw_tq_set_earlier(&q, &tm[i], d) == 0);
			if (!armed[i] || d < due[i])
				due[i] = d;
			armed[i] = true;
			break;
		case 3:
			mxw_tq_cancel(&q, &tm[i]);
			armed[i] = false;
			break;
		case 4: {
			struct mxw_timer *t;
			uint64_t last = 0;

			now += rnd() % 400;
			while ((t = mxw_tq_pop_due(&q, now))) {
				int k = (int)(t - tm);

				CHECK(armed[k] && due[k] <= now && due[k] >= last);
				CHECK(due[k] == model_next());
				last = due[k];
				armed[k] = false;
			}
			CHECK(model_next() > now);
			break;
		}
		}
		CHECK(mxw_tq_next(&q) == model_next());
		if (failures > 10)
			break;
	}
	mxw_tq_free(&q);
}

int main(void)
{
	test_basic();
	test_random();
	if (failures) {
		fprintf(stderr, "wire timerq: %d failures\n", failures);
		return 1;
	}
	printf("wire timerq: all checks passed\n");
	return 0;
}
