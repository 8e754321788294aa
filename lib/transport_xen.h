/* SPDX-License-Identifier: MIT */
/* The Xen transport's pair channels (transport_xen_pair.c), for its ops. */
#ifndef MXL_TRANSPORT_XEN_H
#define MXL_TRANSPORT_XEN_H

#include "myrixen/pair.h"
#include "transport.h"

int mxl_xen_pair_attach(struct mxl_transport *t, const struct mxn_evt *e,
			struct mxl_pair_chan *ch, struct mxn_pair_xen *ans);
int mxl_xen_pair_ring(struct mxl_transport *t, struct mxl_pair_chan *ch);
void mxl_xen_pair_detach(struct mxl_transport *t, struct mxl_pair_chan *ch);
/* The endpoint's /dev/myrixen file when its shim binds pair bells
 * (MXN_SHIMF_PAIR_BELL, not turned off by MYRIXEN_XEN_SHIM_BELL=0), else -1
 * (transport_xen.c). */
int mxl_xen_bell_fd(struct mxl_transport *t);
/* The endpoint's /dev/myrixen file when its shim drops peer mappings at a
 * suspend (MXN_SHIMF_PEER_MAPS), else -1 (transport_xen.c). */
int mxl_xen_peer_map_fd(struct mxl_transport *t);
/* A watched pair port fired: take its notifications and unmask it. */
void mxl_xen_bell_ack(int fd);

#endif /* MXL_TRANSPORT_XEN_H */
