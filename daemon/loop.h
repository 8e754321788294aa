/* SPDX-License-Identifier: MIT */
/*
 * The daemon's single libev loop.  Transports, the wire engine and the
 * control socket register their own watchers on mxd_loop_ev(); the loop
 * owns the anticipatory polling of endpoint rings:
 *  - a doorbell (mxd_endpoint_kick) puts the endpoint on the core's active
 *    list and starts an ev_idle watcher;
 *  - while any endpoint is active the idle watcher spins in user space over
 *    the active rings (mxd_core_poll_active, pass after pass, no syscall),
 *    returning to libev (epoll_wait with a zero timeout) only when other
 *    watchers are pending, the wire engine's packet ring holds a frame (the
 *    peek hook), or every 256 passes / 20 us;
 *  - the window an endpoint stays polled after its last work is
 *    poll_window_us when the spin rule of <myrixen/spin.h> allows spinning
 *    (more than 2 CPUs, not just preempted), else 0: its doorbell is re-armed
 *    with mxn_ring_arm (final check, no lost wake-up) as soon as it is idle;
 *  - an ev_prepare watcher calls mxd_core_flush before the loop blocks, so
 *    every callback of one iteration shares one push and one notify per
 *    endpoint.
 * Error convention: 0 or -errno.
 */
#ifndef MXD_LOOP_H
#define MXD_LOOP_H

#include <stdbool.h>

struct ev_loop;
struct mxd_core;
struct mxd_loop;

int mxd_loop_new(struct mxd_core *core, struct mxd_loop **out);
void mxd_loop_free(struct mxd_loop *l);
struct ev_loop *mxd_loop_ev(struct mxd_loop *l);
/* Runs until mxd_loop_stop (SIGTERM/SIGINT handlers call it). */
int mxd_loop_run(struct mxd_loop *l);
void mxd_loop_stop(struct mxd_loop *l);
/* Cheap check the spinning window makes between passes (the wire engine:
 * a frame waits in its AF_PACKET ring).  NULL = none. */
void mxd_loop_set_peek(struct mxd_loop *l, bool (*fn)(void *arg), void *arg);
/* SIGHUP hook: called on the loop thread; NULL = ignore. */
void mxd_loop_set_reload(struct mxd_loop *l, void (*fn)(void *arg), void *arg);

#endif /* MXD_LOOP_H */
