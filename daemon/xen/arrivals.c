/* SPDX-License-Identifier: MIT */
/* New domains among the live ones: see arrivals.h. */
#include <stdbool.h>
#include "arrivals.h"

static bool test_bit(const struct mxd_xen_seen *s, uint32_t id)
{
	return (s->bits[id / 64] >> (id % 64)) & 1u;
}

uint32_t mxd_xen_arrivals(struct mxd_xen_seen *s, const uint32_t *present, uint32_t n,
			  uint32_t *out)
{
	struct mxd_xen_seen now = { { 0 } };
	uint32_t i, id, k = 0;

	for (i = 0; i < n; i++) {
		id = present[i];
		if (id == 0 || id > MXD_XEN_DOMID_MAX || test_bit(&now, id))
			continue;
		now.bits[id / 64] |= 1ull << (id % 64);
		if (!test_bit(s, id))
			out[k++] = id;
	}
	*s = now; /* the gone are forgotten: their ids are new when reused */
	return k;
}
