/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "transport.h"

const struct mxl_transport_ops *mxl_transport_select(void)
{
#ifdef MXL_HAVE_XEN_TRANSPORT
	if (access("/dev/myrixen", F_OK) == 0)
		return &mxl_transport_xen;
#endif
	return &mxl_transport_local;
}

uint32_t mxl_region_vaddr_size(const struct mxl_iov *iov, uint32_t niov)
{
	uint32_t i, n = 0;

	for (i = 0; i < niov; i++)
		n += iov[i].len != 0;
	return (uint32_t)(sizeof(struct mxn_region_desc) + n * sizeof(struct mxn_vaddr_seg));
}

int mxl_region_vaddr(const struct mxl_iov *iov, uint32_t niov, void *buf, uint32_t cap,
		     uint32_t *len)
{
	struct mxn_region_desc d;
	struct mxn_vaddr_seg s;
	uint32_t i, need = mxl_region_vaddr_size(iov, niov);
	unsigned char *p = buf;

	if (need > cap)
		return -ENOSPC;
	if (niov > MXN_REGION_VADDR_SEGS_MAX)
		return -E2BIG;
	memset(&d, 0, sizeof(d));
	d.kind = MXN_REGION_VADDR;
	p += sizeof(d);
	for (i = 0; i < niov; i++) {
		if (!iov[i].len)
			continue;
		s.addr = (uint64_t)(uintptr_t)iov[i].base;
		s.len = iov[i].len;
		memcpy(p, &s, sizeof(s));
		p += sizeof(s);
		d.nsegs++;
		d.total_len += s.len;
	}
	if (d.total_len > MXN_LARGE_MAX)
		return -E2BIG;
	memcpy(buf, &d, sizeof(d));
	*len = need;
	return 0;
}

uint32_t mxl_env_u32(const char *name, uint32_t dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return dflt;
	n = strtoul(v, &end, 0);
	return *end || n > UINT32_MAX ? dflt : (uint32_t)n;
}
