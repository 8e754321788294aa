/* SPDX-License-Identifier: MIT */
/* Control socket internals shared by ctl.c (server), ctl_cmd.c (commands),
 * ctl_reload.c and sdnotify.c.  Not for other components. */
#ifndef MXD_CTL_INT_H
#define MXD_CTL_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <ev.h>
#include "ctl.h"
#include "ctl_out.h"

enum mxd_ctl_rc {
	MXD_CTL_OK = 0,
	MXD_CTL_USAGE,      /* the request was malformed */
	MXD_CTL_FAILED,     /* the operation failed */
	MXD_CTL_PENDING,    /* the answer follows through mxd_ctl_conn_finish */
};

struct mxd_ctl;
struct mxd_ctl_ping;
struct mxd_sdnotify;

struct mxd_ctl_conn {
	struct mxd_ctl *ctl;
	int fd;
	ev_io io;
	ev_timer timeout;
	char req[MXD_CTL_REQ_MAX + 1];
	size_t req_len;
	bool json;
	bool pending;
	bool refused;       /* not authorised: the request only gets a refusal */
	struct ucred cred;
	struct mxd_ctl_ping *ping;  /* a ping in flight owns the answer */
	struct mxd_out out;
	char *resp;
	size_t resp_len, resp_off;
	LIST_ENTRY(mxd_ctl_conn) link;
};

struct mxd_ctl {
	struct mxd_daemon *d;
	struct ev_loop *ev;
	int fd;
	ev_io listen_io;
	char path[108];
	bool has_group;
	gid_t gid;
	LIST_HEAD(, mxd_ctl_conn) conns;
	uint32_t nconns;
	uint64_t started_ns;
	/* counters shown by `myrixenctl counters` */
	uint64_t requests, refused, bad_requests, reloads, reload_failures;
	struct mxd_sdnotify *notify;
};

/* Run one parsed request; fills o (the body) or err. */
enum mxd_ctl_rc mxd_ctl_dispatch(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				 const char *cmd, const char *arg, struct mxd_out *o,
				 char *err, size_t errlen);
/* Complete a MXD_CTL_PENDING request. */
void mxd_ctl_conn_finish(struct mxd_ctl_conn *c, enum mxd_ctl_rc rc, const char *err);

/* ping: an MXoE host query round trip to nic_id (ctl_ping.c).  Returns
 * MXD_CTL_PENDING and answers through mxd_ctl_conn_finish, or fails at once. */
enum mxd_ctl_rc mxd_ctl_ping_start(struct mxd_ctl *ctl, struct mxd_ctl_conn *c,
				   const char *host, uint64_t nic_id, char *err, size_t errlen);
/* Cancel a ping (its connection is going away).  Accepts NULL. */
void mxd_ctl_ping_free(struct mxd_ctl_ping *p);

/* The link state of the wire interface: 1 up, 0 down, -errno unknown/none. */
int mxd_ctl_link_state(const char *ifname);
/* "up", "down", "missing", ... or "none" without a wire interface. */
const char *mxd_ctl_link_name(const struct mxd_ctl *ctl);
/* Peers count for status lines: known to the wire engine, or configured. */
uint32_t mxd_ctl_peer_count(const struct mxd_ctl *ctl);

/* systemd: STATUS= and WATCHDOG=1 from a timer on the loop (no-ops outside
 * systemd).  sdnotify.c. */
int mxd_sdnotify_start(struct mxd_ctl *ctl, struct mxd_sdnotify **out);
void mxd_sdnotify_stop(struct mxd_sdnotify *n);
/* Send a fresh STATUS= line now (after a reload, an attach...). */
void mxd_sdnotify_status(struct mxd_sdnotify *n);

#endif /* MXD_CTL_INT_H */
