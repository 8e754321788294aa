/* SPDX-License-Identifier: MIT */
/* process_vm_readv/writev over a validated vaddr region (see region_vaddr.h). */
#include <errno.h>
#include <sys/uio.h>
#include "region_vaddr.h"
#include "validate.h"

int mxd_vaddr_region_copy(pid_t pid, const struct mxd_region *r, uint64_t off, void *buf,
			  size_t len, bool to_region)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote[MXN_REGION_VADDR_SEGS_MAX];
	uint64_t seg_off;
	uint32_t seg, n = 0;
	size_t left = len;
	ssize_t done;

	if (r->kind != MXN_REGION_VADDR || off > r->total_len || len > r->total_len - off)
		return -ERANGE;
	if (!len)
		return 0;
	if (mxd_region_seek(r, off, &seg, &seg_off))
		return -ERANGE;
	for (; seg < r->nsegs && left; seg++, seg_off = 0) {
		uint64_t avail = r->seg.vaddr[seg].len - seg_off;
		size_t take = avail < left ? (size_t)avail : left;

		remote[n].iov_base = (void *)(uintptr_t)(r->seg.vaddr[seg].addr + seg_off);
		remote[n].iov_len = take;
		n++;
		left -= take;
	}
	done = to_region ? process_vm_writev(pid, &local, 1, remote, n, 0)
			 : process_vm_readv(pid, &local, 1, remote, n, 0);
	if (done < 0)
		return errno == ESRCH || errno == EPERM ? -errno : -EFAULT;
	/* A partial transfer means a segment crossed into unmapped memory. */
	return (size_t)done == len ? 0 : -EFAULT;
}
