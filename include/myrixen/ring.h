/* SPDX-License-Identifier: MIT */
/*
 * Single-producer/single-consumer ring discipline over struct mxn_ring_ctl,
 * for user space (library and daemon).  Same semantics as Xen's io/ring.h:
 * free-running indices, power-of-two slots, event-index suppression and a
 * final check before sleeping.  The slot array itself is the caller's; these
 * helpers only move indices and decide when to notify.
 *
 * The consumer of a ring shared with an untrusted producer must check
 * mxn_ring_sane() on every prod it reads before it touches a slot.
 */
#ifndef MYRIXEN_RING_H
#define MYRIXEN_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include "abi.h"

#define MXN_ATOMIC(p) ((_Atomic uint32_t *)(p))

/* Producer's and consumer's private view of one ring. */
struct mxn_ring {
	struct mxn_ring_ctl *ctl; /* shared */
	uint32_t mask;            /* nslots - 1 */
	uint32_t prod_pvt;        /* producer: next slot to fill */
	uint32_t cons_pvt;        /* consumer: next slot to read */
};

static inline void mxn_ring_init(struct mxn_ring *r, struct mxn_ring_ctl *ctl, uint32_t order)
{
	r->ctl = ctl;
	r->mask = (1u << order) - 1u;
	r->prod_pvt = 0;
	r->cons_pvt = 0;
}

static inline uint32_t mxn_ring_slots(const struct mxn_ring *r)
{
	return r->mask + 1u;
}

/* Is "prod - cons" possible for this ring?  Unsigned arithmetic handles wrap. */
static inline bool mxn_ring_sane(const struct mxn_ring *r, uint32_t prod, uint32_t cons)
{
	return prod - cons <= mxn_ring_slots(r);
}

/* ---- producer side ---- */

/* Free slots as the producer sees them.  Acquire: the consumer's release of
 * cons ordered its reads of the slots before it; we may now overwrite them. */
static inline uint32_t mxn_ring_free(const struct mxn_ring *r)
{
	uint32_t cons = atomic_load_explicit(MXN_ATOMIC(&r->ctl->cons), memory_order_acquire);
	uint32_t used = r->prod_pvt - cons;

	return used > mxn_ring_slots(r) ? 0 : mxn_ring_slots(r) - used;
}

/*
 * Publish every slot filled since the last push.  Returns true when the
 * consumer asked to be notified (its prod_event lies in the pushed range).
 * Release orders the slot writes before prod; the seq_cst fence orders the
 * prod store before the prod_event load (a store-load pair that
 * acquire/release cannot order), so we cannot miss a consumer that is just
 * going to sleep.
 */
static inline bool mxn_ring_push(struct mxn_ring *r)
{
	uint32_t old = atomic_load_explicit(MXN_ATOMIC(&r->ctl->prod), memory_order_relaxed);
	uint32_t new = r->prod_pvt;
	uint32_t ev;

	atomic_store_explicit(MXN_ATOMIC(&r->ctl->prod), new, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	ev = atomic_load_explicit(MXN_ATOMIC(&r->ctl->prod_event), memory_order_relaxed);
	return (uint32_t)(new - ev) < (uint32_t)(new - old);
}

/* ---- consumer side ---- */

/* The producer's index.  Acquire pairs with the producer's release in
 * mxn_ring_push: slot contents up to prod are visible after this load. */
static inline uint32_t mxn_ring_peek_prod(const struct mxn_ring *r)
{
	return atomic_load_explicit(MXN_ATOMIC(&r->ctl->prod), memory_order_acquire);
}

/*
 * Hand consumed slots back.  Release orders our reads (copies) of the slots
 * before the producer may reuse them.  Returns true when the producer asked
 * to hear about freed space (cons_event in the released range).
 */
static inline bool mxn_ring_release(struct mxn_ring *r)
{
	uint32_t old = atomic_load_explicit(MXN_ATOMIC(&r->ctl->cons), memory_order_relaxed);
	uint32_t new = r->cons_pvt;
	uint32_t ev;

	atomic_store_explicit(MXN_ATOMIC(&r->ctl->cons), new, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	ev = atomic_load_explicit(MXN_ATOMIC(&r->ctl->cons_event), memory_order_relaxed);
	return (uint32_t)(new - ev) < (uint32_t)(new - old);
}

/*
 * Final check before the consumer sleeps: ask for a notification at the next
 * slot, then look once more.  Returns true when work arrived meanwhile (do
 * not sleep).  The seq_cst fence orders the prod_event store before the prod
 * load, pairing with the fence in mxn_ring_push.
 */
static inline bool mxn_ring_arm(struct mxn_ring *r)
{
	atomic_store_explicit(MXN_ATOMIC(&r->ctl->prod_event), r->cons_pvt + 1u,
			      memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return mxn_ring_peek_prod(r) != r->cons_pvt;
}

/* Stop asking for notifications (anticipatory polling owns the ring).  An
 * event index half the index space behind never matches a push. */
static inline void mxn_ring_disarm(struct mxn_ring *r)
{
	atomic_store_explicit(MXN_ATOMIC(&r->ctl->prod_event), r->cons_pvt + 0x80000000u,
			      memory_order_relaxed);
}

/* Disarm after an arm, only while the producer has not reached the slot
 * we asked about (0 < prod_event - prod <= slots): past it, its pushes
 * cannot ring again (push rings only when prod crosses prod_event), and
 * not writing keeps the producer's cache line (prod lives in it) from
 * moving to us and back on every wake-up.  Already disarmed: nothing. */
static inline void mxn_ring_disarm_woken(struct mxn_ring *r)
{
	uint32_t ev = atomic_load_explicit(MXN_ATOMIC(&r->ctl->prod_event), memory_order_relaxed);
	uint32_t prod = atomic_load_explicit(MXN_ATOMIC(&r->ctl->prod), memory_order_relaxed);

	if (ev - prod - 1u < mxn_ring_slots(r))
		mxn_ring_disarm(r);
}

/* Producer waiting for space: ask to be told once cons passes 'want'. */
static inline bool mxn_ring_arm_space(struct mxn_ring *r, uint32_t want_free)
{
	uint32_t target = r->prod_pvt - mxn_ring_slots(r) + want_free;

	atomic_store_explicit(MXN_ATOMIC(&r->ctl->cons_event), target, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	return mxn_ring_free(r) >= want_free;
}

#endif /* MYRIXEN_RING_H */
