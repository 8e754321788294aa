/* SPDX-License-Identifier: MIT */
/*
 * Copy between a daemon buffer and a MXN_REGION_VADDR region of another
 * process with process_vm_readv/writev (the local transport's region ops).
 * Error convention: 0 or -errno (-EFAULT when the process does not own the
 * memory or moved less than asked, -ESRCH when it is gone, -EPERM).
 */
#ifndef MXD_REGION_VADDR_H
#define MXD_REGION_VADDR_H

#include <stdbool.h>
#include <sys/types.h>
#include "transport.h"

int mxd_vaddr_region_copy(pid_t pid, const struct mxd_region *r, uint64_t off, void *buf,
			  size_t len, bool to_region);

#endif /* MXD_REGION_VADDR_H */
