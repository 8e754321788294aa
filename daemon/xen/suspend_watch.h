/* SPDX-License-Identifier: MIT */
/*
 * A domain asked to suspend (control/shutdown = "suspend") has its
 * endpoints detached before it is saved (dom.c).  Usually it is then
 * destroyed (xl save) and may come back elsewhere (xl restore, migration:
 * the shim's resume re-attaches).  But a save that fails or is cancelled,
 * and `xl save -c` (a checkpoint), resume the same domain in place, and
 * Linux calls no driver on a cancelled suspend: the shim would wait for a
 * backend that detached it.  So the daemon watches the domain after the
 * request (pure decision here, resume.c polls): once it has seen it
 * suspended and then sees it running again, it restarts the device
 * (backend back to InitWait), and the libraries re-attach as after a
 * daemon restart.  Pure logic, no I/O.
 */
#ifndef MXD_XEN_SUSPEND_WATCH_H
#define MXD_XEN_SUSPEND_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#define MXD_XEN_SHUTDOWN_SUSPEND 2u  /* SHUTDOWN_suspend (xen/sched.h) */

/* What xc_domain_getinfo says of the domain now. */
struct mxd_xen_susp_obs {
	bool exists;                /* the domain id is still this domain */
	bool dying;
	bool shutdown;
	uint32_t reason;            /* shutdown reason when shutdown */
};

enum mxd_xen_susp {
	MXD_XEN_SUSP_WAIT,          /* not suspended yet, or still suspended */
	MXD_XEN_SUSP_RESUMED,       /* suspended, then running again in place */
	MXD_XEN_SUSP_GONE,          /* destroyed (saved, or shut down): stop */
};

/* One look; *seen remembers a suspended state across looks. */
enum mxd_xen_susp mxd_xen_susp_step(bool *seen, const struct mxd_xen_susp_obs *o);

#endif /* MXD_XEN_SUSPEND_WATCH_H */
