/* SPDX-License-Identifier: MIT */
/* Command and region-descriptor validation (see validate.h).  Pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "validate.h"

/* [off, off + len) lies inside a queue of 'size' bytes, without overflow. */
static int in_queue(uint32_t off, uint32_t len, uint32_t size)
{
	if (off >= size || len > size - off)
		return -ERANGE;
	return 0;
}

static uint32_t seg_size(uint32_t kind)
{
	return kind == MXN_REGION_VADDR ? sizeof(struct mxn_vaddr_seg)
					: sizeof(struct mxn_grant_seg);
}

static uint32_t seg_max(uint32_t kind)
{
	return kind == MXN_REGION_VADDR ? MXN_REGION_VADDR_SEGS_MAX : MXN_REGION_GRANT_SEGS_MAX;
}

/* The descriptor length bounds that do not need the descriptor itself. */
static int check_desc_len(uint32_t off, uint32_t len, const struct mxd_cmd_limits *lim)
{
	uint32_t kind = lim->region_kind;

	if (kind != MXN_REGION_VADDR && kind != MXN_REGION_GRANT)
		return -EOPNOTSUPP;
	/* a header alone is the empty region (see mxd_region_copy) */
	if (len < sizeof(struct mxn_region_desc) ||
	    len > sizeof(struct mxn_region_desc) + seg_size(kind) * seg_max(kind) ||
	    (len - sizeof(struct mxn_region_desc)) % seg_size(kind))
		return -EINVAL;
	return in_queue(off, len, lim->sendq_size);
}

void mxd_cmd_clear_reserved(struct mxn_cmd *c)
{
	c->pad = 0;
	switch (c->op) {
	case MXN_CMD_NOP:
	case MXN_CMD_WAKE:
		memset(&c->u, 0, sizeof(c->u));
		break;
	case MXN_CMD_CONNECT:
		memset(c->u.connect.pad, 0, sizeof(c->u.connect.pad));
		break;
	case MXN_CMD_DISCONNECT:
		memset(c->u.connect.pad, 0, sizeof(c->u.connect.pad));
		c->u.connect.proof = 0;
		c->u.connect.moved_from = 0;
		break;
	case MXN_CMD_SEND_QUEUED:
		c->u.q.pad0 = 0;
		memset(c->u.q.pad1, 0, sizeof(c->u.q.pad1));
		break;
	case MXN_CMD_SEND_RNDV:
		if (!(c->flags & MXN_CMDF_STAGED))
			c->u.rndv.staged_off = 0;
		c->u.rndv.pad0 = 0;
		memset(c->u.rndv.pad, 0, sizeof(c->u.rndv.pad));
		break;
	case MXN_CMD_PULL:
		memset(c->u.pull.pad, 0, sizeof(c->u.pull.pad));
		break;
	case MXN_CMD_PULL_WIRE:
		c->u.wpull.pad0 = 0;
		break;
	case MXN_CMD_LOOKUP:
		memset(c->u.lookup.pad, 0, sizeof(c->u.lookup.pad));
		break;
	case MXN_CMD_REGION_NEXT:
		c->u.window.pad0 = 0;
		memset(c->u.window.pad1, 0, sizeof(c->u.window.pad1));
		break;
	case MXN_CMD_PAIR_FAULT:
		c->u.pair.pad0 = 0;
		memset(c->u.pair.pad1, 0, sizeof(c->u.pair.pad1));
		break;
	case MXN_CMD_PAIR_XEN:
		/* The daemon names the peer, never the guest. */
		c->u.xpair.peer_session = 0;
		c->u.xpair.peer_endpoint = 0;
		c->u.xpair.peer_domid = 0;
		break;
	}
}

/* Reserved bytes must be zero (abi.h): a sender that sets one is refused,
 * so a later ABI version can give them a meaning without ambiguity. */
static int check_reserved(const struct mxn_cmd *c)
{
	struct mxn_cmd z = *c;

	mxd_cmd_clear_reserved(&z);
	return memcmp(&z, c, sizeof(z)) ? -EINVAL : 0;
}

int mxd_cmd_validate(const struct mxn_cmd *c, const struct mxd_cmd_limits *lim)
{
	uint8_t allowed_flags = 0;
	int err = -EINVAL;

	if (c->op == MXN_CMD_SEND_RNDV)
		allowed_flags = MXN_CMDF_SYNC | MXN_CMDF_STAGED;
	else if (c->op == MXN_CMD_SEND_TINY || c->op == MXN_CMD_SEND_QUEUED)
		allowed_flags = MXN_CMDF_QUIET | MXN_CMDF_WIRE_SEQ;
	if (c->op == MXN_CMD_PULL || c->op == MXN_CMD_PULL_WIRE)
		allowed_flags = MXN_CMDF_DIRECT | MXN_CMDF_STAGED;
	if (c->flags & ~allowed_flags)
		goto out;
	switch (c->op) {
	case MXN_CMD_NOP:
	case MXN_CMD_WAKE:
	case MXN_CMD_PAIR_FAULT:
	case MXN_CMD_PAIR_XEN:
		err = c->length ? -EINVAL : 0;
		break;
	case MXN_CMD_CONNECT:
	case MXN_CMD_DISCONNECT:
		err = c->length || c->u.connect.nic_id >> 48 || c->u.connect.moved_from >> 48 ?
		      -EINVAL : 0;
		break;
	case MXN_CMD_SEND_TINY:
		err = c->length > MXN_TINY_MAX ? -E2BIG : 0;
		break;
	case MXN_CMD_SEND_QUEUED:
		err = -E2BIG;
		if (c->length > lim->medium_max || c->length > MXN_MEDIUM_MAX_LIMIT)
			break;
		err = -EINVAL;
		if (c->length <= MXN_TINY_MAX)
			break; /* tiny rides in the slot; a queued tiny is a library bug */
		err = in_queue(c->u.q.off, c->length, lim->sendq_size);
		break;
	case MXN_CMD_SEND_RNDV:
		/* Any 32-bit length (MXN_LARGE_MAX); the region is checked. */
		err = check_desc_len(c->u.rndv.desc_off, c->u.rndv.desc_len, lim);
		/* staged: the message's copy lies wholly in the sendq */
		if (!err && (c->flags & MXN_CMDF_STAGED))
			err = in_queue(c->u.rndv.staged_off, c->length, lim->sendq_size);
		break;
	case MXN_CMD_PULL:
		err = c->length ? -EINVAL : 0;
		if (!err)
			err = check_desc_len(c->u.pull.desc_off, c->u.pull.desc_len, lim);
		break;
	case MXN_CMD_PULL_WIRE:
		/* the sender is the library's word: the engine checks it is
		 * a native node this endpoint is connected to */
		err = c->length || c->u.wpull.nic_id >> 48 ? -EINVAL : 0;
		if (!err)
			err = check_desc_len(c->u.wpull.desc_off, c->u.wpull.desc_len, lim);
		break;
	case MXN_CMD_REGION_NEXT:
		err = c->length || c->u.window.offset % MXN_RNDV_WINDOW ? -EINVAL : 0;
		if (!err)
			err = check_desc_len(c->u.window.desc_off, c->u.window.desc_len, lim);
		break;
	case MXN_CMD_PULL_FIN:
		err = c->length || c->u.fin.status >= MXN_ST_STATUS_MAX ? -EINVAL : 0;
		if (!err && c->u.fin.xfer_length > MXN_LARGE_MAX)
			err = -E2BIG;
		break;
	case MXN_CMD_LOOKUP:
		err = c->length || c->u.lookup.nic_id >> 48 ? -EINVAL : 0;
		if (err || c->u.lookup.nic_id)
			break;
		err = -EINVAL;
		if (!c->u.lookup.name_len || c->u.lookup.name_len > MXN_HOSTNAME_MAX)
			break;
		err = in_queue(c->u.lookup.name_off, c->u.lookup.name_len, lim->sendq_size);
		break;
	default:
		err = -EOPNOTSUPP;
		break;
	}
	if (!err)
		err = check_reserved(c);
out:
	return err;
}

static int check_segs(const struct mxd_region *r)
{
	uint64_t sum = 0;
	uint32_t i;

	for (i = 0; i < r->nsegs; i++) {
		uint64_t len;

		if (r->kind == MXN_REGION_VADDR) {
			const struct mxn_vaddr_seg *s = &r->seg.vaddr[i];

			len = s->len;
			if (!len || s->addr + len < s->addr)
				return -EINVAL;
		} else {
			const struct mxn_grant_seg *s = &r->seg.grant[i];

			len = s->len;
			if (!len || s->offset >= MXN_PAGE_SIZE ||
			    len > MXN_PAGE_SIZE - (uint32_t)s->offset)
				return -EINVAL;
		}
		/* Each len <= 2^64 is bounded below; stop before sum can overflow. */
		if (len > MXN_LARGE_MAX || sum + len > MXN_LARGE_MAX)
			return -E2BIG;
		sum += len;
	}
	return sum == r->total_len ? 0 : -EINVAL;
}

int mxd_region_copy(const uint8_t *sendq, uint32_t sendq_size, uint32_t off,
		    uint32_t desc_len, uint32_t want_kind, struct mxd_region **out)
{
	struct mxn_region_desc hdr;
	struct mxd_region *r = NULL;
	uint32_t segs_len;
	int err;

	*out = NULL;
	err = -ERANGE;
	if (desc_len < sizeof(hdr) || in_queue(off, desc_len, sendq_size))
		goto out;
	err = -EOPNOTSUPP;
	if (want_kind != MXN_REGION_VADDR && want_kind != MXN_REGION_GRANT)
		goto out;
	err = -ENOMEM;
	r = malloc(sizeof(*r) + (desc_len - sizeof(hdr)));
	if (!r)
		goto out;
	/* One copy of header and segments; everything below looks at the copy
	 * only, so a guest rewriting its sendq meanwhile changes nothing. */
	memcpy(&hdr, sendq + off, sizeof(hdr));
	segs_len = desc_len - (uint32_t)sizeof(hdr);
	r->seg.raw = r + 1;
	memcpy(r->seg.raw, sendq + off + sizeof(hdr), segs_len);
	r->kind = hdr.kind;
	r->nsegs = hdr.nsegs;
	r->total_len = hdr.total_len;
	err = -EOPNOTSUPP;
	if (r->kind != want_kind)
		goto out;
	err = -EINVAL;
	if (r->nsegs > seg_max(r->kind) || (uint64_t)r->nsegs * seg_size(r->kind) != segs_len)
		goto out;
	/* No segment describes zero bytes: an empty synchronous send (its
	 * completion must still mean "matched") or an empty pull. */
	if (!r->nsegs && r->total_len)
		goto out;
	err = -E2BIG;
	if (r->total_len > MXN_LARGE_MAX)
		goto out;
	err = check_segs(r);
	if (err)
		goto out;
	*out = r;
	r = NULL;
out:
	free(r);
	return err;
}

struct mxd_region *mxd_region_dup(const struct mxd_region *r)
{
	size_t segs = (size_t)r->nsegs * seg_size(r->kind);
	struct mxd_region *d = malloc(sizeof(*d) + segs);

	if (!d)
		return NULL;
	*d = *r;
	d->seg.raw = d + 1;
	memcpy(d->seg.raw, r->seg.raw, segs);
	return d;
}

void mxd_region_free(struct mxd_region *r)
{
	free(r);
}

int mxd_region_seek(const struct mxd_region *r, uint64_t off, uint32_t *seg, uint64_t *seg_off)
{
	uint32_t i;

	for (i = 0; i < r->nsegs; i++) {
		uint64_t len = r->kind == MXN_REGION_VADDR ? r->seg.vaddr[i].len
							   : r->seg.grant[i].len;

		if (off < len) {
			*seg = i;
			*seg_off = off;
			return 0;
		}
		off -= len;
	}
	return -ERANGE;
}
