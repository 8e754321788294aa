// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The xenbus frontend of device type "myrixen": one device per guest,
 * device/myrixen/0, created by myribackd (myrixenctl attach).  It walks
 * Initialising -> Initialised -> Connected, and on any backend departure
 * (Closing, Closed, or InitWait again after a daemon restart) cuts every
 * open endpoint off and starts over, so a restarted daemon gets the guest
 * back without a reload.  Endpoints themselves are negotiated through
 * per-endpoint subnodes (endpoint.c, shim/README.md).
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/xenbus.h>
#include "mxs.h"

struct mxs_front mxs_front = {
	.lock = __MUTEX_INITIALIZER(mxs_front.lock),
	.eps = LIST_HEAD_INIT(mxs_front.eps),
	.bells = LIST_HEAD_INIT(mxs_front.bells),
	.peer_maps = LIST_HEAD_INIT(mxs_front.peer_maps),
	.ep_wq = __WAIT_QUEUE_HEAD_INITIALIZER(mxs_front.ep_wq),
};

static void mxs_ep_watch_cb(struct xenbus_watch *w, const char *path, const char *token)
{
	atomic_inc(&mxs_front.ep_seq);
	wake_up_all(&mxs_front.ep_wq);
}

/* Cut every endpoint off and stop listening for open replies. */
static void mxs_front_disconnect_locked(void)
{
	struct mxs_ep *ep, *tmp;

	list_for_each_entry_safe(ep, tmp, &mxs_front.eps, link)
		mxs_ep_mark_dead_locked(ep);
	if (mxs_front.watching) {
		unregister_xenbus_watch(&mxs_front.ep_watch);
		kfree(mxs_front.ep_watch.node);
		mxs_front.ep_watch.node = NULL;
		mxs_front.watching = false;
	}
	mxs_front.connected = false;
	wake_up_all(&mxs_front.ep_wq);
}

static int mxs_front_initialise_locked(struct xenbus_device *dev)
{
	int err = xenbus_printf(XBT_NIL, dev->nodename, "abi-version", "%u",
				MYRIXEN_ABI_VERSION);

	if (!err)
		err = xenbus_printf(XBT_NIL, dev->nodename, "max-endpoints", "%u",
				    mxs_max_endpoints);
	if (err)
		return err;
	return xenbus_switch_state(dev, XenbusStateInitialised);
}

static int mxs_front_connect_locked(struct xenbus_device *dev)
{
	int err;

	err = xenbus_watch_pathfmt(dev, &mxs_front.ep_watch, NULL, mxs_ep_watch_cb,
				   "%s/ep", dev->otherend);
	if (err)
		return err;
	mxs_front.watching = true;
	mxs_front.connected = true;
	mxs_front.conn_gen++;
	dev_info(&dev->dev, "myrixen: connected to backend %s (generation %u)\n",
		 dev->otherend, mxs_front.conn_gen);
	return xenbus_switch_state(dev, XenbusStateConnected);
}

static void mxs_backend_changed(struct xenbus_device *dev, enum xenbus_state bstate)
{
	int err = 0;

	dev_info(&dev->dev, "myrixen: backend %s, frontend %s\n", xenbus_strstate(bstate),
		 xenbus_strstate(dev->state));
	mutex_lock(&mxs_front.lock);
	switch (bstate) {
	case XenbusStateInitWait:
		/* A fresh backend (first time, or a restarted daemon). */
		if (dev->state == XenbusStateConnected || dev->state == XenbusStateClosed ||
		    dev->state == XenbusStateClosing) {
			mxs_front_disconnect_locked();
			xenbus_switch_state(dev, XenbusStateInitialising);
		}
		if (dev->state == XenbusStateInitialising)
			err = mxs_front_initialise_locked(dev);
		break;
	case XenbusStateConnected:
		if (dev->state == XenbusStateInitialised)
			err = mxs_front_connect_locked(dev);
		break;
	case XenbusStateClosing:
		mxs_front_disconnect_locked();
		xenbus_switch_state(dev, XenbusStateClosing);
		break;
	case XenbusStateClosed:
	case XenbusStateUnknown:
		mxs_front_disconnect_locked();
		if (dev->state != XenbusStateClosed)
			xenbus_switch_state(dev, XenbusStateClosed);
		break;
	default:
		break;
	}
	if (err)
		xenbus_dev_fatal(dev, err, "myrixen frontend in state %s",
				 xenbus_strstate(dev->state));
	mutex_unlock(&mxs_front.lock);
}

static int mxs_probe(struct xenbus_device *dev, const struct xenbus_device_id *id)
{
	int err = 0;

	mutex_lock(&mxs_front.lock);
	if (mxs_front.xdev) {
		err = -EBUSY; /* one connection per guest is the design */
		goto out;
	}
	mxs_front.xdev = dev;
	dev_info(&dev->dev, "myrixen: probed %s, backend %s (domain %u) in %s\n", dev->nodename,
		 dev->otherend, dev->otherend_id,
		 xenbus_strstate(xenbus_read_driver_state(dev->otherend)));
	if (xenbus_read_driver_state(dev->otherend) == XenbusStateInitWait)
		err = mxs_front_initialise_locked(dev);
out:
	mutex_unlock(&mxs_front.lock);
	return err;
}

/*
 * The guest was restored (xl restore, or the end of a live migration): the
 * grant table and every event channel are new, the backend is whoever
 * attached the device on this host.  Cut the endpoints off (they keep
 * their pages; MYRIXEN_IOC_REATTACH grants them again) and handshake from
 * Initialising, where the xenbus core just put us.  Pair bells lost their
 * event channels: freed now, by IRQ number (bell.c).
 */
static int mxs_resume(struct xenbus_device *dev)
{
	mutex_lock(&mxs_front.lock);
	mxs_front_disconnect_locked();
	mxs_bells_break_locked();
	mxs_front.grant_gen++;
	mxs_front.resumes++;
	mutex_unlock(&mxs_front.lock);
	dev_info(&dev->dev, "myrixen: resumed (restore %u), backend %s\n", mxs_front.resumes,
		 dev->otherend);
	return 0;
}

/*
 * The guest suspends (save, migration, checkpoint), every process frozen:
 * no process may map a peer's page when it stops (peermap.c), and every
 * pair channel ends here, a checkpoint that resumes in place included, so
 * both sides of a channel see it end whatever follows (bells say -EPIPE).
 */
static int mxs_suspend(struct xenbus_device *dev)
{
	mxs_peer_maps_drop();
	mutex_lock(&mxs_front.lock);
	mxs_bells_break_locked();
	mutex_unlock(&mxs_front.lock);
	return 0;
}

static void mxs_remove(struct xenbus_device *dev)
{
	mutex_lock(&mxs_front.lock);
	if (mxs_front.xdev == dev) {
		mxs_front_disconnect_locked();
		mxs_front.xdev = NULL;
	}
	mutex_unlock(&mxs_front.lock);
}

/*
 * The xenbus core reads where our backend is before it calls .resume, and
 * fails the resume for good (talk_to_otherend failed: -2) when the device
 * is not in xenstore.  After a live migration it is there only once the
 * destination's myribackd has attached the arriving domain (xen_attach),
 * which it does when the toolstack introduces the domain, before unpausing
 * it; should the daemon be late (busy, restarting), wait for the device a
 * bounded while (backend_wait_ms) rather than lose every endpoint.  The
 * wait happens only when the node is missing: never on a host whose
 * daemon attached in time, and at most once per resume elsewhere.
 */
static unsigned int mxs_backend_wait_ms = 3000;
module_param_named(backend_wait_ms, mxs_backend_wait_ms, uint, 0644);
MODULE_PARM_DESC(backend_wait_ms,
		 "after a restore or migration, wait this long for the daemon to attach us");
static int (*mxs_read_backend_core)(struct xenbus_device *dev);

static bool mxs_backend_listed(struct xenbus_device *dev)
{
	char *be = xenbus_read(XBT_NIL, dev->nodename, "backend", NULL);

	if (IS_ERR(be))
		return false;
	kfree(be);
	return true;
}

static int mxs_read_backend(struct xenbus_device *dev)
{
	unsigned long until = jiffies + msecs_to_jiffies(mxs_backend_wait_ms);
	bool waited = false;

	while (!mxs_backend_listed(dev) && time_before(jiffies, until)) {
		waited = true;
		msleep(20);
	}
	if (waited) {
		mxs_front.backend_waits++;
		dev_info(&dev->dev, "myrixen: waited for the backend: %s\n",
			 mxs_backend_listed(dev) ? "attached" : "not attached, giving up");
	}
	return mxs_read_backend_core(dev);
}

static const struct xenbus_device_id mxs_ids[] = {
	{ MXN_SHIM_XENBUS_TYPE },
	{ "" }
};

static struct xenbus_driver mxs_driver = {
	.ids = mxs_ids,
	.probe = mxs_probe,
	.remove = mxs_remove,
	.suspend = mxs_suspend,
	.resume = mxs_resume,
	.otherend_changed = mxs_backend_changed,
	.not_essential = true,
};

int mxs_front_register(void)
{
	int err = xenbus_register_frontend(&mxs_driver);

	/* registering installs the core's reader: wrap it (a pointer store;
	 * a device probed meanwhile simply used the core's own) */
	if (!err && mxs_driver.read_otherend_details) {
		mxs_read_backend_core = mxs_driver.read_otherend_details;
		WRITE_ONCE(mxs_driver.read_otherend_details, mxs_read_backend);
	}
	return err;
}

void mxs_front_unregister(void)
{
	xenbus_unregister_driver(&mxs_driver);
}
