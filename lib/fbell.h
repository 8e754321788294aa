/* SPDX-License-Identifier: MIT */
/*
 * Futex doorbells (fbell.c): the doorbell sleeper of a local endpoint waits
 * in one futex_waitv on the words that change when there is something for
 * it, instead of an epoll_wait on eventfds: one syscall per sleep, one
 * FUTEX_WAKE per wake-up, nothing to drain.
 */
#ifndef MXL_FBELL_H
#define MXL_FBELL_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Fixed entries, then one per pair channel. */
enum { MXL_FB_GEN, MXL_FB_NUDGE, MXL_FB_EVT, MXL_FB_PAIRS };
/* mxl_fbell_wait's *woken besides an entry: nothing woke us (timeout,
 * signal), a word no longer held its value (EAGAIN), or the rest of this
 * wait must sleep on the transport (the cap reached, no futex_waitv):
 * mxl_fbell_account records that under the lock, since another thread's
 * wait may be starting meanwhile (it clears ep->fbell_off). */
enum { MXL_FB_NONE = -1, MXL_FB_MOVED = -2, MXL_FB_OFF = -3 };
#define MXL_FBELL_MAX FUTEX_WAITV_MAX
/* A futex sleep lasts at most this long: a daemon that died wakes nobody
 * (only the transport's wait sees its socket hang up), so a sleep that
 * reaches it goes on in the transport's wait for the rest of the wait. */
#define MXL_FBELL_CAP_MS 50
/* Wake-ups a pair peer may cause with no message between them before its
 * channel is cut off (a legitimate peer causes at most one: a FUTEX_WAKE
 * that lands after we took its message through another wake-up). */
#define MXL_FBELL_IDLE_MAX 16u

struct mxl_fbell {
	struct futex_waitv w[MXL_FBELL_MAX];
	uint32_t n;
	uint64_t until_ns;              /* CLOCK_MONOTONIC end of a FIN nap, sooner
					 * than the wait's timeout (0: none; set
					 * after mxl_fbell_prepare, which clears it) */
	struct {
		uint8_t peer_ep;        /* ep->lp index of the channel */
		uint32_t id;            /* its pair id when we slept */
	} who[MXL_FBELL_MAX - MXL_FB_PAIRS];
};

struct mx_endpoint;
struct mxl_pair;

/* This sleep can be a futex sleep (decided before arming: the mode goes
 * into the rings' flags before the arm's fence). */
bool mxl_fbell_usable(struct mx_endpoint *ep);
/* Under the lock, after every ring was armed and found empty. */
void mxl_fbell_prepare(struct mx_endpoint *ep, uint32_t gen0);
/* Without the lock.  Returns an MXL_WAIT_* mask (0: timed out / nothing);
 * *woken: the entry that woke us, or MXL_FB_NONE / MXL_FB_MOVED. */
int mxl_fbell_wait(struct mx_endpoint *ep, int timeout_ms, int *woken);
/* Under the lock again: charge a pair channel for a wake-up it caused
 * (woken: from mxl_fbell_wait); too many unexplained ones end futex
 * sleeping for this wait. */
void mxl_fbell_account(struct mx_endpoint *ep, int woken);

/* FUTEX_WAKE one waiter on a word shared with another process. */
void mxl_fbell_wake_shared(_Atomic uint32_t *word);
/* FUTEX_WAKE one waiter of this process. */
void mxl_fbell_wake_private(_Atomic uint32_t *word);

#endif /* MXL_FBELL_H */
