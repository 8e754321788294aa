/* SPDX-License-Identifier: MIT */
/*
 * myribackd configuration: the in-memory form of myribackd.conf.
 * Error convention (whole daemon): functions return 0 or -errno; a parse
 * error also fills 'err' with "FILE:LINE: message".
 */
#ifndef MXD_CONF_H
#define MXD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <sys/types.h>
#include "attach_policy.h"

#define MXD_PATH_MAX 108        /* sun_path */
#define MXD_NAME_MAX 64
#define MXD_PEERS_MAX 256

enum mxd_log_level { MXD_LOG_ERR = 3, MXD_LOG_WARNING = 4, MXD_LOG_NOTICE = 5,
		     MXD_LOG_INFO = 6, MXD_LOG_DEBUG = 7 };

struct mxd_conf_peer {
	char hostname[MXD_NAME_MAX];
	uint64_t nic_id;            /* MAC as a 48-bit number */
};

struct mxd_conf_limits {
	uint32_t endpoints;         /* per principal: a Xen domain, or a local uid */
	uint32_t endpoint_reserve;  /* free indices only principals holding none may take */
	uint32_t cmd_order, evt_order;      /* default ring sizes (log2 slots) */
	uint32_t sendq_size, recvq_size;    /* default and maximum queue bytes */
	uint64_t registered_bytes;  /* registered memory in flight, per guest */
	uint32_t medium_max;        /* largest queued (small/medium) message */
	uint32_t outstanding;       /* rendezvous/pulls in flight, per endpoint */
};

struct mxd_config {
	/* transports */
	bool transport_local;
	bool transport_xen;
	char local_socket[MXD_PATH_MAX];
	char local_group[MXD_NAME_MAX];     /* "" = the daemon's own group */
	char ctl_socket[MXD_PATH_MAX];
	char ctl_group[MXD_NAME_MAX];
	/* wire; empty interface = no wire (host-local only) */
	char interface[IF_NAMESIZE];
	uint64_t nic_id;            /* 0 = from the interface MAC, or derived */
	char hostname[MXD_NAME_MAX];        /* "" = gethostname() */
	uint32_t wire_mtu;          /* Open-MX's MTU (whole frame); 0 = min(interface, 9000) */
	/* a silent peer's transfers fail after this (MX's request timeout);
	 * 0 = the wire engine's default (MXW_PEER_TIMEOUT_MS_DEFAULT) */
	uint32_t peer_timeout_ms;
	/* anticipatory polling window after a ring had work, microseconds */
	uint32_t poll_window_us;
	uint32_t poll_budget;       /* slots consumed per ring per pass */
	/* spin the window even on <= 2 CPUs (myrixen/spin.h "forced"); the
	 * runnable-task and preemption checks still apply */
	bool poll_spin_force;
	/* broker pair channels between connected local endpoints (pair.h) */
	bool pair_channels;
	bool xen_pair_channels;     /* also between two Xen guests (pair.h "Xen") */
	/* Xen domains attached by themselves when they appear (attach_policy.h) */
	char xen_attach[MXD_ATTACH_POLICY_MAX];
	struct mxd_conf_limits limits;
	struct mxd_conf_peer peers[MXD_PEERS_MAX];
	uint32_t npeers;
	enum mxd_log_level log_level;
};

/* Fill every field with its documented default. */
void mxd_config_defaults(struct mxd_config *cfg);

/* Parse FILE over the defaults.  0, or -errno with err = "FILE:LINE: why".
 * On error cfg is left untouched (a reload keeps the old configuration). */
int mxd_config_load(struct mxd_config *cfg, const char *path, char *err, size_t errlen);

/* The longest accepted line, newline excluded. */
#define MXD_CONF_LINE_MAX 1023

/* Pure parser behind mxd_config_load: parse LEN bytes of BUF over cfg;
 * NAME only prefixes messages.  Same contract as mxd_config_load. */
int mxd_config_parse(struct mxd_config *cfg, const char *name, const char *buf,
		     size_t len, char *err, size_t errlen);

/* Render cfg in the file format (every key); parsing the result over the
 * defaults gives back an equal cfg.  Returns the length snprintf would
 * have written, like snprintf. */
int mxd_config_format(const struct mxd_config *cfg, char *buf, size_t len);

/* True when both configurations are the same in every field. */
bool mxd_config_equal(const struct mxd_config *a, const struct mxd_config *b);

/* "err", "warning", "notice", "info", "debug"; NULL for other values. */
const char *mxd_log_level_name(enum mxd_log_level lvl);

#endif /* MXD_CONF_H */
