/* SPDX-License-Identifier: MIT */
/*
 * Pure mapping between libfabric tags and MX match bits (unit-tested).
 *
 * MX matches (msg & mask) == (want & mask); libfabric matches
 * (msg | ignore) == (tag | ignore).  So mask = ~ignore and want = tag & mask.
 * The top MX bit tells the two message spaces apart: 0 = tagged (fi_tsend),
 * 1 = untagged (fi_send); the next one marks the provider's tail messages
 * (frame.h), which carry a sequence number instead of a tag.  Application
 * receives always compare both bits, so none of the three spaces matches
 * another.  Hence mem_tag_format exposes 62 bits.
 */
#ifndef MYX_TAGMAP_H
#define MYX_TAGMAP_H

#include <stdint.h>

#define MYX_UNTAGGED_BIT (1ull << 63)
#define MYX_TAIL_BIT (1ull << 62)
#define MYX_TAG_BITS (~(MYX_UNTAGGED_BIT | MYX_TAIL_BIT))

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
		m.mask = MYX_UNTAGGED_BIT | MYX_TAIL_BIT;
		return m;
	}
	m.mask = (~ignore & MYX_TAG_BITS) | MYX_UNTAGGED_BIT | MYX_TAIL_BIT;
	m.info = tag & m.mask & MYX_TAG_BITS;
	return m;
}

/* The match of the tail that follows a head sent with sequence seq. */
static inline uint64_t myx_tail_match(uint32_t seq)
{
	return MYX_TAIL_BIT | seq;
}

/* The libfabric tag an arrival carried. */
static inline uint64_t myx_tag_of(uint64_t match_info)
{
	return match_info & MYX_TAG_BITS;
}

#endif /* MYX_TAGMAP_H */
