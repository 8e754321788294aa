/* SPDX-License-Identifier: MIT */
/*
 * The poll pass, the top of the core: for each active endpoint, take in what
 * the guest consumed, move backlogged completions, retry parked sends
 * (core_park.c), then copy and dispatch commands to core_cmd.c; publish staged events at the flush.  Calls run one
 * way: loop.c -> here -> core_cmd.c -> core.c (event staging, lifetime);
 * nothing below calls back up.
 */
#include <errno.h>
#include <string.h>
#include "core_priv.h"

/* Move backlog entries into free event slots, in order. */
static int drain_backlog(struct mxd_endpoint *ep)
{
	const struct mxn_evt *e;
	int room = mxd_ep_room(ep), n = 0;

	while (room > 0 && (e = mxd_backlog_peek(&ep->backlog))) {
		*mxd_ep_slot(ep) = *e;
		mxd_ep_commit(ep);
		mxd_backlog_pop(&ep->backlog);
		room--;
		n++;
	}
	if (ep->backlog.count)
		mxd_ep_arm_space(ep);
	return n;
}

static int consume_cmds(struct mxd_endpoint *ep, uint32_t budget)
{
	/* The bound fixed at attach (the backlog was sized with it). */
	uint32_t outstanding = ep->outstanding;
	uint32_t prod, n = 0;
	int err;

	/* Parked sends first: the stalled command, if a send, came after them. */
	err = mxd_park_run(ep);
	if (err < 0)
		return err;
	n += (uint32_t)err;
	if (ep->has_stalled) {
		err = mxd_cmd_submit(ep, &ep->stalled);
		if (err == -EAGAIN)
			return (int)n;
		ep->has_stalled = false;
		if (err)
			return err;
		n++;
	}
	prod = mxn_ring_peek_prod(&ep->cmd);
	if (!mxn_ring_sane(&ep->cmd, prod, ep->cmd.cons_pvt)) {
		ep->core->st.ring_faults++;
		mxd_ep_fault(ep, "command ring prod out of range");
		return -EPROTO;
	}
	while (n < budget && ep->cmd.cons_pvt != prod && !mxd_backlog_congested(&ep->backlog) &&
	       ep->remote_inflight < outstanding) {
		struct mxn_cmd c;

		/* Copy first; the guest may rewrite the slot at any time. */
		memcpy(&c, &ep->cmd_slots[ep->cmd.cons_pvt & ep->cmd.mask], sizeof(c));
		ep->cmd.cons_pvt++;
		ep->st.cmds++;
		n++;
		err = mxd_cmd_submit(ep, &c);
		if (err == -EAGAIN) {
			ep->stalled = c;
			ep->has_stalled = true;
			break;
		}
		if (err)
			return err;
		if (ep->fault)
			return ep->fault;
	}
	if (n && mxn_ring_release(&ep->cmd)) {
		/* The guest waits for command slots: notify with the flush. */
		mxd_ep_mark_dirty(ep);
		ep->dirty_notify = true;
	}
	return (int)n;
}

int mxd_endpoint_poll(struct mxd_endpoint *ep, uint32_t budget)
{
	uint32_t seen = ep->evt_cons_seen;
	int n = 0, err;

	if (ep->fault)
		return ep->fault;
	err = mxd_ep_refresh_cons(ep);
	if (err)
		return err;
	if (ep->evt_cons_seen != seen) {
		n++;
		mxd_ep_wake_waiters(ep);
	}
	n += drain_backlog(ep);
	if (ep->remote_wants_room && !ep->backlog.count && mxd_ep_room(ep) > 0) {
		struct mxd_core *c = ep->core;

		ep->remote_wants_room = false;
		if (c->remote && c->remote->room)
			c->remote->room(c->remote_priv, mxd_ep_ref(ep));
		if (ep->fault)
			return ep->fault;
	}
	err = consume_cmds(ep, budget);
	if (err < 0)
		return err;
	ep->st.backlog_len = ep->backlog.count;
	return ep->fault ? ep->fault : n + err;
}

/* Snapshot the active list by (index, session): polling may close any of them. */
int mxd_core_poll_active(struct mxd_core *c, uint64_t now_ns, uint64_t window)
{
	struct { uint8_t idx; uint32_t session; } todo[MXN_ENDPOINTS_MAX];
	uint32_t budget = c->cfg.poll_budget ? c->cfg.poll_budget : 64;
	struct mxd_endpoint *ep;
	unsigned n = 0, still = 0;

	TAILQ_FOREACH(ep, &c->active, active_link)
		if (n < MXN_ENDPOINTS_MAX)
			todo[n++] = (typeof(todo[0])){ ep->index, ep->session };
	for (unsigned i = 0; i < n; i++) {
		int work;

		ep = c->eps[todo[i].idx];
		if (!ep || ep->session != todo[i].session || !ep->active)
			continue;
		work = mxd_endpoint_poll(ep, budget);
		if (work < 0) {
			mxd_guest_cutoff(ep->guest, ep->fault_why ? ep->fault_why : "protocol violation");
			continue;
		}
		if (work > 0)
			ep->last_work_ns = now_ns;
		if (work > 0 || now_ns - ep->last_work_ns < window)
			continue;
		/* Window over: arm the doorbell; the final check catches a
		 * command that raced with the arm. */
		if (mxn_ring_arm(&ep->cmd)) {
			ep->last_work_ns = now_ns;
			continue;
		}
		ep->active = false;
		TAILQ_REMOVE(&c->active, ep, active_link);
	}
	TAILQ_FOREACH(ep, &c->active, active_link)
		still++;
	return (int)still;
}

/* Staged events become visible to the guest (the ring's prod moves). */
void mxd_ep_publish(struct mxd_endpoint *ep)
{
	if (ep->evt.prod_pvt != ep->evt_pushed) {
		ep->evt_pushed = ep->evt.prod_pvt;
		if (mxn_ring_push(&ep->evt))
			ep->owed_notify = true;
	}
}

void mxd_core_publish(struct mxd_core *c)
{
	struct mxd_endpoint *ep;

	TAILQ_FOREACH(ep, &c->dirty, dirty_link)
		mxd_ep_publish(ep);
}

void mxd_core_flush(struct mxd_core *c)
{
	struct mxd_endpoint *ep;

	while ((ep = TAILQ_FIRST(&c->dirty))) {
		bool kick = ep->dirty_notify;

		TAILQ_REMOVE(&c->dirty, ep, dirty_link);
		ep->dirty = false;
		ep->dirty_notify = false;
		mxd_ep_publish(ep);
		/* Quiet events (sendq given back for sends the guest completed
		 * at issue) wake nobody unless the guest waits for that room;
		 * the notify stays owed, or a later event past prod_event would
		 * find the index already crossed and ring nothing. */
		if (ep->owed_notify &&
		    (ep->loud || (atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->flags),
						       memory_order_relaxed) & MXN_RINGF_WAKE_QUIET))) {
			ep->owed_notify = false;
			kick = true;
		}
		ep->loud = false;
		if (kick && ep->ops->notify) {
			ep->ops->notify(ep);
			ep->st.notifies++;
			c->st.notifies++;
			/* a woken guest answers soon: while the loop spins,
			 * poll for it rather than make it ring */
			if (c->anticipate)
				mxd_ep_activate(ep);
		}
	}
}

