/* SPDX-License-Identifier: MIT */
/* Parsing and checking a guest's open request: pure, see open_req.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "open_req.h"

const char *const mxd_xen_open_nodes[MXD_XO_NFIELDS] = {
	[MXD_XO_ABI] = "abi-version", [MXD_XO_KEY] = "key", [MXD_XO_ENDPOINT] = "endpoint",
	[MXD_XO_CMD_ORDER] = "cmd-order", [MXD_XO_EVT_ORDER] = "evt-order",
	[MXD_XO_SENDQ] = "sendq-size", [MXD_XO_RECVQ] = "recvq-size",
	[MXD_XO_PAGES] = "area-pages", [MXD_XO_PORT] = "event-channel",
	[MXD_XO_DIR_REFS] = "dir-refs", [MXD_XO_SESSION] = "session",
};

int mxd_xs_parse_u32(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int mxd_xen_parse_refs(const char *s, uint32_t *refs, uint32_t max, uint32_t *n)
{
	char tok[16];
	uint32_t k = 0;
	size_t len;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		len = strcspn(s, " ");
		if (len == 0 || len >= sizeof(tok) || k == max)
			return -EINVAL;
		memcpy(tok, s, len);
		tok[len] = 0;
		if (mxd_xs_parse_u32(tok, &refs[k++]))
			return -EINVAL;
		s += len;
		if (*s == ' ' && !*++s)
			return -EINVAL; /* trailing blank */
	}
	*n = k;
	return 0;
}

int mxd_xen_open_parse(const char *const val[MXD_XO_NFIELDS], uint32_t max_sendq,
		       uint32_t max_recvq, struct mxd_xen_open *o)
{
	uint32_t *num[MXD_XO_DIR_REFS] = {
		&o->abi, &o->key, &o->endpoint, &o->cmd_order, &o->evt_order,
		&o->sendq_size, &o->recvq_size, &o->npages, &o->port,
	};
	uint32_t i;

	for (i = 0; i < MXD_XO_DIR_REFS; i++)
		if (mxd_xs_parse_u32(val[i], num[i]))
			return -EINVAL;
	if (mxd_xen_parse_refs(val[MXD_XO_DIR_REFS], o->dir, MXD_XEN_DIR_MAX, &o->ndir))
		return -EINVAL;
	if (o->abi != MYRIXEN_ABI_VERSION)
		return -EPROTO;
	if (o->endpoint >= MXN_ENDPOINTS_MAX && o->endpoint != MXN_ENDPOINT_ANY)
		return -EINVAL;
	o->session = 0;
	if (val[MXD_XO_SESSION] && (mxd_xs_parse_u32(val[MXD_XO_SESSION], &o->session) ||
				    !o->session || o->endpoint == MXN_ENDPOINT_ANY))
		return -EINVAL;
	if (o->sendq_size > max_sendq || o->recvq_size > max_recvq)
		return -E2BIG;
	if (mxn_layout_compute(&o->geo, o->cmd_order, o->evt_order, o->sendq_size,
			       o->recvq_size))
		return -EINVAL;
	if ((uint64_t)o->npages * MXN_PAGE_SIZE != o->geo.area_size ||
	    o->ndir != (o->npages + MXD_XEN_REFS_PER_PAGE - 1) / MXD_XEN_REFS_PER_PAGE)
		return -EINVAL;
	return 0;
}

int mxd_xen_claim_check(const char *record, uint32_t session, const char *owner)
{
	const char *sp = record ? strchr(record, ' ') : NULL;
	char num[16];
	uint32_t kept;

	if (!sp || !owner || !owner[0] || (size_t)(sp - record) >= sizeof(num))
		return -ESTALE;
	memcpy(num, record, (size_t)(sp - record));
	num[sp - record] = '\0';
	if (mxd_xs_parse_u32(num, &kept) || !kept || kept != session || strcmp(sp + 1, owner))
		return -ESTALE;
	return 0;
}
