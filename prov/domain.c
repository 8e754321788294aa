/* SPDX-License-Identifier: MIT */
/* The domain (one lock), the address vector and a do-nothing event queue. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "myx.h"

int myx_no_bind(struct fid *fid, struct fid *bfid, uint64_t flags)
{
	(void)fid;
	(void)bfid;
	(void)flags;
	return -FI_ENOSYS;
}

int myx_no_control(struct fid *fid, int command, void *arg)
{
	(void)fid;
	(void)command;
	(void)arg;
	return -FI_ENOSYS;
}

int myx_no_ops_open(struct fid *fid, const char *name, uint64_t flags, void **ops, void *ctx)
{
	(void)fid;
	(void)name;
	(void)flags;
	(void)ops;
	(void)ctx;
	return -FI_ENOSYS;
}

void myx_lock(struct myx_domain *d)
{
	pthread_mutex_lock(&d->lock);
}

void myx_unlock(struct myx_domain *d)
{
	pthread_mutex_unlock(&d->lock);
}

/* ---- domain ---- */
static int domain_close(struct fid *fid)
{
	struct myx_domain *d = container_of(fid, struct myx_domain, d.fid);

	if (d->refs)
		return -FI_EBUSY;
	pthread_mutex_destroy(&d->lock);
	free(d);
	return 0;
}

static struct fi_ops domain_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = domain_close,
	.bind = myx_no_bind,
	.control = myx_no_control,
	.ops_open = myx_no_ops_open,
};

static struct fi_ops_domain domain_ops = {
	.size = sizeof(struct fi_ops_domain),
	.av_open = myx_av_open,
	.cq_open = myx_cq_open,
	.endpoint = myx_ep_open,
};

static int no_mr_reg(struct fid *fid, const void *buf, size_t len, uint64_t access,
		     uint64_t offset, uint64_t requested_key, uint64_t flags, struct fid_mr **mr,
		     void *context)
{
	(void)fid; (void)buf; (void)len; (void)access; (void)offset;
	(void)requested_key; (void)flags; (void)mr; (void)context;
	return -FI_ENOSYS;
}

static struct fi_ops_mr domain_mr_ops = {
	.size = sizeof(struct fi_ops_mr),
	.reg = no_mr_reg,
};

int myx_domain_open(struct fid_fabric *fabric, struct fi_info *info, struct fid_domain **dom,
		    void *context);

int myx_domain_open(struct fid_fabric *fabric, struct fi_info *info, struct fid_domain **dom,
		    void *context)
{
	struct myx_domain *d;

	(void)fabric;
	if (info && info->domain_attr && info->domain_attr->name &&
	    strcmp(info->domain_attr->name, MYX_PROV_NAME))
		return -FI_EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -FI_ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->d.fid.fclass = FI_CLASS_DOMAIN;
	d->d.fid.context = context;
	d->d.fid.ops = &domain_fi_ops;
	d->d.ops = &domain_ops;
	d->d.mr = &domain_mr_ops;
	*dom = &d->d;
	return 0;
}

/* ---- address vector: fi_addr_t is the index of the name (MAP and TABLE) ---- */
static struct myx_av *av_of(struct fid_av *av)
{
	return container_of(av, struct myx_av, a);
}

static int av_grow(struct myx_av *av, size_t want)
{
	size_t cap = av->cap ? av->cap : 16;
	struct myx_name *n;

	while (cap < want)
		cap *= 2;
	if (cap == av->cap)
		return 0;
	n = realloc(av->names, cap * sizeof(*n));
	if (!n)
		return -FI_ENOMEM;
	av->names = n;
	av->cap = cap;
	return 0;
}

static int av_insert(struct fid_av *fav, const void *addr, size_t count, fi_addr_t *fi_addr,
		     uint64_t flags, void *context)
{
	struct myx_av *av = av_of(fav);
	size_t i;
	int err;

	(void)flags;
	(void)context;
	if (count && !addr)
		return -FI_EINVAL;
	myx_lock(av->dom);
	err = av_grow(av, av->n + count);
	if (!err) {
		for (i = 0; i < count; i++) {
			memcpy(&av->names[av->n], (const struct myx_name *)addr + i,
			       sizeof(struct myx_name));
			if (fi_addr)
				fi_addr[i] = av->base + av->n;
			av->n++;
		}
	}
	myx_unlock(av->dom);
	return err ? err : (int)count;
}

static int av_remove(struct fid_av *fav, fi_addr_t *fi_addr, size_t count, uint64_t flags)
{
	(void)fav;
	(void)fi_addr;
	(void)count;
	(void)flags;
	return 0; /* indexes are never reused, so nothing to undo */
}

static int av_lookup(struct fid_av *fav, fi_addr_t fa, void *addr, size_t *addrlen)
{
	struct myx_av *av = av_of(fav);
	size_t i;
	int err = 0;

	myx_lock(av->dom);
	if (!myx_av_index(av, fa, &i))
		err = -FI_EINVAL;
	else if (addr)
		memcpy(addr, &av->names[i],
		       *addrlen < sizeof(struct myx_name) ? *addrlen : sizeof(struct myx_name));
	myx_unlock(av->dom);
	*addrlen = sizeof(struct myx_name);
	return err;
}

static const char *av_straddr(struct fid_av *fav, const void *addr, char *buf, size_t *len)
{
	const struct myx_name *n = addr;
	char tmp[64];
	int k;

	(void)fav;
	k = snprintf(tmp, sizeof(tmp), "myrixen://%012" PRIx64 ":%u:%08x", n->nic_id,
		     n->endpoint, n->key);
	if (buf && *len)
		snprintf(buf, *len, "%s", tmp);
	*len = (size_t)k + 1;
	return buf;
}

static int av_close(struct fid *fid)
{
	struct myx_av *av = container_of(fid, struct myx_av, a.fid);

	if (av->refs)
		return -FI_EBUSY;
	myx_lock(av->dom);
	av->dom->refs--;
	myx_unlock(av->dom);
	free(av->names);
	free(av);
	return 0;
}

static struct fi_ops av_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = av_close,
	.bind = myx_no_bind,
	.control = myx_no_control,
	.ops_open = myx_no_ops_open,
};

static struct fi_ops_av av_ops = {
	.size = sizeof(struct fi_ops_av),
	.insert = av_insert,
	.remove = av_remove,
	.lookup = av_lookup,
	.straddr = av_straddr,
};

int myx_av_open(struct fid_domain *domain, struct fi_av_attr *attr, struct fid_av **fav,
		void *context)
{
	struct myx_domain *d = container_of(domain, struct myx_domain, d);
	struct myx_av *av;

	if (attr && (attr->type != FI_AV_UNSPEC && attr->type != FI_AV_MAP &&
		     attr->type != FI_AV_TABLE))
		return -FI_EINVAL;
	if (attr && (attr->rx_ctx_bits || attr->name))
		return -FI_ENOSYS;
	av = calloc(1, sizeof(*av));
	if (!av)
		return -FI_ENOMEM;
	av->dom = d;
	av->base = attr && attr->type == FI_AV_TABLE ? 0 : 1;
	av->a.fid.fclass = FI_CLASS_AV;
	av->a.fid.context = context;
	av->a.fid.ops = &av_fi_ops;
	av->a.ops = &av_ops;
	myx_lock(d);
	d->refs++;
	myx_unlock(d);
	*fav = &av->a;
	return 0;
}

/* ---- event queue: nothing ever happens on it (no connections, no async
 * AV inserts), but fi_pingpong and others open one. ---- */
static ssize_t eq_read(struct fid_eq *eq, uint32_t *event, void *buf, size_t len,
		       uint64_t flags)
{
	(void)eq; (void)event; (void)buf; (void)len; (void)flags;
	return -FI_EAGAIN;
}

static ssize_t eq_readerr(struct fid_eq *eq, struct fi_eq_err_entry *buf, uint64_t flags)
{
	(void)eq; (void)buf; (void)flags;
	return -FI_EAGAIN;
}

static ssize_t eq_sread(struct fid_eq *eq, uint32_t *event, void *buf, size_t len,
			int timeout, uint64_t flags)
{
	(void)timeout;
	return eq_read(eq, event, buf, len, flags);
}

const char *myx_strerror(int prov_errno, char *buf, size_t len)
{
	if (buf && len)
		snprintf(buf, len, "%s", fi_strerror(prov_errno));
	return buf ? buf : fi_strerror(prov_errno);
}

static const char *eq_strerror(struct fid_eq *eq, int prov_errno, const void *err_data,
			       char *buf, size_t len)
{
	(void)eq;
	(void)err_data;
	return myx_strerror(prov_errno, buf, len);
}

static int eq_close(struct fid *fid)
{
	free(container_of(fid, struct myx_eq, e.fid));
	return 0;
}

static struct fi_ops eq_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = eq_close,
	.bind = myx_no_bind,
	.control = myx_no_control,
	.ops_open = myx_no_ops_open,
};

static struct fi_ops_eq eq_ops = {
	.size = sizeof(struct fi_ops_eq),
	.read = eq_read,
	.readerr = eq_readerr,
	.sread = eq_sread,
	.strerror = eq_strerror,
};

int myx_eq_open(struct fid_fabric *fabric, struct fi_eq_attr *attr, struct fid_eq **feq,
		void *context)
{
	struct myx_eq *eq;

	(void)fabric;
	(void)attr;
	eq = calloc(1, sizeof(*eq));
	if (!eq)
		return -FI_ENOMEM;
	eq->e.fid.fclass = FI_CLASS_EQ;
	eq->e.fid.context = context;
	eq->e.fid.ops = &eq_fi_ops;
	eq->e.ops = &eq_ops;
	*feq = &eq->e;
	return 0;
}
