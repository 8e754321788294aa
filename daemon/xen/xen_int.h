/* SPDX-License-Identifier: MIT */
/*
 * Xen transport internals.  Objects:
 *   struct mxd_xen      the handles and the list of attached domains
 *   struct mxd_xen_dom  one domain's myrixen device (frontend + backend)
 *   struct mxd_xen_ep   one endpoint: its mapped area and bound port
 * A xen ep is owned by the core once attached (ops->destroy frees it).
 * Error convention: 0 or -errno.
 */
#ifndef MXD_XEN_INT_H
#define MXD_XEN_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <ev.h>
#include <xenstore.h>
#include <xengnttab.h>
#include <xenevtchn.h>
#include <myrixen/abi.h>
#include <myrixen/layout.h>
#include "arrivals.h"
#include "gcopy.h"
#include "open_req.h"
#include "xen.h"

#define MXD_XEN_TYPE "myrixen"
#define MXD_XEN_SLOTS 256u
#define MXD_XEN_PATH 128
#define MXD_XEN_GONE_MAX 16u  /* released domains remembered for a restore */

enum mxd_xenbus_state {
	MXD_XB_UNKNOWN = 0, MXD_XB_INITIALISING = 1, MXD_XB_INITWAIT = 2,
	MXD_XB_INITIALISED = 3, MXD_XB_CONNECTED = 4, MXD_XB_CLOSING = 5,
	MXD_XB_CLOSED = 6,
};

struct mxd_xen;
struct mxd_endpoint;

struct mxd_xen_ep {
	struct mxd_xen *x;
	struct mxd_xen_dom *dom;    /* NULL once the domain is gone */
	struct mxd_endpoint *ep;    /* core endpoint, NULL until attached */
	uint32_t domid;
	uint32_t slot, nonce;
	uint8_t *area;
	uint32_t npages;
	evtchn_port_t lport;        /* bound local port, or 0 */
	bool bound;
	LIST_ENTRY(mxd_xen_ep) link;/* in x->eps */
};

struct mxd_xen_dom {
	struct mxd_xen *x;
	uint32_t domid;
	char fe[MXD_XEN_PATH], be[MXD_XEN_PATH];
	char token[32], sd_token[32];
	char sd_path[64];           /* /local/domain/D/control/shutdown */
	bool sd_armed;              /* the watch's first (registration) event seen */
	char vm[MXD_XEN_PATH];      /* /vm/<uuid>: the same after xl restore */
	struct mxd_guest *guest;    /* core guest, one reference held */
	int be_state;
	struct mxd_xen_ep *eps[MXD_XEN_SLOTS];
	uint32_t seen_nonce[MXD_XEN_SLOTS]; /* last open request handled per slot */
	ev_timer susp_w;            /* after a suspend request (resume.c) */
	bool susp_seen;             /* ... the domain was seen suspended */
	ev_tstamp susp_until;
	LIST_ENTRY(mxd_xen_dom) link;
};

struct mxd_xen {
	struct mxd_core *core;
	struct ev_loop *loop;
	struct xs_handle *xs;
	xengnttab_handle *gt;
	xenevtchn_handle *ec;
	ev_io xs_io, ec_io;
	LIST_HEAD(, mxd_xen_dom) doms;
	LIST_HEAD(, mxd_xen_ep) eps;
	struct mxd_xen_gcopy *gcopy;/* guest-to-guest copies, off the loop */
	struct xc_interface_core *xc; /* domain states (resume.c), opened on first use */
	/* Domains that went away while attached: one that comes back (xl
	 * restore, an incoming migration) is attached again by itself. */
	char gone[MXD_XEN_GONE_MAX][MXD_XEN_PATH];
	uint32_t gone_next;
	struct mxd_xen_seen seen;   /* live domains already looked at (arrivals.h) */
	struct mxd_xen_stats st;
};

/* xs.c: strict xenstore helpers */
int mxd_xs_read_u32(struct xs_handle *xs, const char *dir, const char *node, uint32_t *out);
int mxd_xs_read_str(struct xs_handle *xs, const char *dir, const char *node, char *buf,
		    size_t len);
int mxd_xs_printf(struct xs_handle *xs, xs_transaction_t t, const char *dir, const char *node,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* dom.c: devices */
bool mxd_xen_dom_alive(struct mxd_xen *x, uint32_t domid);
struct mxd_xen_dom *mxd_xen_dom_find(struct mxd_xen *x, uint32_t domid);
int mxd_xen_dom_adopt(struct mxd_xen *x, uint32_t domid, struct mxd_xen_dom **out);
void mxd_xen_dom_refresh(struct mxd_xen_dom *d);
void mxd_xen_dom_free(struct mxd_xen_dom *d, bool closed_state);
void mxd_xen_dom_detach_eps(struct mxd_xen_dom *d);
/* The toolstack asked the domain to shut down or suspend (control/shutdown
 * changed): stop writing into its memory and detach its endpoints before
 * it is saved; its library re-attaches them after the restore. */
void mxd_xen_dom_shutdown_asked(struct mxd_xen_dom *d);
uint32_t mxd_xen_dom_quiesce(struct mxd_xen_dom *d, bool moving);

/* The device starts over (backend InitWait): the frontend drops its
 * endpoints and handshakes again, the libraries re-attach. */
void mxd_xen_dom_restart_device(struct mxd_xen_dom *d);

/* resume.c: a domain resumed in place after a suspend (suspend_watch.h) */
void mxd_xen_susp_watch(struct mxd_xen_dom *d);
void mxd_xen_susp_unwatch(struct mxd_xen_dom *d);
void mxd_xen_susp_fini(struct mxd_xen *x);

/* ep.c: endpoints */
void mxd_xen_ep_sync(struct mxd_xen_dom *d);
/* The indexes d's endpoints hold (MXD_XEN_SESSIONS) will be re-attached:
 * the wire keeps quiet about them meanwhile (mxd_core_quiet). */
void mxd_xen_quiet_claims(struct mxd_xen_dom *d);
void mxd_xen_ep_close(struct mxd_xen_ep *xe);
struct mxd_xen_ep *mxd_xen_ep_by_port(struct mxd_xen *x, evtchn_port_t port);

#endif /* MXD_XEN_INT_H */
