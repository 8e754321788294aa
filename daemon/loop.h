/* SPDX-License-Identifier: MIT */
/*
 * The daemon's single libev loop.  Transports, the wire engine and the
 * control socket register their own watchers on mxd_loop_ev(); the loop
 * owns the anticipatory polling of endpoint rings:
 *  - a doorbell (mxd_endpoint_kick) puts the endpoint on the core's active
 *    list and starts an ev_idle watcher;
 *  - while any endpoint is active the idle watcher spins in user space over
 *    the active rings (mxd_core_poll_active, pass after pass, no syscall),
 *    takes the frames the wire engine's packet ring shows (the spin_rx
 *    hook) and polls the rings of guests it wakes (mxd_core_set_anticipate),
 *    returning to libev (epoll_wait with a zero timeout) only when other
 *    watchers are pending (its own ev_check, which libev always queues
 *    before the idle watchers run, not counted), or every 100 us;
 *  - the window an endpoint stays polled after its last work is
 *    poll_window_us, as the spin rule of <myrixen/spin.h> adapts it, when
 *    that rule allows spinning (more than 2 CPUs or poll_spin = force,
 *    nobody waiting for a CPU, not just preempted), else 0: its doorbell is
 *    re-armed with mxn_ring_arm (final check, no lost wake-up) as soon as it
 *    is idle, in the same callback as the pass that did its work;
 *  - an ev_check watcher polls an endpoint that a callback of this
 *    iteration woke, before the loop enters epoll_wait again;
 *  - an ev_prepare watcher calls mxd_core_flush before the loop blocks, so
 *    every callback of one iteration shares one push and one notify per
 *    endpoint.
 * Error convention: 0 or -errno.
 */
#ifndef MXD_LOOP_H
#define MXD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct mxd_core;
struct mxd_loop;

int mxd_loop_new(struct mxd_core *core, struct mxd_loop **out);
void mxd_loop_free(struct mxd_loop *l);
struct ev_loop *mxd_loop_ev(struct mxd_loop *l);
/* Runs until mxd_loop_stop (SIGTERM/SIGINT handlers call it). */
int mxd_loop_run(struct mxd_loop *l);
void mxd_loop_stop(struct mxd_loop *l);
/* Called between two passes over the rings (spinning or not): take what
 * waits without a syscall to learn of it (the wire engine: frames its
 * AF_PACKET ring's status words show); true when it took anything.
 * NULL = none. */
void mxd_loop_set_spin_rx(struct mxd_loop *l, bool (*fn)(void *arg), void *arg);
/* How the poll window's spin went (myrixenctl status "spin"). */
struct mxd_loop_stats {
	uint64_t spins;             /* passes started with a window to spin */
	uint64_t spin_frames;       /* frames taken between passes (no epoll pass) */
	uint64_t crowded;           /* spins refused or cut: tasks waited for a CPU */
	uint64_t preemptions;       /* spins ended because we lost the CPU */
	uint64_t window_ns;         /* the window now, as it adapted (spin.h) */
};
void mxd_loop_get_stats(const struct mxd_loop *l, struct mxd_loop_stats *st);
/* Tests: the loop's clock (mxd_now_ns) and the spin rule's load sampler
 * (<myrixen/spin.h>; NULL: no sample) replaced by their own. */
void mxd_loop_set_clock(struct mxd_loop *l, uint64_t (*now)(void), unsigned (*runnable)(void));
/* SIGHUP hook: called on the loop thread; NULL = ignore. */
void mxd_loop_set_reload(struct mxd_loop *l, void (*fn)(void *arg), void *arg);

#endif /* MXD_LOOP_H */
