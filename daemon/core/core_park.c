/* SPDX-License-Identifier: MIT */
/*
 * Sends parked until rendezvous room frees up.
 *
 * A SEND_RNDV beyond the endpoint's 'outstanding' or its guest's registered
 * memory is not refused: MX queues such a send until resources free up, and
 * a refusal the library then retried let a later send to the same peer,
 * already issued (daemon path, pair channel or wire), overtake it.  So the
 * daemon parks it, and every later send of the endpoint behind it (MX's
 * order between two endpoints; Open-MX holds all later sends the same way),
 * while the endpoint's other commands go on: its pulls of what peers sent
 * are what frees the room, and a pull held behind a parked send could
 * deadlock two endpoints of one guest.  Parked commands are copies already
 * consumed from the ring; each is processed again from scratch (validation,
 * region copy) when room frees, in order.  A send parked behind another
 * holds nothing of ours; the guest keeps its sendq chunk and the region
 * descriptor until SEND_DONE, as for any send.
 *
 * A send to a local endpoint that is away (its guest is being saved or
 * migrated: detached while its index is quiet, mxd_core_quiet) parks the
 * same way: it goes, in order, once the endpoint is back with its session
 * (attach wakes every endpoint that has parked sends), or fails CLOSED
 * once the index is no longer kept quiet (mxd_core_park_tick looks every
 * second).  Nothing is lost while the guest is written out.
 *
 * Bounded: beyond MXD_PARK_MAX parked sends the endpoint's command ring
 * simply waits (a stalled command, core_poll.c), as it does for a full
 * receiver; an honest library holds its own sends long before that.
 */
#include <errno.h>
#include <stdlib.h>
#include "core_priv.h"

bool mxd_cmd_is_send(const struct mxn_cmd *c)
{
	return c->op == MXN_CMD_SEND_TINY || c->op == MXN_CMD_SEND_QUEUED ||
	       c->op == MXN_CMD_SEND_RNDV;
}

static int park_grow(struct mxd_endpoint *ep)
{
	uint32_t cap = ep->parked_cap ? ep->parked_cap * 2 : 16, i;
	struct mxn_cmd *q;

	if (ep->parked_cap >= MXD_PARK_MAX)
		return -EAGAIN;
	if (cap > MXD_PARK_MAX)
		cap = MXD_PARK_MAX;
	q = malloc(cap * sizeof(*q));
	if (!q)
		return -EAGAIN; /* the ring waits instead: nothing is lost */
	for (i = 0; i < ep->nparked; i++)
		q[i] = ep->parked[(ep->parked_head + i) % ep->parked_cap];
	free(ep->parked);
	ep->parked = q;
	ep->parked_cap = cap;
	ep->parked_head = 0;
	return 0;
}

/* Append a validated-later copy; -EAGAIN when full (the caller stalls). */
static int park(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	if (ep->nparked == ep->parked_cap && park_grow(ep))
		return -EAGAIN;
	ep->parked[(ep->parked_head + ep->nparked) % ep->parked_cap] = *c;
	ep->nparked++;
	ep->guest->nparked++;
	ep->st.parked++;
	return 0;
}

static void unpark_head(struct mxd_endpoint *ep)
{
	ep->parked_head = (ep->parked_head + 1) % ep->parked_cap;
	ep->nparked--;
	ep->guest->nparked--;
}

int mxd_cmd_submit(struct mxd_endpoint *ep, const struct mxn_cmd *c)
{
	int err;

	if (ep->nparked && mxd_cmd_is_send(c))
		return park(ep, c);
	err = mxd_cmd_process(ep, c);
	if (err == -EBUSY)
		err = park(ep, c);
	return err;
}

int mxd_park_run(struct mxd_endpoint *ep)
{
	int n = 0;

	while (ep->nparked && !mxd_backlog_congested(&ep->backlog) &&
	       ep->remote_inflight < ep->outstanding) {
		int err = mxd_cmd_process(ep, &ep->parked[ep->parked_head]);

		if (err == -EBUSY || err == -EAGAIN)
			break; /* still no room (or a full receiver): stays first */
		if (err)
			return err;
		unpark_head(ep);
		n++;
		if (ep->fault)
			return ep->fault;
	}
	return n;
}

void mxd_park_room_freed(struct mxd_guest *g)
{
	struct mxd_endpoint *ep;

	if (!g->nparked)
		return;
	LIST_FOREACH(ep, &g->endpoints, guest_link)
		if (ep->nparked)
			mxd_ep_activate(ep); /* skips a closing endpoint */
}

void mxd_core_park_tick(struct mxd_core *c)
{
	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++)
		if (c->eps[i] && c->eps[i]->nparked)
			mxd_ep_activate(c->eps[i]);
}

void mxd_park_free(struct mxd_endpoint *ep)
{
	ep->guest->nparked -= ep->nparked;
	ep->nparked = 0;
	free(ep->parked);
	ep->parked = NULL;
	ep->parked_cap = 0;
}
