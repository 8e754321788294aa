// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The suspend page (include/myrixen/shim.h MXN_SHIMF_SUSPENDS): a count of
 * this guest's suspends that processes map read-only, so a library can
 * tell, around each write into a Xen pair channel and without a system
 * call, whether the guest was frozen for a save or a migration meanwhile
 * (the write may then be lost: lib/README.md).
 *
 * One zeroed kernel page for the whole module, inserted into each mapping
 * (vm_insert_page takes a reference, so a mapping outlives the module's
 * own).  Written only from the xenbus suspend callback, while every
 * process is frozen: a process never sees the count move under it, only
 * between two of its instructions, which is what it asks about.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include "mxs.h"

static struct page *mxs_susp_page;

int mxs_suspends_init(void)
{
	mxs_susp_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	return mxs_susp_page ? 0 : -ENOMEM;
}

void mxs_suspends_exit(void)
{
	if (mxs_susp_page)
		put_page(mxs_susp_page);
	mxs_susp_page = NULL;
}

/* Processes are frozen (xenbus .suspend): one more suspend. */
void mxs_suspends_bump(void)
{
	struct mxn_shim_suspends *s = page_address(mxs_susp_page);

	WRITE_ONCE(s->suspends, s->suspends + 1);
}

bool mxs_suspends_is_mmap(const struct vm_area_struct *vma)
{
	return vma->vm_pgoff == MXN_SHIM_SUSPENDS_PGOFF;
}

/* One page, shared, never writable. */
int mxs_suspends_mmap(struct vm_area_struct *vma)
{
	if (vma_pages(vma) != 1 || !(vma->vm_flags & VM_SHARED) || (vma->vm_flags & VM_WRITE))
		return -EINVAL;
	vma->vm_flags &= ~VM_MAYWRITE;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY;
	return vm_insert_page(vma, vma->vm_start, mxs_susp_page);
}
