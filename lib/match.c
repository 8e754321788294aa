/* SPDX-License-Identifier: MIT */
#include "match.h"

void mxl_matcher_init(struct mxl_matcher *m)
{
	mxl_list_init(&m->posted);
	mxl_list_init(&m->unexp);
	m->nposted = 0;
	m->nunexp = 0;
}

void mxl_match_post(struct mxl_matcher *m, struct mxl_posted *p)
{
	mxl_list_add_tail(&m->posted, &p->link);
	m->nposted++;
}

bool mxl_match_unpost(struct mxl_matcher *m, struct mxl_posted *p)
{
	if (!mxl_list_linked(&p->link))
		return false;
	mxl_list_del(&p->link);
	m->nposted--;
	return true;
}

static bool posted_wants(const struct mxl_posted *p, uint64_t match_info,
			 const struct mxl_source *src)
{
	return mxl_match_ok(match_info, p->match_info, p->mask) && mxl_srcsel_ok(&p->from, src);
}

struct mxl_posted *mxl_match_arrival(struct mxl_matcher *m, uint64_t match_info,
				     const struct mxl_source *src)
{
	struct mxl_list *pos;

	mxl_list_for_each(pos, &m->posted) {
		struct mxl_posted *p = mxl_container_of(pos, struct mxl_posted, link);

		if (posted_wants(p, match_info, src)) {
			mxl_list_del(&p->link);
			m->nposted--;
			return p;
		}
	}
	return NULL;
}

bool mxl_match_has_posted(struct mxl_matcher *m, uint64_t match_info,
			  const struct mxl_source *src)
{
	struct mxl_list *pos;

	mxl_list_for_each(pos, &m->posted) {
		struct mxl_posted *p = mxl_container_of(pos, struct mxl_posted, link);

		if (posted_wants(p, match_info, src))
			return true;
	}
	return false;
}

void mxl_match_add_unexp(struct mxl_matcher *m, struct mxl_unexp *u)
{
	mxl_list_add_tail(&m->unexp, &u->link);
	m->nunexp++;
}

struct mxl_unexp *mxl_match_find_unexp(struct mxl_matcher *m, uint64_t match_info,
				       uint64_t mask, bool take)
{
	return mxl_match_find_unexp_from(m, match_info, mask, NULL, take);
}

struct mxl_unexp *mxl_match_find_unexp_from(struct mxl_matcher *m, uint64_t match_info,
					    uint64_t mask, const struct mxl_srcsel *from,
					    bool take)
{
	struct mxl_list *pos;

	mxl_list_for_each(pos, &m->unexp) {
		struct mxl_unexp *u = mxl_container_of(pos, struct mxl_unexp, link);

		if (!mxl_match_ok(u->match_info, match_info, mask) || !mxl_srcsel_ok(from, &u->src))
			continue;
		if (take) {
			mxl_list_del(&u->link);
			m->nunexp--;
		}
		return u;
	}
	return NULL;
}
