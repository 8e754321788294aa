/* SPDX-License-Identifier: MIT */
/*
 * One domain's myrixen device: the xenstore nodes (created as libxl
 * creates vif/vbd nodes), the backend half of the XenbusState handshake,
 * and the domain's departure.  The frontend's state is hostile input: any
 * value we do not expect simply means "not connected".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core.h"
#include "log.h"
#include "xen_int.h"

struct mxd_xen_dom *mxd_xen_dom_find(struct mxd_xen *x, uint32_t domid)
{
	struct mxd_xen_dom *d;

	LIST_FOREACH(d, &x->doms, link)
		if (d->domid == domid)
			return d;
	return NULL;
}

/* xenstored may keep a destroyed domain "introduced" while nodes still name
 * it, so a domain whose home directory is gone counts as gone too. */
bool mxd_xen_dom_alive(struct mxd_xen *x, uint32_t domid)
{
	char path[48];
	unsigned int len;
	char *v;

	if (!xs_is_domain_introduced(x->xs, domid))
		return false;
	snprintf(path, sizeof(path), "/local/domain/%u/domid", domid);
	v = xs_read(x->xs, XBT_NULL, path, &len);
	free(v);
	return v != NULL;
}

static void mxd_xen_dom_set_state(struct mxd_xen_dom *d, int state)
{
	if (mxd_xs_printf(d->x->xs, XBT_NULL, d->be, "state", "%d", state) == 0)
		d->be_state = state;
}

void mxd_xen_dom_detach_eps(struct mxd_xen_dom *d)
{
	uint32_t i;

	for (i = 0; i < MXD_XEN_SLOTS; i++)
		if (d->eps[i])
			mxd_xen_ep_close(d->eps[i]);
}

int mxd_xen_dom_adopt(struct mxd_xen *x, uint32_t domid, struct mxd_xen_dom **out)
{
	struct mxd_xen_dom *d = calloc(1, sizeof(*d));
	char name[64] = "", path[MXD_XEN_PATH];
	int err;

	if (!d)
		return -ENOMEM;
	d->x = x;
	d->domid = domid;
	snprintf(d->fe, sizeof(d->fe), "/local/domain/%u/device/%s/0", domid, MXD_XEN_TYPE);
	snprintf(d->be, sizeof(d->be), "/local/domain/0/backend/%s/%u/0", MXD_XEN_TYPE, domid);
	snprintf(d->token, sizeof(d->token), "fe:%u", domid);
	snprintf(d->sd_token, sizeof(d->sd_token), "sd:%u", domid);
	snprintf(d->sd_path, sizeof(d->sd_path), "/local/domain/%u/control/shutdown", domid);
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if (mxd_xs_read_str(x->xs, path, "name", name, sizeof(name)))
		snprintf(name, sizeof(name), "dom%u", domid);
	if (mxd_xs_read_str(x->xs, path, "vm", d->vm, sizeof(d->vm)))
		d->vm[0] = '\0';
	err = mxd_guest_get(x->core, MXD_GUEST_XEN, domid, name, &d->guest);
	if (err)
		goto out;
	LIST_INSERT_HEAD(&x->doms, d, link);
	x->st.domains++;
	/* A fresh backend: a frontend left Connected by a previous daemon
	 * drops its endpoints and handshakes again. */
	mxd_xen_dom_set_state(d, MXD_XB_INITWAIT);
	if (!xs_watch(x->xs, d->fe, d->token) || !xs_watch(x->xs, d->sd_path, d->sd_token)) {
		err = -errno;
		mxd_xen_dom_free(d, false);
		return err;
	}
	mxd_xen_quiet_claims(d);
	mxd_log(MXD_LOG_NOTICE, "xen: domain %u (%s) attached", domid, name);
	*out = d;
	return 0;
out:
	free(d);
	return err;
}

void mxd_xen_dom_free(struct mxd_xen_dom *d, bool closed_state)
{
	if (!d)
		return;
	mxd_xen_dom_detach_eps(d);
	mxd_xen_susp_unwatch(d);
	xs_unwatch(d->x->xs, d->fe, d->token);
	xs_unwatch(d->x->xs, d->sd_path, d->sd_token);
	if (closed_state)
		mxd_xen_dom_set_state(d, MXD_XB_CLOSED);
	if (d->guest)
		mxd_guest_put(d->guest);
	LIST_REMOVE(d, link);
	d->x->st.domains--;
	free(d);
}

/* Nothing more is written into d's endpoints; returns how many.  moving:
 * the domain is saved or migrated, so peers' frames to it wait, not fail. */
uint32_t mxd_xen_dom_quiesce(struct mxd_xen_dom *d, bool moving)
{
	uint32_t i, n = 0;

	for (i = 0; i < MXD_XEN_SLOTS; i++) {
		if (d->eps[i] && d->eps[i]->ep) {
			if (moving)
				mxd_core_quiet(d->x->core, d->eps[i]->ep->index, MXD_QUIET_MS);
			mxd_endpoint_quiesce(d->eps[i]->ep);
			n++;
		}
	}
	return n;
}

void mxd_xen_dom_shutdown_asked(struct mxd_xen_dom *d)
{
	char what[16] = "", ctl[48];
	uint32_t n;
	bool suspend;

	if (!d->sd_armed) { /* xenstore's first event only confirms the watch */
		d->sd_armed = true;
		return;
	}
	/* a suspend (save, migration) unless it says otherwise: the guest may
	 * have acknowledged (cleared) the request already */
	snprintf(ctl, sizeof(ctl), "/local/domain/%u/control", d->domid);
	(void)mxd_xs_read_str(d->x->xs, ctl, "shutdown", what, sizeof(what));
	suspend = strcmp(what, "poweroff") && strcmp(what, "reboot") && strcmp(what, "halt");
	/* Quiet first, all of them: detaching one completes requests of the
	 * others, which must not reach memory being saved. */
	n = mxd_xen_dom_quiesce(d, suspend);
	if (suspend)
		d->x->st.eps_suspended += n;
	mxd_xen_dom_detach_eps(d);
	if (n)
		mxd_log(MXD_LOG_NOTICE, "xen: domain %u is shutting down or suspending: "
			"%u endpoint(s) detached", d->domid, n);
	/* A suspend may end with the domain resumed here (resume.c); the
	 * request itself may be gone already (the guest acknowledges it by
	 * clearing the node), so any request is watched. */
	mxd_xen_susp_watch(d);
}

void mxd_xen_dom_restart_device(struct mxd_xen_dom *d)
{
	mxd_xen_dom_detach_eps(d);
	mxd_xen_quiet_claims(d);
	mxd_xen_dom_set_state(d, MXD_XB_INITWAIT);
}

static void mxd_xen_dom_connect(struct mxd_xen_dom *d)
{
	char path[MXD_XEN_PATH + 8];
	uint32_t abi = 0;

	if (mxd_xs_read_u32(d->x->xs, d->fe, "abi-version", &abi) || abi != MYRIXEN_ABI_VERSION) {
		mxd_log(MXD_LOG_WARNING, "xen: domain %u speaks ABI %u, not %u: refused",
			d->domid, abi, MYRIXEN_ABI_VERSION);
		mxd_xen_dom_set_state(d, MXD_XB_CLOSING);
		return;
	}
	snprintf(path, sizeof(path), "%s/ep", d->be);
	xs_rm(d->x->xs, XBT_NULL, path);
	memset(d->seen_nonce, 0, sizeof(d->seen_nonce));
	mxd_xen_dom_set_state(d, MXD_XB_CONNECTED);
	mxd_log(MXD_LOG_INFO, "xen: domain %u connected", d->domid);
}

/* Re-read the frontend after any change below it and act on it. */
void mxd_xen_dom_refresh(struct mxd_xen_dom *d)
{
	uint32_t fe_state;

	if (!mxd_xen_dom_alive(d->x, d->domid)) {
		mxd_xen_dom_detach_eps(d); /* unmapped now; @releaseDomain forgets it */
		return;
	}
	if (mxd_xs_read_u32(d->x->xs, d->fe, "state", &fe_state))
		fe_state = MXD_XB_UNKNOWN;
	if (d->be_state == MXD_XB_CONNECTED &&
	    fe_state != MXD_XB_INITIALISED && fe_state != MXD_XB_CONNECTED) {
		mxd_xen_dom_detach_eps(d);
		mxd_xen_dom_set_state(d, MXD_XB_INITWAIT);
		mxd_log(MXD_LOG_INFO, "xen: domain %u frontend left (state %u)", d->domid, fe_state);
		return;
	}
	if (d->be_state == MXD_XB_INITWAIT && fe_state == MXD_XB_INITIALISED)
		mxd_xen_dom_connect(d);
	if (d->be_state == MXD_XB_CONNECTED)
		mxd_xen_ep_sync(d);
}
