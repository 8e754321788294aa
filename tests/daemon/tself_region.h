/* Region callbacks for tests whose "guests" live in the test process
 * itself: the daemon's vaddr copy aimed at our own pid. */
#ifndef TSELF_REGION_H
#define TSELF_REGION_H

#include <stdint.h>
#include <unistd.h>
#include "core.h"
#include "region_vaddr.h"

static inline int tself_region_read(struct mxd_endpoint *ep, const struct mxd_region *r,
				    uint64_t off, void *buf, size_t len)
{
	(void)ep;
	return mxd_vaddr_region_copy(getpid(), r, off, buf, len, false);
}

static inline int tself_region_write(struct mxd_endpoint *ep, const struct mxd_region *r,
				     uint64_t off, const void *buf, size_t len)
{
	(void)ep;
	return mxd_vaddr_region_copy(getpid(), r, off, (void *)(uintptr_t)buf, len, true);
}

#endif /* TSELF_REGION_H */
