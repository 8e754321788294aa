/* SPDX-License-Identifier: MIT */
/* The provider's tag mapping (prov/tagmap.h): libfabric's tag/ignore onto
 * MX match/mask, tagged and untagged spaces kept apart, Open MPI's tag_1
 * wildcards (any source, any tag) behave as libfabric says. */
#include <stdint.h>
#include "tagmap.h"
#include "check.h"

/* libfabric's rule, written independently of the mapping. */
static int fi_matches(uint64_t msg_tag, uint64_t tag, uint64_t ignore)
{
	return (msg_tag | ignore) == (tag | ignore);
}

static int mx_matches(uint64_t msg, struct myx_match m)
{
	return ((msg ^ m.info) & m.mask) == 0;
}

int main(void)
{
	static const uint64_t tags[] = { 0, 1, 0x1234, 0xffffffffull, 0x0004000500000007ull,
					 0x3fffffffffffffffull, 0x00000003fffffff0ull };
	static const uint64_t ignores[] = { 0, 1, 0xffffffffull, 0x000ffffc00000000ull,
					    0x00000000fffffffeull, ~0ull };
	size_t i, j, k;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		for (j = 0; j < sizeof(ignores) / sizeof(ignores[0]); j++) {
			struct myx_match m = myx_recv_match(tags[i], ignores[j], 1);

			CHECK((m.info & ~m.mask) == 0);             /* MX's rule for a receive */
			CHECK(m.mask & MYX_UNTAGGED_BIT);           /* always compares the space */
			for (k = 0; k < sizeof(tags) / sizeof(tags[0]); k++) {
				uint64_t msg = myx_send_match(tags[k], 1);

				CHECK_EQ(mx_matches(msg, m), fi_matches(tags[k], tags[i], ignores[j]));
				CHECK(!mx_matches(myx_send_match(tags[k], 0), m));
			}
		}
	}
	/* tails (frame.h) match no application receive, only their own */
	CHECK(!mx_matches(myx_tail_match(3), myx_recv_match(0, ~0ull, 1)));
	CHECK(!mx_matches(myx_tail_match(3), myx_recv_match(0, 0, 0)));
	/* untagged receives take untagged sends only, whatever the tag words */
	CHECK(mx_matches(myx_send_match(99, 0), myx_recv_match(5, 0, 0)));
	CHECK(!mx_matches(myx_send_match(0, 1), myx_recv_match(0, ~0ull, 0)));
	/* the tag a completion reports is the one sent */
	CHECK_EQ(myx_tag_of(myx_send_match(0x0004000500000007ull, 1)), 0x0004000500000007ull);
	DONE();
}
