/* SPDX-License-Identifier: MIT */
/*
 * Completion backlog: completions (SEND_DONE, PULL_DONE, CONNECT_DONE,
 * LOOKUP_DONE, WAKE, GUEST_ERROR) that found the guest's event ring full
 * wait here, in order, and move to the ring as the guest frees slots.
 * A completion is never dropped.  Back-pressure: while count >= soft the
 * core stops consuming that endpoint's command ring, so the only producers
 * left are operations already in flight, which the per-endpoint limits
 * bound; 'hard' is that bound and reaching it is a guest fault.
 *
 * Error convention: 0 or -errno.
 */
#ifndef MXD_BACKLOG_H
#define MXD_BACKLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <myrixen/abi.h>

struct mxd_backlog {
	struct mxn_evt *evts;   /* circular, capacity 'hard' */
	uint32_t head, count;
	uint32_t soft, hard;
	uint32_t peak;
};

int mxd_backlog_init(struct mxd_backlog *b, uint32_t soft, uint32_t hard);
void mxd_backlog_fini(struct mxd_backlog *b);
/* -ENOSPC when the hard bound is reached (the caller cuts the guest off). */
int mxd_backlog_push(struct mxd_backlog *b, const struct mxn_evt *e);
/* Oldest entry, or NULL. */
const struct mxn_evt *mxd_backlog_peek(const struct mxd_backlog *b);
void mxd_backlog_pop(struct mxd_backlog *b);
static inline bool mxd_backlog_congested(const struct mxd_backlog *b)
{
	return b->count >= b->soft;
}

#endif /* MXD_BACKLOG_H */
