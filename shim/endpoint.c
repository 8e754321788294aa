// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * One endpoint per open file: the area (pages granted one by one to the
 * backend, listed in granted directory pages), its event channel, the
 * xenstore open handshake, mmap and the wait for events.
 */
#include <linux/interrupt.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <xen/events.h>
#include <xen/interface/event_channel.h>
#include <xen/page.h>
#include <asm/xen/hypercall.h>
#include "mxs.h"

/* The daemon's event channel, or a pair bell (bell.c). */
irqreturn_t mxs_ep_irq(int irq, void *data)
{
	struct mxs_ep *ep = data;

	atomic_inc(&ep->irqs);
	wake_up_interruptible_all(&ep->wq);
	return IRQ_HANDLED;
}

static struct mxn_ring_ctl *mxs_ep_evt_ctl(struct mxs_ep *ep)
{
	return page_address(ep->pages[ep->lay.evt_ctl_off >> PAGE_SHIFT]) +
	       (ep->lay.evt_ctl_off & ~PAGE_MASK);
}

static int mxs_ep_geometry(struct mxs_ep *ep, const struct mxn_open_req *req)
{
	u32 cmd = req->cmd_order ? req->cmd_order : mxs_cmd_order;
	u32 evt = req->evt_order ? req->evt_order : mxs_evt_order;
	u32 sq = req->sendq_size ? req->sendq_size : mxs_sendq_kb * 1024u;
	u32 rq = req->recvq_size ? req->recvq_size : mxs_recvq_kb * 1024u;

	if (req->abi_version != MYRIXEN_ABI_VERSION)
		return -EPROTO;
	if (mxn_layout_compute(&ep->lay, cmd, evt, sq, rq))
		return -EINVAL;
	ep->npages = ep->lay.area_size >> PAGE_SHIFT;
	ep->ndir = DIV_ROUND_UP(ep->npages, MXS_REFS_PER_DIR_PAGE);
	return ep->ndir <= MXS_DIR_PAGES_MAX ? 0 : -E2BIG;
}

/* Allocate the area pages and the directory pages that will list them. */
static int mxs_ep_alloc_area(struct mxs_ep *ep)
{
	unsigned int i;

	for (i = 0; i < ep->ndir; i++)
		ep->dir_grefs[i] = INVALID_GRANT_REF;
	ep->pages = kvcalloc(ep->npages, sizeof(*ep->pages), GFP_KERNEL);
	ep->grefs = kvcalloc(ep->npages, sizeof(*ep->grefs), GFP_KERNEL);
	if (!ep->pages || !ep->grefs)
		return -ENOMEM;
	for (i = 0; i < ep->npages; i++)
		ep->grefs[i] = INVALID_GRANT_REF;
	for (i = 0; i < ep->npages; i++) {
		ep->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!ep->pages[i])
			return -ENOMEM;
	}
	for (i = 0; i < ep->ndir; i++) {
		ep->dir[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!ep->dir[i])
			return -ENOMEM;
	}
	mxn_layout_fill_hdr(&ep->lay, page_address(ep->pages[0]));
	return 0;
}

/* Grant every area page to the backend, list the refs in the directory
 * pages and grant those read-only. */
static int mxs_ep_grant_area(struct mxs_ep *ep, domid_t backend)
{
	unsigned int i, j;
	int ref;

	for (i = 0; i < ep->npages; i++) {
		ref = gnttab_grant_foreign_access(backend, xen_page_to_gfn(ep->pages[i]), 0);
		if (ref < 0)
			return ref;
		ep->grefs[i] = ref;
	}
	for (i = 0; i < ep->ndir; i++) {
		u32 *dir = page_address(ep->dir[i]);
		unsigned int first = i * MXS_REFS_PER_DIR_PAGE;

		for (j = 0; j < MXS_REFS_PER_DIR_PAGE && first + j < ep->npages; j++)
			dir[j] = ep->grefs[first + j];
		ref = gnttab_grant_foreign_access(backend, xen_page_to_gfn(ep->dir[i]), 1);
		if (ref < 0)
			return ref;
		ep->dir_grefs[i] = ref;
	}
	return 0;
}

/* After a restore the grant table is a new one: the old refs name nothing
 * the backend can map.  Free them (a ref still in use is leaked, never
 * reused) so mxs_ep_grant_area can grant the same pages again. */
static void mxs_ep_forget_grants(struct mxs_ep *ep)
{
	unsigned int i;

	for (i = 0; i < ep->npages; i++) {
		if (ep->grefs[i] != INVALID_GRANT_REF)
			gnttab_try_end_foreign_access(ep->grefs[i]);
		ep->grefs[i] = INVALID_GRANT_REF;
	}
	for (i = 0; i < ep->ndir; i++) {
		if (ep->dir_grefs[i] != INVALID_GRANT_REF)
			gnttab_try_end_foreign_access(ep->dir_grefs[i]);
		ep->dir_grefs[i] = INVALID_GRANT_REF;
	}
}

/* Revoke and free; a page the backend still maps is freed by the grant
 * table once it is unmapped (gnttab_end_foreign_access defers it). */
static void mxs_ep_free_area(struct mxs_ep *ep)
{
	unsigned int i;

	for (i = 0; i < ep->ndir; i++) {
		if (ep->dir_grefs[i] != INVALID_GRANT_REF)
			gnttab_end_foreign_access(ep->dir_grefs[i], ep->dir[i]);
		else if (ep->dir[i])
			__free_page(ep->dir[i]);
		ep->dir[i] = NULL;
	}
	for (i = 0; ep->pages && i < ep->npages; i++) {
		if (ep->grefs[i] != INVALID_GRANT_REF)
			gnttab_end_foreign_access(ep->grefs[i], ep->pages[i]);
		else if (ep->pages[i])
			__free_page(ep->pages[i]);
	}
	kvfree(ep->pages);
	kvfree(ep->grefs);
	ep->pages = NULL;
	ep->grefs = NULL;
}

static int mxs_ep_bind(struct mxs_ep *ep, struct xenbus_device *dev)
{
	struct evtchn_close close;
	int err = xenbus_alloc_evtchn(dev, &ep->port);

	if (err)
		return err;
	err = bind_evtchn_to_irqhandler(ep->port, mxs_ep_irq, 0, "myrixen-ep", ep);
	if (err < 0) {
		close.port = ep->port;
		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		return err;
	}
	ep->irq = err;
	return 0;
}

/* session != 0: a re-attach, asking for the same index and session. */
static int mxs_ep_publish(struct mxs_ep *ep, const struct mxn_open_req *req, u32 session)
{
	struct xenbus_transaction xbt;
	char refs[MXS_DIR_PAGES_MAX * 11 + 1];
	unsigned int i, n = 0;
	int err;

	for (i = 0; i < ep->ndir; i++)
		n += scnprintf(refs + n, sizeof(refs) - n, i ? " %u" : "%u", ep->dir_grefs[i]);
again:
	err = xenbus_transaction_start(&xbt);
	if (err)
		return err;
#define W(node, fmt, val) if (!err) err = xenbus_printf(xbt, ep->fe_node, node, fmt, val)
	W("nonce", "%u", ep->nonce);
	W("abi-version", "%u", MYRIXEN_ABI_VERSION);
	W("key", "%u", req->key);
	W("endpoint", "%u", req->endpoint);
	W("cmd-order", "%u", ep->lay.cmd_order);
	W("evt-order", "%u", ep->lay.evt_order);
	W("sendq-size", "%u", ep->lay.sendq_size);
	W("recvq-size", "%u", ep->lay.recvq_size);
	W("area-pages", "%u", ep->npages);
	W("dir-refs", "%s", refs);
	W("event-channel", "%u", ep->port);
	W("pid", "%d", task_tgid_nr(current));
	if (session)
		W("session", "%u", session);
	W("state", "%s", "open");
#undef W
	if (err) {
		xenbus_transaction_end(xbt, 1);
		return err;
	}
	err = xenbus_transaction_end(xbt, 0);
	if (err == -EAGAIN)
		goto again;
	return err;
}

/* Reserve a slot and set everything up under the connection lock. */
static int mxs_ep_attach(struct mxs_ep *ep, const struct mxn_open_req *req, char *be_node,
			 size_t be_len)
{
	struct xenbus_device *dev;
	unsigned int nopen = 0;
	struct mxs_ep *other;
	int err, slot;

	mutex_lock(&mxs_front.lock);
	dev = mxs_front.xdev;
	if (!dev || !mxs_front.connected) {
		err = -ENOTCONN;
		goto out;
	}
	list_for_each_entry(other, &mxs_front.eps, link)
		nopen++;
	slot = find_first_zero_bit(mxs_front.slots, mxs_max_endpoints);
	if (nopen >= mxs_max_endpoints || slot >= mxs_max_endpoints) {
		err = -EMFILE;
		goto out;
	}
	set_bit(slot, mxs_front.slots);
	ep->slot = slot;
	ep->nonce = ++mxs_front.nonce;
	ep->conn_gen = mxs_front.conn_gen;
	snprintf(ep->fe_node, sizeof(ep->fe_node), "%s/ep/%d", dev->nodename, slot);
	snprintf(be_node, be_len, "%s/ep/%d", dev->otherend, slot);
	ep->rsp.abi_version = MYRIXEN_ABI_VERSION;
	ep->backend_id = dev->otherend_id;
	ep->grant_gen = mxs_front.grant_gen;
	err = mxs_ep_alloc_area(ep);
	if (!err)
		err = mxs_ep_grant_area(ep, dev->otherend_id);
	if (!err)
		err = mxs_ep_bind(ep, dev);
	if (!err)
		err = mxs_ep_publish(ep, req, 0);
	if (!err)
		list_add_tail(&ep->link, &mxs_front.eps);
out:
	mutex_unlock(&mxs_front.lock);
	return err;
}

/* 1 when the backend answered our nonce (rsp filled), 0 not yet, or -errno. */
static int mxs_ep_read_reply(struct mxs_ep *ep, const char *be_node)
{
	unsigned int nonce, epi, session, medium;
	unsigned long long nic;
	int error, err;
	char *host;

	if (xenbus_scanf(XBT_NIL, be_node, "nonce", "%u", &nonce) != 1 || nonce != ep->nonce)
		return 0;
	err = xenbus_gather(XBT_NIL, be_node, "error", "%d", &error, "endpoint", "%u", &epi,
			    "session", "%u", &session, "nic-id", "%llu", &nic,
			    "medium-max", "%u", &medium, NULL);
	if (err)
		return -EPROTO;
	if (error)
		return error < 0 && error > -4096 ? error : -EPROTO;
	if (epi >= MXN_ENDPOINTS_MAX)
		return -EPROTO;
	ep->rsp.endpoint = epi;
	ep->rsp.session = session;
	ep->rsp.nic_id = nic;
	ep->rsp.medium_max = medium;
	ep->rsp.area_size = ep->lay.area_size;
	host = xenbus_read(XBT_NIL, be_node, "hostname", NULL);
	if (!IS_ERR(host)) {
		strscpy(ep->rsp.hostname, host, sizeof(ep->rsp.hostname));
		kfree(host);
	}
	return 1;
}

static int mxs_ep_await_reply(struct mxs_ep *ep, const char *be_node)
{
	long left = msecs_to_jiffies(MXS_OPEN_TIMEOUT_MS);
	int seq, done;

	for (;;) {
		seq = atomic_read(&mxs_front.ep_seq);
		done = mxs_ep_read_reply(ep, be_node);
		if (done)
			return done < 0 ? done : 0;
		if (atomic_read(&ep->dead))
			return -ENOTCONN;
		if (left <= 0)
			return -ETIMEDOUT;
		left = wait_event_interruptible_timeout(mxs_front.ep_wq,
			atomic_read(&mxs_front.ep_seq) != seq || atomic_read(&ep->dead), left);
		if (left < 0)
			return -EINTR;
	}
}

/* Give a guest that just booted (or a daemon that just restarted) a
 * moment to connect. */
static int mxs_ep_await_connection(unsigned int timeout_ms)
{
	long left = wait_event_interruptible_timeout(mxs_front.ep_wq,
		READ_ONCE(mxs_front.connected), msecs_to_jiffies(timeout_ms));

	if (left < 0)
		return -EINTR;
	return READ_ONCE(mxs_front.connected) ? 0 : -ENOTCONN;
}

static void mxs_ep_teardown(struct mxs_ep *ep)
{
	mutex_lock(&mxs_front.lock);
	if (!list_empty(&ep->link)) {
		list_del_init(&ep->link);
		if (mxs_front.xdev)
			xenbus_rm(XBT_NIL, ep->fe_node, "");
	}
	if (ep->slot >= 0)
		clear_bit(ep->slot, mxs_front.slots);
	ep->slot = -1;
	mutex_unlock(&mxs_front.lock);
	if (ep->irq >= 0)
		unbind_from_irqhandler(ep->irq, ep); /* closes the port too */
	ep->irq = -1;
	mxs_bell_release_all(ep);
	mxs_region_release_all(ep);
	mxs_ep_free_area(ep);
}

int mxs_ep_open(struct mxs_ep *ep, struct mxn_shim_open *op)
{
	char be_node[96];
	int err;

	memset(&op->rsp, 0, sizeof(op->rsp));
	op->rsp.abi_version = MYRIXEN_ABI_VERSION;
	err = ep->opened || ep->pages ? -EBUSY : mxs_ep_geometry(ep, &op->req);
	if (!err)
		err = mxs_ep_await_connection(MXS_OPEN_TIMEOUT_MS);
	if (!err)
		err = mxs_ep_attach(ep, &op->req, be_node, sizeof(be_node));
	if (!err)
		err = mxs_ep_await_reply(ep, be_node);
	if (err) {
		if (err != -EBUSY)
			mxs_ep_teardown(ep);
		op->rsp.error = err;
		return err;
	}
	op->rsp = ep->rsp;
	ep->req = op->req;
	WRITE_ONCE(ep->opened, true);
	return 0;
}

/*
 * Hand a cut-off endpoint to the backend that is Connected now: a new
 * event channel, the area granted again when the guest was restored
 * since (new grant table), and an open request for the same index and
 * session.  The pages, the mappings of the process and the regions stay.
 */
static int mxs_ep_rejoin(struct mxs_ep *ep, char *be_node, size_t be_len, u32 *flags)
{
	struct mxn_open_req req = ep->req;
	struct xenbus_device *dev;
	int err = -ENOTCONN;

	mutex_lock(&mxs_front.lock);
	dev = mxs_front.xdev;
	if (!dev || !mxs_front.connected || !list_empty(&ep->link))
		goto out;
	if (ep->irq >= 0)
		unbind_from_irqhandler(ep->irq, ep); /* the old backend's port */
	WRITE_ONCE(ep->irq, -1);
	if (ep->grant_gen != mxs_front.grant_gen || ep->backend_id != dev->otherend_id) {
		mxs_ep_forget_grants(ep);
		err = mxs_ep_grant_area(ep, dev->otherend_id);
		if (err)
			goto out;
		ep->grant_gen = mxs_front.grant_gen;
		ep->backend_id = dev->otherend_id;
		*flags |= MXN_SHIM_REATTACH_REGRANTED;
	}
	err = mxs_ep_bind(ep, dev);
	if (err)
		goto out;
	ep->nonce = ++mxs_front.nonce;
	ep->conn_gen = mxs_front.conn_gen;
	snprintf(be_node, be_len, "%s/ep/%d", dev->otherend, ep->slot);
	req.endpoint = ep->rsp.endpoint;
	atomic_set(&ep->dead, 0);
	err = mxs_ep_publish(ep, &req, ep->rsp.session);
	if (err) {
		atomic_set(&ep->dead, 1);
		goto out;
	}
	list_add_tail(&ep->link, &mxs_front.eps);
out:
	mutex_unlock(&mxs_front.lock);
	return err;
}

static void mxs_ep_cut(struct mxs_ep *ep)
{
	mutex_lock(&mxs_front.lock);
	if (!list_empty(&ep->link))
		mxs_ep_mark_dead_locked(ep);
	atomic_set(&ep->dead, 1);
	mutex_unlock(&mxs_front.lock);
}

int mxs_ep_reattach(struct mxs_ep *ep, struct mxn_shim_reattach *ra)
{
	struct mxn_open_rsp was = ep->rsp;
	unsigned int t = ra->timeout_ms ? ra->timeout_ms : MXS_OPEN_TIMEOUT_MS;
	char be_node[96];
	int err;

	ra->flags = 0;
	memset(&ra->rsp, 0, sizeof(ra->rsp));
	if (!atomic_read(&ep->dead))
		return -EBUSY;
	err = mxs_ep_await_connection(t);
	if (!err)
		err = mxs_ep_rejoin(ep, be_node, sizeof(be_node), &ra->flags);
	if (!err)
		err = mxs_ep_await_reply(ep, be_node);
	if (!err && (ep->rsp.endpoint != was.endpoint || ep->rsp.session != was.session))
		err = -ESTALE; /* peers' addresses would name someone else */
	if (err) {
		mxs_ep_cut(ep);
		ep->rsp = was;
		return err;
	}
	mutex_lock(&mxs_front.lock);
	mxs_front.reattaches++;
	mutex_unlock(&mxs_front.lock);
	pr_info("myrixen: endpoint %u (slot %d) re-attached%s\n", ep->rsp.endpoint, ep->slot,
		ra->flags & MXN_SHIM_REATTACH_REGRANTED ? ", area granted again" : "");
	ra->rsp = ep->rsp;
	return 0;
}

void mxs_ep_mark_dead_locked(struct mxs_ep *ep)
{
	atomic_set(&ep->dead, 1);
	wake_up_interruptible_all(&ep->wq);
	/* The node goes now so a restarted backend never adopts this area. */
	if (mxs_front.xdev)
		xenbus_rm(XBT_NIL, ep->fe_node, "");
	list_del_init(&ep->link);
}

void mxs_ep_release(struct mxs_ep *ep)
{
	mxs_ep_teardown(ep);
}

int mxs_ep_wait(struct mxs_ep *ep, const struct mxn_shim_wait *w)
{
	struct mxn_ring_ctl *ctl = mxs_ep_evt_ctl(ep);
	long t = w->timeout_ms == U32_MAX ? MAX_SCHEDULE_TIMEOUT : msecs_to_jiffies(w->timeout_ms);
	long left;

	left = wait_event_interruptible_timeout(ep->wq,
		READ_ONCE(ctl->prod) != w->evt_prod_seen || atomic_read(&ep->dead), t);
	if (left < 0)
		return -EINTR;
	if (READ_ONCE(ctl->prod) != w->evt_prod_seen)
		return 0;
	return atomic_read(&ep->dead) ? -ENOTCONN : -ETIMEDOUT;
}

/* eventfd-like doorbell: the count of interrupts since the last read. */
ssize_t mxs_ep_read_irqs(struct mxs_ep *ep, u64 __user *out, bool nonblock)
{
	int now, seen;

	for (;;) {
		now = atomic_read(&ep->irqs);
		seen = atomic_read(&ep->irqs_seen);
		if (now != seen) {
			if (atomic_cmpxchg(&ep->irqs_seen, seen, now) != seen)
				continue; /* a concurrent reader took them */
			return put_user((u64)(u32)(now - seen), out) ? -EFAULT : sizeof(u64);
		}
		if (atomic_read(&ep->dead))
			return -ENOTCONN;
		if (nonblock)
			return -EAGAIN;
		if (wait_event_interruptible(ep->wq, atomic_read(&ep->irqs) != seen ||
					     atomic_read(&ep->dead)))
			return -ERESTARTSYS;
	}
}

__poll_t mxs_ep_poll(struct mxs_ep *ep)
{
	__poll_t mask = 0;

	if (atomic_read(&ep->irqs) != atomic_read(&ep->irqs_seen))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (atomic_read(&ep->dead))
		mask |= EPOLLHUP | EPOLLERR;
	return mask;
}

/* Only the control page, the command ring and the sendq are the guest's to
 * write; the header, the event ring and the recvq are the daemon's. */
static bool mxs_ep_page_writable(const struct mxs_ep *ep, unsigned long pg)
{
	u64 off = (u64)pg << PAGE_SHIFT;

	return (off >= ep->lay.cmd_ctl_off && off < ep->lay.cmd_ring_off) ||
	       (off >= ep->lay.cmd_ring_off && off < ep->lay.evt_ring_off) ||
	       (off >= ep->lay.sendq_off && off < ep->lay.recvq_off);
}

int mxs_ep_mmap(struct mxs_ep *ep, struct vm_area_struct *vma)
{
	unsigned long first = vma->vm_pgoff, n = vma_pages(vma), i;
	bool all_writable = true;
	int err;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (first >= ep->npages || n > ep->npages - first)
		return -EINVAL;
	for (i = 0; i < n; i++)
		all_writable &= mxs_ep_page_writable(ep, first + i);
	if (!all_writable) {
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
	for (i = 0; i < n; i++) {
		err = vm_insert_page(vma, vma->vm_start + (i << PAGE_SHIFT), ep->pages[first + i]);
		if (err)
			return err;
	}
	return 0;
}
