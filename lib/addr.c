/* SPDX-License-Identifier: MIT */
/*
 * mx_endpoint_addr_t packing.  Word 0: nic id (48 bits) | endpoint << 48 |
 * valid bit 63.  Word 1: daemon peer index (16 bits) | session << 16.  The
 * address is everything a send needs, so replying to status.source works
 * without mx_connect.
 */
#include <string.h>
#include "mxl.h"

#define MXL_ADDR_VALID (1ull << 63)
#define MXL_NIC_MASK 0xffffffffffffull

void mxl_addr_pack(const struct mxl_addr *a, mx_endpoint_addr_t *out)
{
	memset(out, 0, sizeof(*out));
	out->stuff[0] = (a->nic_id & MXL_NIC_MASK) | ((uint64_t)a->endpoint << 48) | MXL_ADDR_VALID;
	out->stuff[1] = (uint64_t)a->peer | ((uint64_t)a->session << 16);
}

bool mxl_addr_unpack(const mx_endpoint_addr_t *in, struct mxl_addr *a)
{
	a->valid = (in->stuff[0] & MXL_ADDR_VALID) != 0;
	a->nic_id = in->stuff[0] & MXL_NIC_MASK;
	a->endpoint = (uint8_t)(in->stuff[0] >> 48);
	a->peer = (uint16_t)in->stuff[1];
	a->session = (uint32_t)(in->stuff[1] >> 16);
	return a->valid;
}

void mxl_addr_from_source(const struct mxl_source *s, mx_endpoint_addr_t *out)
{
	struct mxl_addr a = {
		.nic_id = s->nic_id, .session = s->session, .peer = s->peer,
		.endpoint = s->endpoint, .valid = true,
	};

	mxl_addr_pack(&a, out);
}

MXL_EXPORT mx_return_t mx_decompose_endpoint_addr(mx_endpoint_addr_t endpoint_addr,
						  uint64_t *nic_id, uint32_t *endpoint_id)
{
	struct mxl_addr a;

	if (!mxl_addr_unpack(&endpoint_addr, &a))
		return mxl_error(NULL, "mx_decompose_endpoint_addr", MX_BAD_ENDPOINT);
	if (nic_id)
		*nic_id = a.nic_id;
	if (endpoint_id)
		*endpoint_id = a.endpoint;
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_get_endpoint_addr(mx_endpoint_t ep, mx_endpoint_addr_t *endpoint_addr)
{
	struct mxl_addr a;

	if (!ep || !endpoint_addr)
		return mxl_error(ep, "mx_get_endpoint_addr", MX_BAD_ENDPOINT);
	a.nic_id = ep->info.nic_id;
	a.session = ep->info.session;
	a.peer = MXN_PEER_SELF;
	a.endpoint = ep->info.endpoint;
	a.valid = true;
	mxl_addr_pack(&a, endpoint_addr);
	return MX_SUCCESS;
}
