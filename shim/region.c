// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Registered memory: the user pages of a large (or synchronous) message are
 * pinned and granted to the backend page by page; the caller gets the
 * mxn_grant_seg list it puts in its region descriptor.  Pins are bounded
 * per endpoint (max_pinned_mb) and all dropped when the file closes.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <xen/page.h>
#include "mxs.h"

static void mxs_region_free(struct mxs_ep *ep, struct mxs_region *reg)
{
	unsigned int i;

	for (i = 0; i < reg->npages; i++) {
		if (reg->grefs[i] == INVALID_GRANT_REF)
			break;
		/* The backend uses grant copy, never a mapping, so this ends at
		 * once; if it still had it mapped the grant table keeps its own
		 * page reference until it is unmapped. */
		gnttab_end_foreign_access(reg->grefs[i], NULL);
	}
	if (reg->pages) {
		unsigned int pinned = 0;

		while (pinned < reg->npages && reg->pages[pinned])
			pinned++;
		unpin_user_pages(reg->pages, pinned);
		ep->pinned_pages -= pinned;
	}
	kvfree(reg->pages);
	kvfree(reg->grefs);
	kfree(reg);
}

static int mxs_region_count(const struct mxn_vaddr_seg *v, u32 n, unsigned long *pages)
{
	unsigned long total = 0;
	u32 i;

	for (i = 0; i < n; i++) {
		u64 end = v[i].addr + v[i].len;

		if (!v[i].len)
			continue;
		if (end < v[i].addr || end > TASK_SIZE_MAX)
			return -EFAULT;
		total += ((end - 1) >> PAGE_SHIFT) - (v[i].addr >> PAGE_SHIFT) + 1;
		if (total > MXN_REGION_GRANT_SEGS_MAX)
			return -E2BIG;
	}
	*pages = total;
	return 0;
}

static int mxs_region_pin(struct mxs_ep *ep, struct mxs_region *reg, unsigned int at, u64 addr,
			  unsigned int n, bool readonly)
{
	unsigned int done = 0;
	int got;

	while (done < n) {
		got = pin_user_pages_fast((addr & PAGE_MASK) + ((u64)done << PAGE_SHIFT),
					  n - done, (readonly ? 0 : FOLL_WRITE) | FOLL_LONGTERM,
					  reg->pages + at + done);
		if (got <= 0)
			return got ? got : -EFAULT;
		done += got;
		ep->pinned_pages += got; /* mxs_region_free subtracts what it unpins */
	}
	return 0;
}

/* Pin and grant every page, filling the grant segment list in order. */
static int mxs_region_build(struct mxs_ep *ep, struct mxs_region *reg,
			    const struct mxn_vaddr_seg *v, u32 nv,
			    struct mxn_grant_seg *g, bool readonly, domid_t backend)
{
	unsigned int k = 0, i, j, n;
	int err, ref;

	for (i = 0; i < nv; i++) {
		u64 addr = v[i].addr, left = v[i].len;

		if (!left)
			continue;
		n = ((addr + left - 1) >> PAGE_SHIFT) - (addr >> PAGE_SHIFT) + 1;
		err = mxs_region_pin(ep, reg, k, addr, n, readonly);
		if (err)
			return err;
		for (j = 0; j < n; j++, k++) {
			unsigned int off = j ? 0 : addr & ~PAGE_MASK;
			unsigned int len = min_t(u64, PAGE_SIZE - off, left);

			ref = gnttab_grant_foreign_access(backend, xen_page_to_gfn(reg->pages[k]),
							  readonly);
			if (ref < 0)
				return ref;
			reg->grefs[k] = ref;
			g[k].gref = ref;
			g[k].offset = off;
			g[k].len = len;
			left -= len;
		}
	}
	return 0;
}

int mxs_region_register(struct mxs_ep *ep, struct mxn_shim_region *r)
{
	struct mxn_vaddr_seg *v = NULL;
	struct mxn_grant_seg *g = NULL;
	struct mxs_region *reg = NULL;
	bool readonly = r->flags & MXN_SHIM_REGION_READONLY;
	unsigned long npages = 0, i;
	u32 handle;
	int err;

	if (r->nvsegs == 0 || r->nvsegs > MXN_REGION_VADDR_SEGS_MAX ||
	    (r->flags & ~MXN_SHIM_REGION_READONLY))
		return -EINVAL;
	if (atomic_read(&ep->dead))
		return -ENOTCONN;
	v = memdup_user(u64_to_user_ptr(r->vsegs), r->nvsegs * sizeof(*v));
	if (IS_ERR(v))
		return PTR_ERR(v);
	err = mxs_region_count(v, r->nvsegs, &npages);
	if (err)
		goto out;
	err = -E2BIG;
	if (npages == 0 || npages > r->max_gsegs)
		goto out;
	err = -ENOBUFS;
	if (ep->pinned_pages + npages > (unsigned long)mxs_max_pinned_mb << (20 - PAGE_SHIFT))
		goto out;
	err = -ENOMEM;
	reg = kzalloc(sizeof(*reg), GFP_KERNEL);
	g = kvcalloc(npages, sizeof(*g), GFP_KERNEL);
	if (!reg || !g)
		goto out;
	reg->npages = npages;
	reg->pages = kvcalloc(npages, sizeof(*reg->pages), GFP_KERNEL);
	reg->grefs = kvcalloc(npages, sizeof(*reg->grefs), GFP_KERNEL);
	if (!reg->pages || !reg->grefs)
		goto out;
	for (i = 0; i < npages; i++)
		reg->grefs[i] = INVALID_GRANT_REF;
	err = mxs_region_build(ep, reg, v, r->nvsegs, g, readonly, ep->backend_id);
	if (err)
		goto out;
	err = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(r->gsegs), g, npages * sizeof(*g)))
		goto out;
	err = xa_alloc(&ep->regions, &handle, reg, xa_limit_31b, GFP_KERNEL);
	if (err)
		goto out;
	reg->handle = handle;
	r->handle = handle;
	r->ngsegs = npages;
	reg = NULL;
out:
	if (reg)
		mxs_region_free(ep, reg);
	kvfree(g);
	kfree(v);
	return err;
}

int mxs_region_deregister(struct mxs_ep *ep, u32 handle)
{
	struct mxs_region *reg = xa_erase(&ep->regions, handle);

	if (!reg)
		return -ENOENT;
	mxs_region_free(ep, reg);
	return 0;
}

void mxs_region_release_all(struct mxs_ep *ep)
{
	struct mxs_region *reg;
	unsigned long idx;

	xa_for_each(&ep->regions, idx, reg) {
		xa_erase(&ep->regions, idx);
		mxs_region_free(ep, reg);
	}
}
