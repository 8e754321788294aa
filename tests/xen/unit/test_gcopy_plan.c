/* SPDX-License-Identifier: MIT */
/*
 * Grant-to-grant copy plans (daemon/xen/gcopy_plan.c): random source and
 * destination segmentations over fake grant pages, the plan executed with
 * memcpy piece by piece in batches of every size, then the destination's
 * bytes compared with the source's.  Also: no piece crosses a page or is
 * empty, a short side stops the plan, and len bounds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gcopy_plan.h"
#include "tcheck.h"

#define PAGES 64u
#define PG MXN_PAGE_SIZE

/* Fake grant tables: ref r of the source guest is page r of src_mem. */
static uint8_t src_mem[PAGES][PG], dst_mem[PAGES][PG];

/* A random segmentation covering 'len' bytes of distinct pages, refs
 * shuffled, with arbitrary offsets inside the pages. */
static uint32_t segment(uint64_t len, struct mxn_grant_seg *seg, uint32_t max)
{
	uint32_t n = 0, used[PAGES] = { 0 };

	while (len && n < max) {
		uint32_t ref, off = (uint32_t)rand() % PG, k = 1 + (uint32_t)rand() % (PG - off);

		do
			ref = (uint32_t)rand() % PAGES;
		while (used[ref]);
		used[ref] = 1;
		k = k < len ? k : (uint32_t)len;
		seg[n++] = (struct mxn_grant_seg){ .gref = ref, .offset = (uint16_t)off,
						   .len = (uint16_t)k };
		len -= k;
	}
	return n;
}

static uint64_t total(const struct mxn_grant_seg *s, uint32_t n)
{
	uint64_t t = 0;

	for (uint32_t i = 0; i < n; i++)
		t += s[i].len;
	return t;
}

/* Read the region's bytes in order. */
static void gather(uint8_t (*mem)[PG], const struct mxn_grant_seg *s, uint32_t n, uint8_t *out)
{
	for (uint32_t i = 0; i < n; out += s[i].len, i++)
		memcpy(out, &mem[s[i].gref][s[i].offset], s[i].len);
}

static void one_case(uint64_t len, uint32_t batch)
{
	struct mxn_grant_seg ss[PAGES], ds[PAGES];
	struct mxd_gcopy_side src = { ss, segment(len, ss, 24) };
	struct mxd_gcopy_side dst = { ds, segment(len, ds, 24) };
	uint64_t want = total(ss, src.nsegs) < total(ds, dst.nsegs) ? total(ss, src.nsegs)
								       : total(ds, dst.nsegs);
	static uint8_t a[PAGES * PG], b[PAGES * PG];
	struct mxd_gcopy_piece p[PAGES * 2];
	struct mxd_gcopy_cursor c = { 0 };
	uint32_t n, i, calls = 0;

	for (i = 0; i < PAGES; i++)
		for (uint32_t j = 0; j < PG; j++)
			src_mem[i][j] = (uint8_t)rand();
	memset(dst_mem, 0xee, sizeof(dst_mem));
	while ((n = mxd_gcopy_plan(&src, &dst, len, &c, p, batch)) > 0) {
		CHECK(n <= batch);
		for (i = 0; i < n; i++) {
			CHECK(p[i].len > 0);
			CHECK(p[i].src_off + p[i].len <= PG && p[i].dst_off + p[i].len <= PG);
			memcpy(&dst_mem[p[i].dst_ref][p[i].dst_off],
			       &src_mem[p[i].src_ref][p[i].src_off], p[i].len);
		}
		if (++calls > PAGES * 4)
			break;
	}
	CHECK(c.done == (want < len ? want : len));
	gather(src_mem, ss, src.nsegs, a);
	gather(dst_mem, ds, dst.nsegs, b);
	CHECK(!memcmp(a, b, c.done));
	CHECK(mxd_gcopy_plan(&src, &dst, len, &c, p, batch) == 0);
}

/* len beyond both regions: the plan stops where the shorter one ends. */
static void test_short_side(void)
{
	struct mxn_grant_seg s1[2] = { { 1, 100, 1000 }, { 2, 0, 4096 } };
	struct mxn_grant_seg d1[1] = { { 7, 10, 3000 } };
	struct mxd_gcopy_side src = { s1, 2 }, dst = { d1, 1 };
	struct mxd_gcopy_piece p[8];
	struct mxd_gcopy_cursor c = { 0 };
	uint32_t n = mxd_gcopy_plan(&src, &dst, 1u << 20, &c, p, 8);

	CHECK(n == 2 && c.done == 3000);
	CHECK(p[0].src_ref == 1 && p[0].src_off == 100 && p[0].dst_ref == 7 && p[0].dst_off == 10 &&
	      p[0].len == 1000);
	CHECK(p[1].src_ref == 2 && p[1].src_off == 0 && p[1].dst_off == 1010 && p[1].len == 2000);
	memset(&c, 0, sizeof(c));
	n = mxd_gcopy_plan(&src, &dst, 500, &c, p, 8);
	CHECK(n == 1 && c.done == 500 && p[0].len == 500);
	memset(&c, 0, sizeof(c));
	CHECK(mxd_gcopy_plan(&src, &dst, 0, &c, p, 8) == 0);
}

/* A cursor beyond its segment (never produced by the planner) stops it. */
static void test_bad_cursor(void)
{
	struct mxn_grant_seg s1[1] = { { 1, 0, 10 } };
	struct mxd_gcopy_side src = { s1, 1 }, dst = { s1, 1 };
	struct mxd_gcopy_piece p[2];
	struct mxd_gcopy_cursor c = { .soff = 10 };

	CHECK(mxd_gcopy_plan(&src, &dst, 10, &c, p, 2) == 0);
}

int main(void)
{
	static const uint32_t batches[] = { 1, 2, 3, 16, 64, 128 };

	srand(9);
	for (int i = 0; i < 300; i++)
		one_case(1 + (uint64_t)rand() % (20 * PG),
			 batches[(unsigned)i % (sizeof(batches) / sizeof(batches[0]))]);
	test_short_side();
	test_bad_cursor();
	printf("gcopy plan: all cases passed\n");
	return 0;
}
