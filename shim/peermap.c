// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Peer mappings (include/myrixen/shim.h MYRIXEN_IOC_PEER_MAP): ranges of a
 * process that map another guest's pages (side 1 of a Xen pair channel,
 * through xen-gntdev), replaced by zeroed private memory when this guest
 * suspends.
 *
 * Why: the save leaves out every page table that holds another domain's
 * frame, so a process that still maps one at the save runs after the
 * restore on a page table that no longer exists (SIGBUS, "Bad rss-counter
 * state", a failed pin of its page tables: lib/README.md).  User space
 * cannot act in time (the freeze follows the suspend request at once), so
 * the shim does it from the xenbus suspend callback, after the freeze: in a
 * worker (a kernel thread may borrow a process's mm) it maps anonymous
 * memory over the range with MAP_FIXED, which unmaps the gntdev VMA; gntdev
 * ends its grant mappings on that unmap as on any munmap.  The frozen
 * process never notices until it runs again, and then reads zeroes.
 *
 * Locking: mxs_front.lock guards the list of all peer maps the suspend
 * walks; each entry holds its mm by mmgrab (the struct stays), and the
 * suspend takes mmget_not_zero (the address space stays) before it lets
 * go of the lock.
 */
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "mxs.h"

struct mxs_peer_map {
	struct list_head link;        /* in mxs_front.peer_maps */
	struct mm_struct *mm;         /* the registrant's, mmgrab'ed */
	unsigned long addr, len;
};

int mxs_peer_map_add(struct mxs_ep *ep, struct mxn_shim_peer_map *pm)
{
	struct mxs_peer_map *m;
	u32 id;
	int err;

	if (pm->pad0 || pm->pad1 || !pm->len || pm->len > MXN_SHIM_PEER_MAP_MAX ||
	    !PAGE_ALIGNED(pm->addr) || !PAGE_ALIGNED(pm->len) || pm->addr >= TASK_SIZE ||
	    pm->len > TASK_SIZE - pm->addr)
		return -EINVAL;
	if (!current->mm)
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->addr = pm->addr;
	m->len = pm->len;
	err = xa_alloc(&ep->peer_maps, &id, m, XA_LIMIT(1, MXN_PAIRS_MAX), GFP_KERNEL);
	if (err) {
		kfree(m);
		return err == -EBUSY ? -EMFILE : err;
	}
	mmgrab(current->mm);
	m->mm = current->mm;
	mutex_lock(&mxs_front.lock);
	list_add_tail(&m->link, &mxs_front.peer_maps);
	mxs_front.peer_maps_added++;
	mutex_unlock(&mxs_front.lock);
	pm->id = id;
	return 0;
}

int mxs_peer_map_del(struct mxs_ep *ep, unsigned long id)
{
	struct mxs_peer_map *m;

	if (id > MXN_PAIRS_MAX)
		return -ENOENT;
	m = xa_erase(&ep->peer_maps, id);
	if (!m)
		return -ENOENT;
	mutex_lock(&mxs_front.lock);
	list_del(&m->link);
	mutex_unlock(&mxs_front.lock);
	mmdrop(m->mm);
	kfree(m);
	return 0;
}

void mxs_peer_map_release_all(struct mxs_ep *ep)
{
	struct mxs_peer_map *m;
	unsigned long id;

	xa_for_each(&ep->peer_maps, id, m)
		(void)mxs_peer_map_del(ep, id);
	xa_destroy(&ep->peer_maps);
}

/* What the suspend replaces, taken out of the list under the lock. */
struct mxs_peer_drop {
	struct work_struct work;
	unsigned int n;
	struct {
		struct mm_struct *mm;  /* mmget'ed */
		unsigned long addr, len;
	} r[];
};

/* In a worker: a kernel thread with no mm of its own may borrow one. */
static void mxs_peer_drop_work(struct work_struct *w)
{
	struct mxs_peer_drop *d = container_of(w, struct mxs_peer_drop, work);
	unsigned long a;

	for (unsigned int i = 0; i < d->n; i++) {
		kthread_use_mm(d->r[i].mm);
		a = vm_mmap(NULL, d->r[i].addr, d->r[i].len, PROT_READ | PROT_WRITE,
			    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, 0);
		kthread_unuse_mm(d->r[i].mm);
		mmput(d->r[i].mm);
		if (a == d->r[i].addr) {
			mxs_front.peer_maps_dropped++;
		} else {
			mxs_front.peer_maps_failed++;
			pr_warn_ratelimited("myrixen: a peer mapping stays across the suspend (%ld)\n",
					    (long)a);
		}
	}
}

/*
 * The guest is suspending (save, migration, checkpoint) and every process
 * is frozen: no range may still map a peer's page when it stops.  Called
 * from the xenbus .suspend without mxs_front.lock.
 */
void mxs_peer_maps_drop(void)
{
	struct mxs_peer_map *m;
	struct mxs_peer_drop *d;
	unsigned int n = 0;

	mutex_lock(&mxs_front.lock);
	list_for_each_entry(m, &mxs_front.peer_maps, link)
		n++;
	d = n ? kzalloc(struct_size(d, r, n), GFP_KERNEL) : NULL;
	if (n && !d)
		mxs_front.peer_maps_failed += n;
	list_for_each_entry(m, &mxs_front.peer_maps, link) {
		if (!d)
			break;
		if (!mmget_not_zero(m->mm))
			continue; /* the process is exiting: its mappings go with it */
		d->r[d->n].mm = m->mm;
		d->r[d->n].addr = m->addr;
		d->r[d->n].len = m->len;
		d->n++;
	}
	mutex_unlock(&mxs_front.lock);
	if (!d)
		return;
	INIT_WORK(&d->work, mxs_peer_drop_work);
	queue_work(system_unbound_wq, &d->work);
	flush_work(&d->work);
	kfree(d);
}
