/* SPDX-License-Identifier: MIT */
/*
 * myribackd's Xen transport: guests are domUs running the shim
 * (shim/myrixen.ko); each has one xenbus device of type "myrixen" whose
 * frontend publishes one xenstore subnode per open endpoint (protocol in
 * shim/README.md).  Everything runs on the daemon's libev loop: one
 * xenstore watch fd and one event-channel fd for all guests.
 *
 * Error convention (whole daemon): 0 or -errno.
 */
#ifndef MXD_XEN_H
#define MXD_XEN_H

#include <stdint.h>

struct ev_loop;
struct mxd_core;
struct mxd_xen;

/*
 * Open xenstore, grant-table and event-channel handles, watch
 * @releaseDomain, and take over every myrixen device already attached
 * (a restarted daemon: backends go back to InitWait and guests reconnect).
 * -ENOENT / -EACCES when this is not a Xen dom0 (caller may continue with
 * the other transports).
 */
int mxd_xen_start(struct mxd_core *core, struct ev_loop *loop, struct mxd_xen **out);
/* Detach every endpoint, leave the devices in state Closed (so a restarted
 * daemon takes them over), close the handles.  Accepts NULL. */
void mxd_xen_stop(struct mxd_xen *x);

/* myrixenctl attach/detach: create (or remove) the frontend and backend
 * xenstore nodes of domain 'domid' with libxl's owners and permissions.
 * attach: -EEXIST when already attached, -ESRCH when no such domain.
 * detach: -ENOENT when not attached. */
int mxd_xen_attach(struct mxd_xen *x, uint32_t domid);
int mxd_xen_detach(struct mxd_xen *x, uint32_t domid);

/* Counters for myrixenctl. */
struct mxd_xen_stats {
	uint32_t domains;           /* attached devices */
	uint32_t endpoints;         /* endpoints currently mapped */
	uint64_t eps_attached, eps_detached;
	uint64_t eps_refused;       /* malformed or over-limit open requests */
	uint64_t eps_reattached;    /* endpoints a guest re-attached after a daemon
				     * restart or its own restore (session kept) */
	uint64_t domains_restored;  /* guests re-attached after xl restore / migrate */
	uint64_t domains_auto_attached; /* domains given a device when they appeared
				     * (xl create, incoming xl migrate: conf xen_attach) */
	uint64_t eps_migrated_in;   /* re-attaches of endpoints that came from another
				     * host (xl migrate): no record of them here */
	uint64_t eps_index_taken;   /* re-attaches refused because their endpoint index
				     * is held by another endpoint here (counted in
				     * eps_refused too) */
	uint64_t eps_suspended;     /* endpoints detached because their domain suspended
				     * (xl save, or xl migrate to another host) */
	uint64_t grant_pages_mapped;/* pages currently mapped (0 when idle) */
	uint64_t copy_faults;       /* grant copies the hypervisor refused */
	/* large messages between two guests of this host: grant ref to grant
	 * ref, no dom0 buffer (gcopy.h) */
	uint64_t copy_direct;       /* transfers */
	uint64_t copy_direct_bytes;
	uint64_t copy_direct_calls; /* grant-copy calls (<= 256 segments each) */
	/* bytes copied between a guest's grants and a dom0 buffer (pulls to or
	 * from the wire, or a transfer with no direct path) */
	uint64_t copy_bounce_bytes;
	uint64_t domains_released;  /* guests that died or were destroyed */
	uint64_t suspends_cancelled;/* guests resumed in place after a suspend
				     * (failed or cancelled save, xl save -c) */
};
void mxd_xen_get_stats(const struct mxd_xen *x, struct mxd_xen_stats *out);

#endif /* MXD_XEN_H */
