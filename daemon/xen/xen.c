/* SPDX-License-Identifier: MIT */
/*
 * Xen transport: handles, the two libev watchers (xenstore watches, event
 * channels), myrixenctl attach/detach and domain departure.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "log.h"
#include "xen_int.h"

#define MXD_XEN_BE_ROOT "/local/domain/0/backend/" MXD_XEN_TYPE

/* @releaseDomain: some domain died; forget every attached one that is gone.
 * Unmapping here is what lets the hypervisor finish destroying it. */
static void mxd_xen_reap(struct mxd_xen *x)
{
	struct mxd_xen_dom *d, *next;
	char path[64];

	for (d = LIST_FIRST(&x->doms); d; d = next) {
		next = LIST_NEXT(d, link);
		if (mxd_xen_dom_alive(x, d->domid))
			continue;
		mxd_log(MXD_LOG_NOTICE, "xen: domain %u is gone, releasing its endpoints",
			d->domid);
		snprintf(path, sizeof(path), MXD_XEN_BE_ROOT "/%u", d->domid);
		x->st.domains_released++;
		if (d->vm[0]) { /* saved or migrated away: it may come back */
			memcpy(x->gone[x->gone_next % MXD_XEN_GONE_MAX], d->vm, sizeof(d->vm));
			x->gone_next++;
		}
		mxd_xen_dom_free(d, false);
		xs_rm(x->xs, XBT_NULL, path);
	}
}

/* Is this new domain one that left while attached (same /vm/<uuid>)?
 * Then it was restored (or migrated in from this host): attach it before
 * it resumes, so its frontend finds the device and its endpoints re-attach. */
static bool mxd_xen_restored(struct mxd_xen *x, uint32_t domid)
{
	char path[48], vm[MXD_XEN_PATH];
	uint32_t i;

	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if (mxd_xs_read_str(x->xs, path, "vm", vm, sizeof(vm)) || !vm[0])
		return false;
	for (i = 0; i < MXD_XEN_GONE_MAX; i++) {
		if (strcmp(x->gone[i], vm))
			continue;
		x->gone[i][0] = '\0';
		if (mxd_xen_attach(x, domid) == 0) {
			x->st.domains_restored++;
			mxd_log(MXD_LOG_NOTICE, "xen: domain %u (%s) is back: attached again",
				domid, vm);
		}
		return true;
	}
	return false;
}

/* A domain appeared (xl create, xl restore, the end of an incoming xl
 * migrate): give it a device if the xen_attach policy names it.  libxl
 * introduces a domain before it unpauses it, so the device is there by
 * the time its kernel boots or resumes (the shim also waits a little for
 * a late one: shim/front.c). */
static void mxd_xen_arrived(struct mxd_xen *x, uint32_t domid)
{
	char path[48], name[MXD_ATTACH_POLICY_MAX] = "";
	int err;

	if (mxd_xen_dom_find(x, domid) || mxd_xen_restored(x, domid))
		return;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if (mxd_xs_read_str(x->xs, path, "name", name, sizeof(name)))
		name[0] = '\0'; /* matches "all" only */
	if (!mxd_attach_policy_match(mxd_core_config(x->core)->xen_attach, name))
		return;
	err = mxd_xen_attach(x, domid);
	if (err) {
		mxd_log(MXD_LOG_WARNING, "xen: domain %u (%s) appeared but could not be attached: %s",
			domid, name, strerror(-err));
		return;
	}
	x->st.domains_auto_attached++;
	mxd_log(MXD_LOG_NOTICE, "xen: domain %u (%s) appeared: attached (xen_attach)", domid,
		name);
}

/* @introduceDomain, @releaseDomain, start: look at the domains that are
 * new since the last look (arrivals.h). */
static void mxd_xen_scan(struct mxd_xen *x)
{
	unsigned int i, num = 0;
	char **names = xs_directory(x->xs, XBT_NULL, "/local/domain", &num);
	uint32_t *ids = names ? calloc(num ? num : 1, 2 * sizeof(*ids)) : NULL;
	uint32_t n = 0, k, domid;

	if (!ids)
		goto out;
	for (i = 0; i < num; i++)
		if (!mxd_xs_parse_u32(names[i], &domid) && domid && domid <= MXD_XEN_DOMID_MAX &&
		    mxd_xen_dom_alive(x, domid))
			ids[n++] = domid;
	k = mxd_xen_arrivals(&x->seen, ids, n, ids + num);
	for (i = 0; i < k; i++)
		mxd_xen_arrived(x, ids[num + i]);
out:
	free(ids);
	free(names);
}

static void mxd_xen_watch_event(struct mxd_xen *x, const char *token)
{
	struct mxd_xen_dom *d;
	uint32_t domid;

	if (!strcmp(token, "rel"))
		mxd_xen_reap(x);
	if (!strcmp(token, "rel") || !strcmp(token, "intro")) {
		mxd_xen_scan(x);
		return;
	}
	if (!strncmp(token, "sd:", 3) && !mxd_xs_parse_u32(token + 3, &domid)) {
		d = mxd_xen_dom_find(x, domid);
		if (d)
			mxd_xen_dom_shutdown_asked(d);
		return;
	}
	if (strncmp(token, "fe:", 3) || mxd_xs_parse_u32(token + 3, &domid))
		return;
	d = mxd_xen_dom_find(x, domid);
	if (d)
		mxd_xen_dom_refresh(d);
}

static void mxd_xen_xs_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mxd_xen *x = w->data;
	char **v;

	(void)loop;
	(void)revents;
	while ((v = xs_check_watch(x->xs)) != NULL) {
		mxd_xen_watch_event(x, v[XS_WATCH_TOKEN]);
		free(v);
	}
}

static void mxd_xen_ec_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mxd_xen *x = w->data;
	xenevtchn_port_or_error_t p;
	struct mxd_xen_ep *xe;

	(void)loop;
	(void)revents;
	while ((p = xenevtchn_pending(x->ec)) >= 0) {
		xenevtchn_unmask(x->ec, (evtchn_port_t)p);
		xe = mxd_xen_ep_by_port(x, (evtchn_port_t)p);
		if (xe && xe->ep)
			mxd_endpoint_kick(xe->ep);
	}
}

/* Take over the devices a previous daemon left; drop those of dead domains. */
static void mxd_xen_adopt_existing(struct mxd_xen *x)
{
	struct mxd_xen_dom *d;
	unsigned int i, num = 0;
	char **names = xs_directory(x->xs, XBT_NULL, MXD_XEN_BE_ROOT, &num);
	char path[64];
	uint32_t domid;

	for (i = 0; names && i < num; i++) {
		if (mxd_xs_parse_u32(names[i], &domid) || domid == 0 || domid > MXD_XEN_DOMID_MAX)
			continue;
		if (mxd_xen_dom_alive(x, domid)) {
			mxd_xen_dom_adopt(x, domid, &d);
			continue;
		}
		snprintf(path, sizeof(path), MXD_XEN_BE_ROOT "/%u", domid);
		xs_rm(x->xs, XBT_NULL, path);
	}
	free(names);
}

int mxd_xen_start(struct mxd_core *core, struct ev_loop *loop, struct mxd_xen **out)
{
	struct mxd_xen *x = calloc(1, sizeof(*x));
	int err = -ENOMEM, fd;

	if (!x)
		return -ENOMEM;
	x->core = core;
	x->loop = loop;
	LIST_INIT(&x->doms);
	LIST_INIT(&x->eps);
	x->xs = xs_open(0);
	if (!x->xs) {
		err = errno == EACCES ? -EACCES : -ENOENT;
		goto out;
	}
	x->gt = xengnttab_open(NULL, 0);
	x->ec = xenevtchn_open(NULL, 0);
	if (!x->gt || !x->ec) {
		err = errno == EACCES ? -EACCES : -ENOENT;
		goto out;
	}
	fd = xenevtchn_fd(x->ec);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		err = -errno;
		goto out;
	}
	err = mxd_xen_gcopy_new(loop, &x->st, &x->gcopy);
	if (err)
		goto out;
	if (!xs_watch(x->xs, "@releaseDomain", "rel") ||
	    !xs_watch(x->xs, "@introduceDomain", "intro")) {
		err = -errno;
		goto out;
	}
	ev_io_init(&x->xs_io, mxd_xen_xs_cb, xs_fileno(x->xs), EV_READ);
	x->xs_io.data = x;
	ev_io_start(loop, &x->xs_io);
	ev_io_init(&x->ec_io, mxd_xen_ec_cb, fd, EV_READ);
	x->ec_io.data = x;
	ev_io_start(loop, &x->ec_io);
	mxd_xen_adopt_existing(x);
	mxd_log(MXD_LOG_NOTICE, "xen: transport up (%u devices taken over; xen_attach = %s)",
		x->st.domains, mxd_core_config(core)->xen_attach);
	mxd_xen_scan(x); /* domains already running count as arrived */
	*out = x;
	return 0;
out:
	mxd_xen_stop(x);
	return err;
}

void mxd_xen_stop(struct mxd_xen *x)
{
	struct mxd_xen_dom *d;

	if (!x)
		return;
	/* The daemon leaves, the guests stay: nobody hears "peer closed" (a
	 * Xen pair channel outlives us, and the libraries send again whatever
	 * we held once they re-attach to our successor). */
	LIST_FOREACH(d, &x->doms, link)
		(void)mxd_xen_dom_quiesce(d, false);
	while (!LIST_EMPTY(&x->doms))
		mxd_xen_dom_free(LIST_FIRST(&x->doms), true);
	/* after the endpoints: their transfers are cancelled by now */
	mxd_xen_gcopy_free(x->gcopy);
	mxd_xen_susp_fini(x);
	if (x->loop) {
		ev_io_stop(x->loop, &x->xs_io);
		ev_io_stop(x->loop, &x->ec_io);
	}
	if (x->ec)
		xenevtchn_close(x->ec);
	if (x->gt)
		xengnttab_close(x->gt);
	if (x->xs)
		xs_close(x->xs);
	free(x);
}

/* The nodes libxl would write for a vif/vbd: frontend owned by the guest
 * and readable by dom0, backend owned by dom0 and readable by the guest,
 * frontend in Initialising so xenbus probes it. */
static int mxd_xen_create_nodes(struct mxd_xen *x, uint32_t domid)
{
	struct xs_permissions fe_perm[2] = { { .id = domid, .perms = XS_PERM_NONE },
					     { .id = 0, .perms = XS_PERM_READ } };
	struct xs_permissions be_perm[2] = { { .id = 0, .perms = XS_PERM_NONE },
					     { .id = domid, .perms = XS_PERM_READ } };
	char fe[MXD_XEN_PATH + 8], be[MXD_XEN_PATH], parent[MXD_XEN_PATH];
	xs_transaction_t t;
	int err;

	snprintf(parent, sizeof(parent), "/local/domain/%u/device/%s", domid, MXD_XEN_TYPE);
	snprintf(fe, sizeof(fe), "%s/0", parent);
	snprintf(be, sizeof(be), MXD_XEN_BE_ROOT "/%u/0", domid);
	do {
		t = xs_transaction_start(x->xs);
		if (t == XBT_NULL)
			return -errno;
		err = 0;
		if (!xs_mkdir(x->xs, t, parent) || !xs_set_permissions(x->xs, t, parent, be_perm, 2) ||
		    !xs_mkdir(x->xs, t, fe) || !xs_set_permissions(x->xs, t, fe, fe_perm, 2) ||
		    !xs_mkdir(x->xs, t, be) || !xs_set_permissions(x->xs, t, be, be_perm, 2))
			err = -errno;
		err = err ? err : mxd_xs_printf(x->xs, t, fe, "backend", "%s", be);
		err = err ? err : mxd_xs_printf(x->xs, t, fe, "backend-id", "0");
		err = err ? err : mxd_xs_printf(x->xs, t, fe, "state", "%d", MXD_XB_INITIALISING);
		err = err ? err : mxd_xs_printf(x->xs, t, be, "frontend", "%s", fe);
		err = err ? err : mxd_xs_printf(x->xs, t, be, "frontend-id", "%u", domid);
		err = err ? err : mxd_xs_printf(x->xs, t, be, "online", "1");
		err = err ? err : mxd_xs_printf(x->xs, t, be, "state", "%d", MXD_XB_INITWAIT);
		if (xs_transaction_end(x->xs, t, err != 0))
			return err;
	} while (!err && errno == EAGAIN);
	return err ? err : -errno;
}

int mxd_xen_attach(struct mxd_xen *x, uint32_t domid)
{
	struct mxd_xen_dom *d;
	int err;

	if (!x)
		return -ENOTSUP;
	if (domid == 0 || domid > MXD_XEN_DOMID_MAX)
		return -EINVAL;
	if (mxd_xen_dom_find(x, domid))
		return -EEXIST;
	if (!mxd_xen_dom_alive(x, domid))
		return -ESRCH;
	err = mxd_xen_create_nodes(x, domid);
	if (!err)
		err = mxd_xen_dom_adopt(x, domid, &d);
	return err;
}

int mxd_xen_detach(struct mxd_xen *x, uint32_t domid)
{
	struct mxd_xen_dom *d;
	char path[MXD_XEN_PATH];

	if (!x)
		return -ENOTSUP;
	d = mxd_xen_dom_find(x, domid);
	if (!d)
		return -ENOENT;
	mxd_xen_dom_free(d, false);
	snprintf(path, sizeof(path), "/local/domain/%u/device/%s", domid, MXD_XEN_TYPE);
	xs_rm(x->xs, XBT_NULL, path);
	snprintf(path, sizeof(path), MXD_XEN_BE_ROOT "/%u", domid);
	xs_rm(x->xs, XBT_NULL, path);
	mxd_log(MXD_LOG_NOTICE, "xen: domain %u detached", domid);
	return 0;
}

void mxd_xen_get_stats(const struct mxd_xen *x, struct mxd_xen_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (x)
		*out = x->st;
}
