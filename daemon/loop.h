/* SPDX-License-Identifier: MIT */
/*
 * The daemon's single libev loop.  Transports, the wire engine and the
 * control socket register their own watchers on mxd_loop_ev(); the loop
 * owns the anticipatory polling of endpoint rings:
 *  - a doorbell (mxd_endpoint_kick) puts the endpoint on the core's active
 *    list and starts an ev_idle watcher;
 *  - while any endpoint is active the idle watcher runs
 *    mxd_core_poll_active, which keeps polling an endpoint for
 *    poll_window_us after its last work and only then re-arms its doorbell
 *    with mxn_ring_arm (final check, no lost wake-up);
 *  - an ev_prepare watcher calls mxd_core_flush before the loop blocks, so
 *    every callback of one iteration shares one push and one notify per
 *    endpoint.
 * Error convention: 0 or -errno.
 */
#ifndef MXD_LOOP_H
#define MXD_LOOP_H

struct ev_loop;
struct mxd_core;
struct mxd_loop;

int mxd_loop_new(struct mxd_core *core, struct mxd_loop **out);
void mxd_loop_free(struct mxd_loop *l);
struct ev_loop *mxd_loop_ev(struct mxd_loop *l);
/* Runs until mxd_loop_stop (SIGTERM/SIGINT handlers call it). */
int mxd_loop_run(struct mxd_loop *l);
void mxd_loop_stop(struct mxd_loop *l);
/* SIGHUP hook: called on the loop thread; NULL = ignore. */
void mxd_loop_set_reload(struct mxd_loop *l, void (*fn)(void *arg), void *arg);

#endif /* MXD_LOOP_H */
