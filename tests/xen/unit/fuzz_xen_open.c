/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer entry for the daemon's open-request parser: the input is split
 * at '\n' into the request's node values (fewer lines = missing nodes).
 * An accepted request must describe a consistent area.
 */
#include <stdlib.h>
#include <string.h>
#include "open_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *val[MXD_XO_NFIELDS] = { 0 };
	struct mxd_xen_open o;
	char *buf = malloc(size + 1), *p;
	int i;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	for (i = 0, p = buf; i < MXD_XO_NFIELDS && p; i++) {
		val[i] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = 0;
	}
	if (mxd_xen_open_parse(val, 16u << 20, 16u << 20, &o) == 0) {
		if ((uint64_t)o.npages * MXN_PAGE_SIZE != o.geo.area_size || o.ndir == 0 ||
		    o.ndir > MXD_XEN_DIR_MAX || o.geo.recvq_off + o.geo.recvq_size != o.geo.area_size)
			abort();
	}
	free(buf);
	return 0;
}
