/* SPDX-License-Identifier: MIT */
/* The provider's framing (prov/frame.h): header round trip, the headers a
 * provider never sends are refused, and iovec slicing for head and tail. */
#include <stdint.h>
#include <string.h>
#include "frame.h"
#include "check.h"

static void test_header(void)
{
	struct myx_hdr in = { .data = 0xdeadbeef, .flags = MYX_HDR_DATA | MYX_HDR_TAIL,
			      .total = 100000, .seq = 7 }, out;
	uint8_t raw[MYX_HDR_LEN];

	myx_hdr_put(raw, &in);
	CHECK_EQ(raw[0], 0xef);                                  /* little-endian */
	CHECK(myx_hdr_get(raw, MYX_HDR_LEN + 32000, &out));      /* head of a longer message */
	CHECK_EQ(out.data, 0xdeadbeef);
	CHECK_EQ(out.flags, MYX_HDR_DATA | MYX_HDR_TAIL);
	CHECK_EQ(out.total, 100000);
	CHECK_EQ(out.seq, 7);
	CHECK(!myx_hdr_get(raw, MYX_HDR_LEN - 1, &out));         /* too short */
	CHECK(!myx_hdr_get(raw, MYX_HDR_LEN + 100000, &out));    /* tail flag, head carries all */
	CHECK(!myx_hdr_get(raw, MYX_HDR_LEN + 100001, &out));    /* head beyond the total */
	in.flags = 0;
	in.total = 5;
	myx_hdr_put(raw, &in);
	CHECK(myx_hdr_get(raw, MYX_HDR_LEN + 5, &out));          /* whole message */
	CHECK(!myx_hdr_get(raw, MYX_HDR_LEN + 4, &out));         /* short without a tail */
	in.flags = 0x80;
	myx_hdr_put(raw, &in);
	CHECK(!myx_hdr_get(raw, MYX_HDR_LEN + 5, &out));         /* unknown flag */
}

static void test_slice(void)
{
	uint8_t a[10], b[20], c[5];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } }, out[3];

	CHECK_EQ(myx_iov_slice(iov, 3, 0, 10, out, 3), 1);
	CHECK(out[0].iov_base == a && out[0].iov_len == 10);
	CHECK_EQ(myx_iov_slice(iov, 3, 8, 20, out, 3), 2);       /* a[8..9] + b[0..17] */
	CHECK(out[0].iov_base == a + 8 && out[0].iov_len == 2);
	CHECK(out[1].iov_base == b && out[1].iov_len == 18);
	CHECK_EQ(myx_iov_slice(iov, 3, 29, 100, out, 3), 2);     /* b[19] + all of c */
	CHECK(out[0].iov_base == b + 19 && out[0].iov_len == 1);
	CHECK(out[1].iov_base == c && out[1].iov_len == 5);
	CHECK_EQ(myx_iov_slice(iov, 3, 35, 10, out, 3), 0);      /* past the end */
	CHECK_EQ(myx_iov_slice(iov, 3, 0, 35, out, 2), -1);      /* needs 3 pieces */
	CHECK_EQ(myx_iov_slice(iov, 3, 5, 0, out, 3), 0);
}

int main(void)
{
	test_header();
	test_slice();
	DONE();
}
