/* SPDX-License-Identifier: MIT */
/*
 * Pure: the provider's own framing inside MX payloads (unit-tested).
 *
 * Every message the provider sends starts with a 16-byte header carrying
 * the remote CQ data (so it travels inside the MX payload: the daemons
 * and the MXoE wire see an ordinary MX message and nothing changes for
 * native Open-MX peers, which never talk to the provider).  The data must
 * be readable by a probe before the payload moves, so the first MX
 * message of a provider message (the head) is always eager, at most the
 * library's copy limit: a longer message sends the rest as a second MX
 * message (the tail) to the same destination, matched by a private tag
 * (MYX_TAIL_BIT | per-destination sequence) that no application receive
 * can match.  MX keeps each sender's order, the receiver posts the tail
 * receive when the head is matched.
 *
 * Header, little-endian: u32 data, u32 flags, u32 total payload bytes,
 * u32 tail sequence.
 */
#ifndef MYX_FRAME_H
#define MYX_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#define MYX_HDR_LEN 16u
#define MYX_HDR_DATA 0x1u       /* data is remote CQ data (FI_REMOTE_CQ_DATA) */
#define MYX_HDR_TAIL 0x2u       /* the rest follows in a tail message */
#define MYX_HDR_FLAGS (MYX_HDR_DATA | MYX_HDR_TAIL)

struct myx_hdr {
	uint32_t data;
	uint32_t flags;
	uint32_t total;
	uint32_t seq;
};

static inline void myx_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t myx_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void myx_hdr_put(uint8_t out[MYX_HDR_LEN], const struct myx_hdr *h)
{
	myx_put32(out, h->data);
	myx_put32(out + 4, h->flags);
	myx_put32(out + 8, h->total);
	myx_put32(out + 12, h->seq);
}

/* Decode what arrived: len bytes of the head (header + head payload).
 * False for anything a provider never sends (too short, unknown flags,
 * a head claiming more than the total, a total without a tail that the
 * head does not carry whole). */
static inline bool myx_hdr_get(const uint8_t *in, uint64_t len, struct myx_hdr *h)
{
	uint64_t carried;

	if (len < MYX_HDR_LEN)
		return false;
	h->data = myx_get32(in);
	h->flags = myx_get32(in + 4);
	h->total = myx_get32(in + 8);
	h->seq = myx_get32(in + 12);
	carried = len - MYX_HDR_LEN;
	if (h->flags & ~MYX_HDR_FLAGS || carried > h->total)
		return false;
	return (h->flags & MYX_HDR_TAIL) ? carried < h->total : carried == h->total;
}

/* Describe bytes [off, off + len) of an iovec list as at most max
 * (base, length) pairs; returns how many, or -1 when they do not fit. */
static inline int myx_iov_slice(const struct iovec *iov, size_t n, uint64_t off, uint64_t len,
				struct iovec *out, size_t max)
{
	size_t i, k = 0;

	for (i = 0; i < n && len; i++) {
		uint64_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (k == max)
			return -1;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[k].iov_len = (size_t)(l - off < len ? l - off : len);
		len -= out[k].iov_len;
		off = 0;
		k++;
	}
	return (int)k;
}

#endif /* MYX_FRAME_H */
