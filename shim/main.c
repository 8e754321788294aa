// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * myrixen guest shim: module entry, parameters and the /dev/myrixen file
 * operations.  Every ioctl only moves arguments; the work is in endpoint.c
 * (area, grants, open handshake) and region.c (registered memory).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/events.h>
#include <xen/xen.h>
#include "mxs.h"

unsigned int mxs_max_endpoints = 32;
module_param_named(max_endpoints, mxs_max_endpoints, uint, 0444);
MODULE_PARM_DESC(max_endpoints, "open endpoints per guest (<= 256)");
unsigned int mxs_cmd_order = 8;
module_param_named(cmd_order, mxs_cmd_order, uint, 0644);
MODULE_PARM_DESC(cmd_order, "default log2 command-ring slots");
unsigned int mxs_evt_order = 10;
module_param_named(evt_order, mxs_evt_order, uint, 0644);
MODULE_PARM_DESC(evt_order, "default log2 event-ring slots");
unsigned int mxs_sendq_kb = 1024;
module_param_named(sendq_kb, mxs_sendq_kb, uint, 0644);
MODULE_PARM_DESC(sendq_kb, "default send queue KiB");
unsigned int mxs_recvq_kb = 2048;
module_param_named(recvq_kb, mxs_recvq_kb, uint, 0644);
MODULE_PARM_DESC(recvq_kb, "default receive queue KiB");
unsigned int mxs_max_pinned_mb = 256;
module_param_named(max_pinned_mb, mxs_max_pinned_mb, uint, 0644);
MODULE_PARM_DESC(max_pinned_mb, "registered (pinned, granted) memory per endpoint, MiB");

/* Read-only counters (/sys/module/myrixen/parameters/). */
module_param_named(reattaches, mxs_front.reattaches, uint, 0444);
MODULE_PARM_DESC(reattaches, "endpoints handed to a new backend (daemon restart, restore)");
module_param_named(resumes, mxs_front.resumes, uint, 0444);
MODULE_PARM_DESC(resumes, "restores of this guest (xl restore, migration)");
module_param_named(backend_waits, mxs_front.backend_waits, uint, 0444);
MODULE_PARM_DESC(backend_waits, "restores that had to wait for the daemon to attach the device");
module_param_named(pair_bells, mxs_front.bells_bound, uint, 0444);
MODULE_PARM_DESC(pair_bells, "Xen pair channel bells bound for endpoints (MYRIXEN_IOC_BELL_BIND)");
module_param_named(pair_bells_broken, mxs_front.bells_broken, uint, 0444);
MODULE_PARM_DESC(pair_bells_broken, "pair bells a suspend or restore ended (freed by IRQ number)");
module_param_named(peer_maps, mxs_front.peer_maps_added, uint, 0444);
MODULE_PARM_DESC(peer_maps, "ranges mapping a peer guest's pages (MYRIXEN_IOC_PEER_MAP)");
module_param_named(peer_maps_dropped, mxs_front.peer_maps_dropped, uint, 0444);
MODULE_PARM_DESC(peer_maps_dropped, "... replaced by zeroes when this guest suspended");
module_param_named(peer_maps_failed, mxs_front.peer_maps_failed, uint, 0444);
MODULE_PARM_DESC(peer_maps_failed, "... that could not be replaced (left mapped at a suspend)");

static int mxs_open(struct inode *inode, struct file *file)
{
	struct mxs_ep *ep = kzalloc(sizeof(*ep), GFP_KERNEL);

	if (!ep)
		return -ENOMEM;
	mutex_init(&ep->lock);
	INIT_LIST_HEAD(&ep->link);
	init_waitqueue_head(&ep->wq);
	xa_init_flags(&ep->regions, XA_FLAGS_ALLOC1);
	xa_init_flags(&ep->bells, XA_FLAGS_ALLOC1);
	xa_init_flags(&ep->peer_maps, XA_FLAGS_ALLOC1);
	spin_lock_init(&ep->bell_lock);
	ep->slot = -1;
	ep->irq = -1;
	file->private_data = ep;
	return nonseekable_open(inode, file);
}

static int mxs_release(struct inode *inode, struct file *file)
{
	struct mxs_ep *ep = file->private_data;

	mxs_ep_release(ep);
	mxs_peer_map_release_all(ep);
	kfree(ep);
	return 0;
}

static long mxs_ioctl_open(struct mxs_ep *ep, void __user *arg)
{
	struct mxn_shim_open op;
	int err;

	if (copy_from_user(&op, arg, sizeof(op)))
		return -EFAULT;
	err = mxs_ep_open(ep, &op);
	if (copy_to_user(arg, &op, sizeof(op)))
		return -EFAULT;
	return err;
}

static long mxs_ioctl_reattach(struct mxs_ep *ep, void __user *arg)
{
	struct mxn_shim_reattach ra;
	int err;

	if (copy_from_user(&ra, arg, sizeof(ra)))
		return -EFAULT;
	err = mxs_ep_reattach(ep, &ra);
	if (copy_to_user(arg, &ra, sizeof(ra)))
		return -EFAULT;
	return err;
}

static long mxs_ioctl_region(struct mxs_ep *ep, void __user *arg)
{
	struct mxn_shim_region r;
	int err;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	err = mxs_region_register(ep, &r);
	if (err)
		return err;
	if (copy_to_user(arg, &r, sizeof(r))) {
		mxs_region_deregister(ep, r.handle);
		return -EFAULT;
	}
	return 0;
}

static long mxs_ioctl_bell(struct mxs_ep *ep, void __user *arg)
{
	struct mxn_shim_bell bb;
	int err;

	if (copy_from_user(&bb, arg, sizeof(bb)))
		return -EFAULT;
	err = mxs_bell_bind(ep, &bb);
	if (err)
		return err;
	if (copy_to_user(arg, &bb, sizeof(bb))) {
		mxs_bell_unbind(ep, bb.id);
		return -EFAULT;
	}
	return 0;
}

static long mxs_ioctl_peer_map(struct mxs_ep *ep, void __user *arg)
{
	struct mxn_shim_peer_map pm;
	int err;

	if (copy_from_user(&pm, arg, sizeof(pm)))
		return -EFAULT;
	err = mxs_peer_map_add(ep, &pm);
	if (err)
		return err;
	if (copy_to_user(arg, &pm, sizeof(pm))) {
		mxs_peer_map_del(ep, pm.id);
		return -EFAULT;
	}
	return 0;
}

static long mxs_ioctl_features(void __user *arg)
{
	struct mxn_shim_features f = { .features = MXN_SHIMF_PAIR_BELL | MXN_SHIMF_PEER_MAPS };

	return copy_to_user(arg, &f, sizeof(f)) ? -EFAULT : 0;
}

static long mxs_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct mxs_ep *ep = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct mxn_shim_wait w;
	u32 handle;
	long err;

	/* WAIT sleeps without the lock so NOTIFY from another thread proceeds. */
	if (cmd == MYRIXEN_IOC_WAIT) {
		if (copy_from_user(&w, uarg, sizeof(w)))
			return -EFAULT;
		if (!READ_ONCE(ep->opened))
			return -EBADFD;
		return mxs_ep_wait(ep, &w);
	}
	if (cmd == MYRIXEN_IOC_NOTIFY) {
		if (!READ_ONCE(ep->opened))
			return -EBADFD;
		if (atomic_read(&ep->dead))
			return -ENOTCONN;
		notify_remote_via_irq(READ_ONCE(ep->irq));
		return 0;
	}
	/* A pair bell rings without the lock too (its own spinlock, bell.c). */
	if (cmd == MYRIXEN_IOC_BELL_RING)
		return READ_ONCE(ep->opened) ? mxs_bell_ring(ep, arg) : -EBADFD;
	if (cmd == MYRIXEN_IOC_FEATURES)
		return mxs_ioctl_features(uarg);
	mutex_lock(&ep->lock);
	switch (cmd) {
	case MYRIXEN_IOC_OPEN:
		err = mxs_ioctl_open(ep, uarg);
		break;
	case MYRIXEN_IOC_INFO:
		err = ep->opened ? 0 : -EBADFD;
		if (!err && copy_to_user(uarg, &ep->rsp, sizeof(ep->rsp)))
			err = -EFAULT;
		break;
	case MYRIXEN_IOC_REATTACH:
		err = ep->opened ? mxs_ioctl_reattach(ep, uarg) : -EBADFD;
		break;
	case MYRIXEN_IOC_REG_REGION:
		err = ep->opened ? mxs_ioctl_region(ep, uarg) : -EBADFD;
		break;
	case MYRIXEN_IOC_DEREG_REGION:
		err = ep->opened ? 0 : -EBADFD;
		if (!err && copy_from_user(&handle, uarg, sizeof(handle)))
			err = -EFAULT;
		if (!err)
			err = mxs_region_deregister(ep, handle);
		break;
	case MYRIXEN_IOC_BELL_BIND:
		err = ep->opened ? mxs_ioctl_bell(ep, uarg) : -EBADFD;
		break;
	case MYRIXEN_IOC_BELL_UNBIND:
		err = ep->opened ? mxs_bell_unbind(ep, arg) : -EBADFD;
		break;
	case MYRIXEN_IOC_PEER_MAP:
		err = ep->opened ? mxs_ioctl_peer_map(ep, uarg) : -EBADFD;
		break;
	case MYRIXEN_IOC_PEER_UNMAP:
		err = ep->opened ? mxs_peer_map_del(ep, arg) : -EBADFD;
		break;
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&ep->lock);
	return err;
}

static int mxs_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct mxs_ep *ep = file->private_data;
	int err;

	mutex_lock(&ep->lock);
	err = ep->opened ? mxs_ep_mmap(ep, vma) : -EBADFD;
	mutex_unlock(&ep->lock);
	return err;
}

static ssize_t mxs_read(struct file *file, char __user *buf, size_t len, loff_t *off)
{
	struct mxs_ep *ep = file->private_data;

	if (len < sizeof(u64))
		return -EINVAL;
	if (!READ_ONCE(ep->opened))
		return -EBADFD;
	return mxs_ep_read_irqs(ep, (u64 __user *)buf, file->f_flags & O_NONBLOCK);
}

static __poll_t mxs_poll(struct file *file, poll_table *pt)
{
	struct mxs_ep *ep = file->private_data;

	poll_wait(file, &ep->wq, pt);
	return READ_ONCE(ep->opened) ? mxs_ep_poll(ep) : 0;
}

const struct file_operations mxs_fops = {
	.read = mxs_read,
	.poll = mxs_poll,
	.owner = THIS_MODULE,
	.open = mxs_open,
	.release = mxs_release,
	.unlocked_ioctl = mxs_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = mxs_mmap,
	.llseek = no_llseek,
};

static struct miscdevice mxs_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "myrixen",
	.fops = &mxs_fops,
	.mode = 0666,
};

static int __init mxs_init(void)
{
	int err;

	if (!xen_domain() || xen_initial_domain())
		return -ENODEV;
	if (mxs_max_endpoints == 0 || mxs_max_endpoints > MXS_SLOTS_MAX)
		mxs_max_endpoints = MXS_SLOTS_MAX;
	err = misc_register(&mxs_misc);
	if (err)
		return err;
	err = mxs_front_register();
	if (err)
		misc_deregister(&mxs_misc);
	else
		pr_info("myrixen: shim loaded (abi %u, %s guest)\n", MYRIXEN_ABI_VERSION,
			xen_pv_domain() ? "PV" : "HVM/PVH");
	return err;
}

static void __exit mxs_exit(void)
{
	misc_deregister(&mxs_misc);
	mxs_front_unregister();
}

module_init(mxs_init);
module_exit(mxs_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_DESCRIPTION("myrixen: MX message passing between Xen guests (guest shim)");
MODULE_ALIAS("xen:myrixen");
