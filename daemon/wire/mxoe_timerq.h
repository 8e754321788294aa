/* SPDX-License-Identifier: MIT */
/*
 * A deadline heap for the MXoE engine: a binary min-heap of timers that
 * their owners embed (peers, pulls, the engine's FIFO lists), keyed by an
 * absolute deadline in the engine clock's microseconds.  Pure code, no
 * clock: the caller passes 'now'.  Arming, moving and cancelling a timer
 * cost O(log n); the earliest deadline is O(1), so the engine never
 * rescans its state on a frame, and the daemon re-arms its loop timer only
 * when the earliest deadline changes.
 */
#ifndef MXW_MXOE_TIMERQ_H
#define MXW_MXOE_TIMERQ_H

#include <stdbool.h>
#include <stdint.h>

#define MXW_TQ_NONE UINT64_MAX

struct mxw_timer {
	uint64_t due;
	uint32_t pos;               /* 1-based slot in the heap, 0: not armed */
	uint32_t kind;              /* the owner's tag: which object embeds it */
};

struct mxw_timerq {
	struct mxw_timer **heap;    /* heap[0] unused */
	uint32_t n, cap;
};

int mxw_tq_init(struct mxw_timerq *q, uint32_t cap);
void mxw_tq_free(struct mxw_timerq *q);
static inline bool mxw_tq_armed(const struct mxw_timer *t)
{
	return t->pos != 0;
}
/* Arm t at 'due' (or move it there); -ENOSPC when the heap is full. */
int mxw_tq_set(struct mxw_timerq *q, struct mxw_timer *t, uint64_t due);
/* Arm t at 'due' unless it is already armed earlier: owners whose
 * deadline can only be early (a lower bound) fire, look, and re-arm. */
int mxw_tq_set_earlier(struct mxw_timerq *q, struct mxw_timer *t, uint64_t due);
void mxw_tq_cancel(struct mxw_timerq *q, struct mxw_timer *t);
/* The earliest deadline, MXW_TQ_NONE when empty. */
uint64_t mxw_tq_next(const struct mxw_timerq *q);
/* Disarm and return the earliest timer due at 'now', or NULL. */
struct mxw_timer *mxw_tq_pop_due(struct mxw_timerq *q, uint64_t now);

#endif /* MXW_MXOE_TIMERQ_H */
