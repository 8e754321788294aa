/* SPDX-License-Identifier: MIT */
/*
 * Endpoints of Xen guests: an open request is a frontend subnode
 * <fe>/ep/<slot> (shim/README.md).  The daemon maps the guest's directory
 * pages once to learn the area's grant refs, maps the whole area in one
 * batch, binds the endpoint's event channel, attaches the endpoint to the
 * core and answers under <be>/ep/<slot>.  Every node value is hostile:
 * parsed strictly, bounded, and checked against the layout rule.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core.h"
#include "log.h"
#include "validate.h"
#include "xen_int.h"
#include <xen/grant_table.h> /* GNTCOPY_*, GNTST_okay */

#define MXD_XEN_COPY_BATCH 64u

static struct mxd_ratelimit mxd_xen_refuse_rl = MXD_RATELIMIT_INIT(5000, 5);

static int mxd_xen_read_open(struct mxd_xen *x, const char *node, struct mxd_xen_open *o)
{
	const struct mxd_conf_limits *lim = &mxd_core_config(x->core)->limits;
	char buf[MXD_XO_NFIELDS][MXD_XEN_DIR_MAX * 11 + 2];
	const char *val[MXD_XO_NFIELDS];
	uint32_t i;

	for (i = 0; i < MXD_XO_NFIELDS; i++)
		val[i] = mxd_xs_read_str(x->xs, node, mxd_xen_open_nodes[i], buf[i],
					 sizeof(buf[i])) ? NULL : buf[i];
	return mxd_xen_open_parse(val, lim->sendq_size, lim->recvq_size, o);
}

/* Map the directory pages, copy the area's refs out, unmap. */
static int mxd_xen_read_dir(struct mxd_xen *x, uint32_t domid, struct mxd_xen_open *o,
			    uint32_t *refs)
{
	uint32_t *dir = xengnttab_map_domain_grant_refs(x->gt, o->ndir, domid,
							 o->dir, PROT_READ);

	if (!dir)
		return -errno ? -errno : -EFAULT;
	memcpy(refs, dir, (size_t)o->npages * sizeof(*refs));
	xengnttab_unmap(x->gt, dir, o->ndir);
	return 0;
}

static int mxd_xen_ep_map(struct mxd_xen_ep *xe, struct mxd_xen_open *o)
{
	struct mxd_xen *x = xe->x;
	uint32_t *refs = calloc(o->npages, sizeof(*refs));
	int err;

	if (!refs)
		return -ENOMEM;
	err = mxd_xen_read_dir(x, xe->domid, o, refs);
	if (err)
		goto out;
	xe->area = xengnttab_map_domain_grant_refs(x->gt, o->npages, xe->domid, refs,
						   PROT_READ | PROT_WRITE);
	if (!xe->area) {
		err = errno ? -errno : -EFAULT;
		goto out;
	}
	xe->npages = o->npages;
	x->st.grant_pages_mapped += o->npages;
	err = xenevtchn_bind_interdomain(x->ec, xe->domid, o->port);
	if (err < 0) {
		err = errno ? -errno : -EINVAL;
		goto out;
	}
	xe->lport = (evtchn_port_t)err;
	xe->bound = true;
	err = 0;
out:
	free(refs);
	return err;
}

/* Undo mxd_xen_ep_map and unlink; the core endpoint is already gone. */
static void mxd_xen_ep_free(struct mxd_xen_ep *xe)
{
	struct mxd_xen *x = xe->x;
	char path[MXD_XEN_PATH + 16];

	if (xe->area) {
		xengnttab_unmap(x->gt, xe->area, xe->npages);
		x->st.grant_pages_mapped -= xe->npages;
	}
	if (xe->bound)
		xenevtchn_unbind(x->ec, xe->lport);
	if (xe->dom) {
		xe->dom->eps[xe->slot] = NULL;
		snprintf(path, sizeof(path), "%s/ep/%u", xe->dom->be, xe->slot);
		xs_rm(x->xs, XBT_NULL, path);
	}
	LIST_REMOVE(xe, link);
	free(xe);
}

static int mxd_xen_notify(struct mxd_endpoint *ep)
{
	struct mxd_xen_ep *xe = ep->tp;

	return xenevtchn_notify(xe->x->ec, xe->lport) < 0 ? -errno : 0;
}

static int mxd_xen_copy_flush(struct mxd_xen_ep *xe, xengnttab_grant_copy_segment_t *segs,
			      uint32_t n)
{
	uint32_t i;

	if (xengnttab_grant_copy(xe->x->gt, n, segs) < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		if (segs[i].status != GNTST_okay) {
			xe->x->st.copy_faults++;
			return -EFAULT;
		}
	}
	return 0;
}

/* Grant copy between a daemon buffer and a guest region; the segment
 * list was validated by mxd_region_copy, the hypervisor checks the refs. */
static int mxd_xen_copy(struct mxd_endpoint *ep, const struct mxd_region *r, uint64_t off,
			uint8_t *buf, size_t len, bool to_guest)
{
	struct mxd_xen_ep *xe = ep->tp;
	xengnttab_grant_copy_segment_t segs[MXD_XEN_COPY_BATCH];
	union xengnttab_copy_ptr *gp;
	uint64_t soff;
	size_t done = 0;
	uint32_t si, n = 0;
	int err = mxd_region_seek(r, off, &si, &soff);

	while (!err && done < len) {
		const struct mxn_grant_seg *g = &r->seg.grant[si];
		size_t chunk = g->len - soff < len - done ? g->len - soff : len - done;

		memset(&segs[n], 0, sizeof(segs[n]));
		gp = to_guest ? &segs[n].dest : &segs[n].source;
		gp->foreign.ref = g->gref;
		gp->foreign.offset = (uint16_t)(g->offset + soff);
		gp->foreign.domid = (uint16_t)xe->domid;
		(to_guest ? &segs[n].source : &segs[n].dest)->virt = buf + done;
		segs[n].len = (uint16_t)chunk;
		segs[n].flags = to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
		n++;
		done += chunk;
		soff += chunk;
		if (soff == g->len && done < len) {
			if (++si >= r->nsegs)
				err = -ERANGE;
			soff = 0;
		}
		if (!err && (n == MXD_XEN_COPY_BATCH || done == len)) {
			err = mxd_xen_copy_flush(xe, segs, n);
			n = 0;
		}
	}
	if (!err)
		xe->x->st.copy_bounce_bytes += len;
	return err;
}

static int mxd_xen_region_read(struct mxd_endpoint *ep, const struct mxd_region *r,
			       uint64_t off, void *buf, size_t len)
{
	return mxd_xen_copy(ep, r, off, buf, len, false);
}

static int mxd_xen_region_write(struct mxd_endpoint *ep, const struct mxd_region *r,
				uint64_t off, const void *buf, size_t len)
{
	/* the buffer is only read: it is the source of the copy */
	return mxd_xen_copy(ep, r, off, (uint8_t *)(uintptr_t)buf, len, true);
}

/* Both guests on this host: one grant copy from the sender's refs straight
 * into the receiver's, off the loop (gcopy.h); the core hears of it
 * through mxd_pull_async_done. */
static int mxd_xen_pull_async(struct mxd_endpoint *src, const struct mxd_region *from,
			      struct mxd_endpoint *dst, const struct mxd_region *to, uint32_t len,
			      void *token, void **job)
{
	struct mxd_xen_ep *s = src->tp, *d = dst->tp;

	return mxd_xen_gcopy_start(d->x->gcopy, s->domid, from, d->domid, to, len,
				   mxd_pull_async_done, token, (struct mxd_xen_gjob **)job);
}

static void mxd_xen_pull_cancel(void *job)
{
	mxd_xen_gcopy_cancel(job);
}

static void mxd_xen_destroy(struct mxd_endpoint *ep)
{
	struct mxd_xen_ep *xe = ep->tp;

	if (!xe)
		return;
	xe->x->st.endpoints--;
	xe->x->st.eps_detached++;
	mxd_xen_ep_free(xe);
}

static const struct mxd_transport_ops mxd_xen_ops = {
	.name = "xen",
	.region_kind = MXN_REGION_GRANT,
	.notify = mxd_xen_notify,
	.region_read = mxd_xen_region_read,
	.region_write = mxd_xen_region_write,
	.pull_async = mxd_xen_pull_async,
	.pull_cancel = mxd_xen_pull_cancel,
	.destroy = mxd_xen_destroy,
	.pair_by_grant = true,
};

static void mxd_xen_reply(struct mxd_xen_dom *d, uint32_t slot, uint32_t nonce, int error,
			  const struct mxd_endpoint *ep)
{
	struct mxd_xen *x = d->x;
	const struct mxd_config *cfg = mxd_core_config(x->core);
	char node[MXD_XEN_PATH + 16];
	xs_transaction_t t;
	int err;

	snprintf(node, sizeof(node), "%s/ep/%u", d->be, slot);
	do {
		t = xs_transaction_start(x->xs);
		if (t == XBT_NULL)
			return;
		err = mxd_xs_printf(x->xs, t, node, "nonce", "%u", nonce);
		if (!err)
			err = mxd_xs_printf(x->xs, t, node, "error", "%d", error);
		if (!err && ep) {
			err = mxd_xs_printf(x->xs, t, node, "endpoint", "%u", ep->index);
			err = err ? err : mxd_xs_printf(x->xs, t, node, "session", "%u", ep->session);
			err = err ? err : mxd_xs_printf(x->xs, t, node, "nic-id", "%llu",
						(unsigned long long)mxd_core_nic_id(x->core));
			err = err ? err : mxd_xs_printf(x->xs, t, node, "medium-max", "%u",
						cfg->limits.medium_max);
			err = err ? err : mxd_xs_printf(x->xs, t, node, "hostname", "%s",
						mxd_core_hostname(x->core));
		}
		if (!err && !ep) /* the guest reads these even on error */
			err = mxd_xs_printf(x->xs, t, node, "endpoint", "0") ?:
			      mxd_xs_printf(x->xs, t, node, "session", "0") ?:
			      mxd_xs_printf(x->xs, t, node, "nic-id", "0") ?:
			      mxd_xs_printf(x->xs, t, node, "medium-max", "0");
	} while (!xs_transaction_end(x->xs, t, err != 0) && errno == EAGAIN && !err);
}

/* A re-attach keeps its session only for the domain that held it
 * (open_req.h, mxd_xen_claim_check).  With no record of the index at all,
 * no domain of this host holds it: the endpoint moved in from another host
 * (live migration, *moved_in); the core still refuses the session of the
 * index's last occupant.  A guest can pick any session for a free index
 * that way: docs/security.md. */
static int mxd_xen_claim(struct mxd_xen_dom *d, uint32_t index, uint32_t session,
			 bool *moved_in)
{
	char node[16], rec[MXD_XEN_PATH + 16];

	snprintf(node, sizeof(node), "%u", index);
	*moved_in = false;
	if (mxd_xs_read_str(d->x->xs, MXD_XEN_SESSIONS, node, rec, sizeof(rec))) {
		*moved_in = d->vm[0] != '\0';
		return *moved_in ? 0 : -ESTALE;
	}
	return mxd_xen_claim_check(rec, session, d->vm);
}

/* The guest closed index's endpoint itself: nobody will claim it again. */
static void mxd_xen_claim_drop(struct mxd_xen *x, uint8_t index)
{
	char node[MXD_XEN_PATH + 16];

	snprintf(node, sizeof(node), MXD_XEN_SESSIONS "/%u", index);
	xs_rm(x->xs, XBT_NULL, node);
}

void mxd_xen_quiet_claims(struct mxd_xen_dom *d)
{
	char rec[MXD_XEN_PATH + 16];
	unsigned int i, num = 0;
	char **names;
	uint32_t index;
	const char *sp;

	if (!d->vm[0])
		return;
	names = xs_directory(d->x->xs, XBT_NULL, MXD_XEN_SESSIONS, &num);
	for (i = 0; names && i < num; i++) {
		if (mxd_xs_parse_u32(names[i], &index) || index >= MXN_ENDPOINTS_MAX ||
		    mxd_xs_read_str(d->x->xs, MXD_XEN_SESSIONS, names[i], rec, sizeof(rec)))
			continue;
		sp = strchr(rec, ' ');
		if (sp && !strcmp(sp + 1, d->vm))
			mxd_core_quiet(d->x->core, (uint8_t)index, MXD_QUIET_MS);
	}
	free(names);
}

/* Remember who holds index's session now (dom0-only node). */
static void mxd_xen_claim_keep(struct mxd_xen_dom *d, const struct mxd_endpoint *ep)
{
	char node[16];

	snprintf(node, sizeof(node), "%u", ep->index);
	if (!d->vm[0] ||
	    mxd_xs_printf(d->x->xs, XBT_NULL, MXD_XEN_SESSIONS, node, "%u %s", ep->session, d->vm))
		mxd_log_rl(&mxd_xen_refuse_rl, MXD_LOG_WARNING,
			   "xen: domain %u endpoint %u: session not kept (no re-attach after a restart)",
			   d->domid, ep->index);
}

static int mxd_xen_ep_open(struct mxd_xen_dom *d, uint32_t slot, uint32_t nonce)
{
	struct mxd_xen *x = d->x;
	struct mxd_endpoint_params p = { .ops = &mxd_xen_ops };
	struct mxd_xen_open o = { 0 };
	struct mxd_endpoint *ep = NULL;
	struct mxd_xen_ep *xe;
	char node[MXD_XEN_PATH + 16];
	int err;

	snprintf(node, sizeof(node), "%s/ep/%u", d->fe, slot);
	xe = calloc(1, sizeof(*xe));
	if (!xe)
		return -ENOMEM;
	xe->x = x;
	xe->dom = d;
	xe->domid = d->domid;
	xe->slot = slot;
	xe->nonce = nonce;
	LIST_INSERT_HEAD(&x->eps, xe, link);
	d->eps[slot] = xe;
	err = mxd_xen_read_open(x, node, &o);
	if (!err)
		err = mxd_xen_ep_map(xe, &o);
	if (err)
		goto out;
	p.tp = xe;
	p.area = xe->area;
	p.geo = o.geo;
	p.key = o.key;
	p.endpoint = (uint8_t)o.endpoint;
	p.session = o.session;
	err = o.session ? mxd_xen_claim(d, o.endpoint, o.session, &p.moved_in) : 0;
	if (!err)
		err = mxd_endpoint_attach(x->core, d->guest, &p, &ep);
	if (err)
		goto out;
	mxd_xen_claim_keep(d, ep);
	xe->ep = ep;
	x->st.endpoints++;
	x->st.eps_attached++;
	if (o.session) {
		/* its library connects to its peers again: until then their
		 * frames find no partner and must not be refused */
		mxd_core_quiet(x->core, ep->index, MXD_QUIET_MS);
		x->st.eps_reattached++;
		x->st.eps_migrated_in += p.moved_in;
		mxd_log(MXD_LOG_NOTICE, "xen: domain %u endpoint %u re-attached (session kept%s)",
			d->domid, ep->index, p.moved_in ? ", moved in from another host" : "");
	}
	mxd_xen_reply(d, slot, nonce, 0, ep);
	/* commands may already be waiting */
	mxd_endpoint_kick(ep);
	return 0;
out:
	x->st.eps_refused++;
	if (o.session && err == -EBUSY) {
		/* MX endpoint ids are per board: a guest moved here whose index
		 * another endpoint holds cannot have it back (docs/migration.md) */
		x->st.eps_index_taken++;
		mxd_log_rl(&mxd_xen_refuse_rl, MXD_LOG_WARNING, "xen: domain %u cannot re-attach "
			   "endpoint %u: that index is in use (or kept for a re-attach) on this host",
			   d->domid, o.endpoint);
	} else {
		mxd_log_rl(&mxd_xen_refuse_rl, MXD_LOG_WARNING,
			   "xen: domain %u endpoint slot %u refused: %s", d->domid, slot,
			   strerror(-err));
	}
	mxd_xen_ep_free(xe);
	mxd_xen_reply(d, slot, nonce, err, NULL);
	return err;
}

void mxd_xen_ep_close(struct mxd_xen_ep *xe)
{
	if (xe->ep)
		mxd_endpoint_detach(xe->ep); /* calls mxd_xen_destroy */
	else
		mxd_xen_ep_free(xe);
}

struct mxd_xen_ep *mxd_xen_ep_by_port(struct mxd_xen *x, evtchn_port_t port)
{
	struct mxd_xen_ep *xe;

	LIST_FOREACH(xe, &x->eps, link)
		if (xe->bound && xe->lport == port)
			return xe;
	return NULL;
}

/* Collect the slots that hold an open request, with their nonces. */
static void mxd_xen_ep_scan(struct mxd_xen_dom *d, uint32_t *nonce)
{
	char dir[MXD_XEN_PATH + 8], node[MXD_XEN_PATH + 24], state[8];
	unsigned int i, num = 0;
	uint32_t slot;
	char **names;

	snprintf(dir, sizeof(dir), "%s/ep", d->fe);
	names = xs_directory(d->x->xs, XBT_NULL, dir, &num);
	for (i = 0; names && i < num; i++) {
		if (mxd_xs_parse_u32(names[i], &slot) || slot >= MXD_XEN_SLOTS)
			continue; /* not an endpoint node: ignored, harms nobody */
		snprintf(node, sizeof(node), "%s/%u", dir, slot);
		if (mxd_xs_read_str(d->x->xs, node, "state", state, sizeof(state)) ||
		    strcmp(state, "open") || mxd_xs_read_u32(d->x->xs, node, "nonce", &nonce[slot]))
			nonce[slot] = 0;
	}
	free(names);
}

void mxd_xen_ep_sync(struct mxd_xen_dom *d)
{
	uint32_t nonce[MXD_XEN_SLOTS] = { 0 };
	uint32_t s;

	mxd_xen_ep_scan(d, nonce);
	for (s = 0; s < MXD_XEN_SLOTS; s++) {
		if (d->eps[s] && d->eps[s]->nonce != nonce[s]) {
			if (d->eps[s]->ep)
				mxd_xen_claim_drop(d->x, d->eps[s]->ep->index);
			mxd_xen_ep_close(d->eps[s]);
		}
		if (nonce[s] && nonce[s] != d->seen_nonce[s] && !d->eps[s]) {
			d->seen_nonce[s] = nonce[s];
			mxd_xen_ep_open(d, s, nonce[s]);
		}
	}
}
