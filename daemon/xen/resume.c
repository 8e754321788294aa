/* SPDX-License-Identifier: MIT */
/*
 * A domain resumed in place after a suspend (a cancelled or failed save,
 * `xl save -c`): see suspend_watch.h.  After a suspend request the domain is
 * looked at every MXD_XEN_SUSP_POLL_S until it is destroyed or runs again;
 * running again, its device restarts and its libraries re-attach.
 */
#include <stdio.h>
#include <xenctrl.h>
#include "core.h"
#include "log.h"
#include "suspend_watch.h"
#include "xen_int.h"

#define MXD_XEN_SUSP_POLL_S 0.2
#define MXD_XEN_SUSP_MAX_S 600. /* a save slower than this is not watched to the end */

static struct mxd_xen_susp_obs observe(struct mxd_xen *x, uint32_t domid)
{
	struct mxd_xen_susp_obs o = { 0 };
	xc_dominfo_t info;

	if (!x->xc)
		x->xc = xc_interface_open(NULL, NULL, 0);
	if (!x->xc || xc_domain_getinfo(x->xc, domid, 1, &info) != 1 || info.domid != domid)
		return o;
	o.exists = true;
	o.dying = info.dying;
	o.shutdown = info.shutdown;
	o.reason = info.shutdown_reason;
	return o;
}

static void susp_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct mxd_xen_dom *d = w->data;
	struct mxd_xen_susp_obs o = observe(d->x, d->domid);

	(void)revents;
	switch (mxd_xen_susp_step(&d->susp_seen, &o)) {
	case MXD_XEN_SUSP_WAIT:
		if (ev_now(loop) < d->susp_until)
			return;
		break;
	case MXD_XEN_SUSP_RESUMED:
		d->x->st.suspends_cancelled++;
		mxd_log(MXD_LOG_NOTICE, "xen: domain %u resumed in place after a suspend "
			"(save cancelled or checkpoint): its endpoints re-attach", d->domid);
		mxd_xen_dom_restart_device(d);
		break;
	case MXD_XEN_SUSP_GONE:
		break;
	}
	ev_timer_stop(loop, w);
}

void mxd_xen_susp_watch(struct mxd_xen_dom *d)
{
	if (ev_is_active(&d->susp_w))
		return;
	ev_timer_init(&d->susp_w, susp_cb, MXD_XEN_SUSP_POLL_S, MXD_XEN_SUSP_POLL_S);
	d->susp_w.data = d;
	d->susp_seen = false;
	d->susp_until = ev_now(d->x->loop) + MXD_XEN_SUSP_MAX_S;
	ev_timer_start(d->x->loop, &d->susp_w);
}

void mxd_xen_susp_unwatch(struct mxd_xen_dom *d)
{
	if (d->x->loop)
		ev_timer_stop(d->x->loop, &d->susp_w);
}

void mxd_xen_susp_fini(struct mxd_xen *x)
{
	if (x->xc)
		xc_interface_close(x->xc);
	x->xc = NULL;
}
