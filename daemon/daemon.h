/* SPDX-License-Identifier: MIT */
/*
 * The daemon's top-level objects, handed to each subsystem's start function
 * (transports, wire engine, control socket).  main.c owns them.
 */
#ifndef MXD_DAEMON_H
#define MXD_DAEMON_H

#include "conf.h"

struct mxd_daemon {
	struct mxd_config cfg;
	const char *config_path;    /* NULL: defaults only */
	struct mxd_core *core;
	struct mxd_loop *loop;
	struct ev_loop *ev;
	struct mxd_local *local;
	void *wire;                 /* wire engine state (daemon/wire/) */
	void *xen;                  /* Xen transport state (daemon/xen/) */
	void *ctl;                  /* control socket state (daemon/ctl/ctl.c) */
};

#endif /* MXD_DAEMON_H */
