/* SPDX-License-Identifier: MIT */
/*
 * The wire engine inside myribackd: binds the MXoE protocol (mxoe_proto.h)
 * to the configured interface (packet_io.h, link.h), to the daemon's libev
 * loop (all protocol timers run there, so progress never waits for an
 * application) and to the core through remote.h.
 * Error convention: 0 or -errno.
 */
#ifndef MXW_ENGINE_H
#define MXW_ENGINE_H

#include <stdint.h>
#include "link.h"
#include "mxoe_proto.h"
#include "packet_io.h"

struct mxd_daemon;

/* Start on d->cfg.interface (d->wire is set); a missing interface or one
 * with a too-small MTU fails with a logged reason; a down link starts in
 * state "down" and comes alive with the link. */
int mxw_engine_start(struct mxd_daemon *d);
/* Stop; accepts a daemon whose engine never started. */
void mxw_engine_stop(struct mxd_daemon *d);

/* For the control socket: plain structs, copied out. */
struct mxw_engine_stats {
	struct mxw_link_info link;
	char state_why[128];
	uint64_t nic_id;
	uint32_t frag_max;
	uint32_t npeers;
	struct mxw_usage usage;     /* peers, partners, reassembly bytes held now */
	struct mxw_counters proto;  /* frames, bytes, resends, drops, NACKs, bad frames */
	struct mxw_pio_stats io;
	uint64_t link_changes;
	uint64_t timer_arms;        /* loop timer (re-)armed: only on a new earliest deadline */
};
int mxw_engine_get_stats(void *wire, struct mxw_engine_stats *out);
/* Peer 'index' (0 = this host): -ENOENT past the end. */
int mxw_engine_get_peer(void *wire, uint16_t index, struct mxw_peer_info *out);
/* Reload: add (or rename) a configured peer; our own MAC is skipped (0).
 * Returns the peer index (>= 1), 0, or -errno.  Configured peers are never
 * removed from a running engine (partners may reference them). */
int mxw_engine_add_peer(void *wire, uint64_t nic_id, const char *hostname);

#endif /* MXW_ENGINE_H */
