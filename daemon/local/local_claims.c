/* SPDX-License-Identifier: MIT */
/* Local endpoint claims across a daemon restart: see local_claims.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "local_claims.h"

/* One unsigned decimal of at most 20 digits ending at a delimiter; *pos moves past it. */
static int take_u64(const char *buf, size_t len, size_t *pos, char delim, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = *pos, digits = 0;

	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
		if (digits == 19 || (digits && v == 0))
			return -EINVAL; /* too long, or a leading zero */
		v = v * 10 + (uint64_t)(buf[i] - '0');
	}
	if (!digits || i >= len || buf[i] != delim)
		return -EINVAL;
	*pos = i + 1;
	*out = v;
	return 0;
}

static int parse_line(struct mxd_claims *t, const char *buf, size_t len, size_t *pos)
{
	uint64_t f[5];
	int err = 0;

	for (int i = 0; i < 5 && !err; i++)
		err = take_u64(buf, len, pos, i < 4 ? ' ' : '\n', &f[i]);
	if (err)
		return err;
	if (f[0] >= MXN_ENDPOINT_ANY || !f[1] || f[1] > UINT32_MAX || f[2] > UINT32_MAX ||
	    !f[3] || f[3] > INT32_MAX || t->c[f[0]].session)
		return -EINVAL;
	t->c[f[0]] = (struct mxd_claim){ .session = (uint32_t)f[1], .uid = (uint32_t)f[2],
					 .pid = (uint32_t)f[3], .start = f[4] };
	return 0;
}

int mxd_claims_parse(struct mxd_claims *t, const char *buf, size_t len)
{
	size_t pos = 0;
	int err = 0;

	memset(t, 0, sizeof(*t));
	while (pos < len && !err)
		err = parse_line(t, buf, len, &pos);
	if (err)
		memset(t, 0, sizeof(*t));
	return err;
}

size_t mxd_claims_format(const struct mxd_claims *t, char *buf, size_t cap)
{
	size_t n = 0;

	if (cap)
		buf[0] = '\0';
	for (unsigned i = 0; i < MXN_ENDPOINTS_MAX; i++) {
		const struct mxd_claim *c = &t->c[i];
		int w;

		if (!c->session)
			continue;
		w = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, "%u %u %u %u %llu\n",
			     i, c->session, c->uid, c->pid, (unsigned long long)c->start);
		if (w > 0)
			n += (size_t)w;
	}
	return n;
}

int mxd_claims_check(const struct mxd_claims *t, uint32_t idx, uint32_t session, uint32_t uid,
		     uint32_t pid, uint64_t start)
{
	const struct mxd_claim *c;

	if (idx >= MXN_ENDPOINTS_MAX || !session)
		return -ESTALE;
	c = &t->c[idx];
	if (!c->session || c->session != session || c->uid != uid || c->pid != pid ||
	    c->start != start)
		return -ESTALE;
	return 0;
}
