/* SPDX-License-Identifier: MIT */
/* Grant-to-grant copy plans (see gcopy_plan.h). */
#include "gcopy_plan.h"

static uint32_t min3(uint64_t a, uint32_t b, uint32_t c)
{
	uint32_t m = b < c ? b : c;

	return a < m ? (uint32_t)a : m;
}

uint32_t mxd_gcopy_plan(const struct mxd_gcopy_side *src, const struct mxd_gcopy_side *dst,
			uint64_t len, struct mxd_gcopy_cursor *c, struct mxd_gcopy_piece *out,
			uint32_t max)
{
	uint32_t n = 0;

	while (n < max && c->done < len && c->si < src->nsegs && c->di < dst->nsegs) {
		const struct mxn_grant_seg *s = &src->seg[c->si], *d = &dst->seg[c->di];
		uint32_t k;

		/* A segment shorter than the cursor's offset cannot happen with
		 * validated lists; refuse rather than underflow. */
		if (c->soff >= s->len || c->doff >= d->len)
			break;
		k = min3(len - c->done, s->len - c->soff, d->len - c->doff);
		out[n].src_ref = s->gref;
		out[n].src_off = (uint16_t)(s->offset + c->soff);
		out[n].dst_ref = d->gref;
		out[n].dst_off = (uint16_t)(d->offset + c->doff);
		out[n].len = (uint16_t)k;
		n++;
		c->done += k;
		c->soff += k;
		c->doff += k;
		if (c->soff == s->len)
			c->si++, c->soff = 0;
		if (c->doff == d->len)
			c->di++, c->doff = 0;
	}
	return n;
}
