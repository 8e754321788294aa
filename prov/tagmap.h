/* SPDX-License-Identifier: MIT */
/*
 * Pure mapping between libfabric tags and MX match bits (unit-tested).
 *
 * MX matches (msg & mask) == (want & mask); libfabric matches
 * (msg | ignore) == (tag | ignore).  So mask = ~ignore and want = tag & mask.
 * The top MX bit tells the two message spaces apart: 0 = tagged (fi_tsend),
 * 1 = untagged (fi_send); tagged receives always compare it, so the two
 * never match each other.  Hence mem_tag_format exposes 63 bits.
 */
#ifndef MYX_TAGMAP_H
#define MYX_TAGMAP_H

#include <stdint.h>

#define MYX_UNTAGGED_BIT (1ull << 63)
#define MYX_TAG_BITS (~MYX_UNTAGGED_BIT)

struct myx_match {
	uint64_t info;
	uint64_t mask;
};

static inline uint64_t myx_send_match(uint64_t tag, int tagged)
{
	return tagged ? (tag & MYX_TAG_BITS) : MYX_UNTAGGED_BIT;
}

static inline struct myx_match myx_recv_match(uint64_t tag, uint64_t ignore, int tagged)
{
	struct myx_match m;

	if (!tagged) {
		m.info = MYX_UNTAGGED_BIT;
		m.mask = MYX_UNTAGGED_BIT;
		return m;
	}
	m.mask = (~ignore & MYX_TAG_BITS) | MYX_UNTAGGED_BIT;
	m.info = tag & m.mask & MYX_TAG_BITS;
	return m;
}

/* The libfabric tag an arrival carried. */
static inline uint64_t myx_tag_of(uint64_t match_info)
{
	return match_info & MYX_TAG_BITS;
}

#endif /* MYX_TAGMAP_H */
