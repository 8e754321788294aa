// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The bells of Xen pair channels (include/myrixen/shim.h MYRIXEN_IOC_BELL_*,
 * pair.h "Xen"): interdomain event channels between two guests, bound here
 * for an endpoint rather than by its process through /dev/xen/evtchn.
 *
 * Why here: on resume Linux forgets every event channel to IRQ mapping
 * (xen_irq_resume) and binds again only VIRQs, IPIs and PIRQs.  A port a
 * process bound through /dev/xen/evtchn stays in that driver's list under
 * its dead number, and letting go of it looks the number up and trips
 * BUG_ON(irq < 0) (or finds another binding's IRQ).  We keep the IRQ, whose
 * event channel the resume zeroed, and free it by number at the resume
 * (unbind_from_irq closes no port then), as a frontend does with its own.
 *
 * A ring from the peer is the endpoint's doorbell (mxs_ep_irq): poll() and
 * read() of the endpoint's file report it, so the library sleeps on one
 * file for the daemon and every peer.
 *
 * Locking: ep->bell_lock (a spinlock) orders a ring against the bell's IRQ
 * going away, so a ring never reaches an IRQ number freed and handed to
 * someone else; mxs_front.lock guards the list of all bells the resume
 * walks.  Whoever takes the IRQ out of a bell (irq = -1, under bell_lock)
 * is the one that frees it.
 */
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/xen.h>
#include <asm/xen/hypercall.h>
#include "mxs.h"

/* An event channel for the peer: unbound for it, or bound to its port. */
static int mxs_bell_port(const struct mxn_shim_bell *bb, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound alloc = { .dom = DOMID_SELF, .remote_dom = bb->peer_domid };
	struct evtchn_bind_interdomain bind = { .remote_dom = bb->peer_domid,
						.remote_port = bb->remote_port };
	int err;

	if (!bb->remote_port) {
		err = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc);
		*port = alloc.port;
	} else {
		err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bind);
		*port = bind.local_port;
	}
	return err;
}

/* Take the IRQ out of b (under the ring lock) and free it.  False when a
 * resume or an unbind already did. */
static bool mxs_bell_drop_irq(struct mxs_bell *b)
{
	struct mxs_ep *ep = b->ep;
	int irq;

	spin_lock(&ep->bell_lock);
	irq = b->irq;
	b->irq = -1;
	spin_unlock(&ep->bell_lock);
	if (irq < 0)
		return false;
	unbind_from_irqhandler(irq, ep); /* closes the port if still live */
	return true;
}

int mxs_bell_bind(struct mxs_ep *ep, struct mxn_shim_bell *bb)
{
	struct evtchn_close close;
	struct mxs_bell *b;
	u32 id;
	int err;

	if (bb->pad0 || bb->pad1 || bb->peer_domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->ep = ep;
	b->irq = -1;
	/* Under the list lock: no resume between binding and listing. */
	mutex_lock(&mxs_front.lock);
	err = mxs_bell_port(bb, &b->port);
	if (err)
		goto out;
	err = bind_evtchn_to_irqhandler(b->port, mxs_ep_irq, 0, "myrixen-bell", ep);
	if (err < 0) {
		close.port = b->port;
		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		goto out;
	}
	b->irq = err;
	err = xa_alloc(&ep->bells, &id, b, XA_LIMIT(1, MXN_PAIRS_MAX), GFP_KERNEL);
	if (err) {
		unbind_from_irqhandler(b->irq, ep);
		err = err == -EBUSY ? -EMFILE : err;
		goto out;
	}
	b->id = id;
	list_add_tail(&b->link, &mxs_front.bells);
	mxs_front.bells_bound++;
	bb->port = b->port;
	bb->id = id;
	b = NULL;
out:
	mutex_unlock(&mxs_front.lock);
	kfree(b);
	return err;
}

int mxs_bell_ring(struct mxs_ep *ep, unsigned long id)
{
	struct mxs_bell *b;
	int err = -ENOENT;

	if (id > MXN_PAIRS_MAX)
		return err;
	spin_lock(&ep->bell_lock);
	b = xa_load(&ep->bells, id);
	if (b) {
		err = b->irq >= 0 ? 0 : -EPIPE;
		if (!err)
			notify_remote_via_irq(b->irq);
	}
	spin_unlock(&ep->bell_lock);
	return err;
}

int mxs_bell_unbind(struct mxs_ep *ep, unsigned long id)
{
	struct mxs_bell *b;

	if (id > MXN_PAIRS_MAX)
		return -ENOENT;
	b = xa_erase(&ep->bells, id);
	if (!b)
		return -ENOENT;
	mutex_lock(&mxs_front.lock);
	list_del(&b->link);
	mutex_unlock(&mxs_front.lock);
	mxs_bell_drop_irq(b);
	kfree(b);
	return 0;
}

void mxs_bell_release_all(struct mxs_ep *ep)
{
	struct mxs_bell *b;
	unsigned long id;

	xa_for_each(&ep->bells, id, b)
		(void)mxs_bell_unbind(ep, id);
	xa_destroy(&ep->bells);
}

/*
 * The guest was restored (or migrated): every pair bell is void.  Their
 * IRQs lost their event channels in xen_irq_resume; free them now (no port
 * is looked up or closed) and wake the endpoints, whose rings now say
 * -EPIPE.  Called from the xenbus .resume with mxs_front.lock held.
 */
void mxs_bells_break_locked(void)
{
	struct mxs_bell *b;

	list_for_each_entry(b, &mxs_front.bells, link) {
		if (!mxs_bell_drop_irq(b))
			continue;
		mxs_front.bells_broken++;
		wake_up_interruptible_all(&b->ep->wq);
	}
}
