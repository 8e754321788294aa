/* SPDX-License-Identifier: MIT */
/*
 * mx_extensions.h -- the MX 1.2 extensions implemented by libmyrixen:
 * non-blocking connect, disconnect, forgetting a request, an unexpected
 * message handler, explicit progression, address contexts, request
 * timeouts and the session of an address; and myrixen's own additions
 * for message-passing layers that match on the sender (MPI over
 * libfabric): a receive and a probe filtered by source, and claiming a
 * probed message so that only a later receive of that claim gets it.
 */
#ifndef MX_EXTENSIONS_H
#define MX_EXTENSIONS_H

#include "myriexpress.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MX_HAS_ICONNECT_V2 1

/* What an unexpected handler tells the library to do with the message. */
enum mx_unexp_handler_action {
	MX_RECV_CONTINUE = 0,   /* match it (against a receive the handler may have posted) */
	MX_RECV_FINISHED = 1    /* the handler consumed it: drop it */
};
typedef enum mx_unexp_handler_action mx_unexp_handler_action_t;

/* data_if_available is the payload for eagerly carried messages, NULL for
 * rendezvous ones; it is valid only during the call. */
typedef mx_unexp_handler_action_t (*mx_unexp_handler_t)(void *context, mx_endpoint_addr_t source,
							 uint64_t match_value, uint32_t length,
							 void *data_if_available);

MX_FUNC(mx_return_t) mx_iconnect(mx_endpoint_t ep, uint64_t nic_id, uint32_t eid, uint32_t key,
				 uint64_t match_info, void *context, mx_request_t *request);
MX_FUNC(mx_return_t) mx_disconnect(mx_endpoint_t ep, mx_endpoint_addr_t addr);
MX_FUNC(mx_return_t) mx_register_unexp_handler(mx_endpoint_t ep, mx_unexp_handler_t handler,
					       void *context);
MX_FUNC(mx_return_t) mx_forget(mx_endpoint_t endpoint, mx_request_t *request);
MX_FUNC(mx_return_t) mx_progress(mx_endpoint_t ep);

/* A pointer the application attaches to a peer's address (every copy of an
 * address obtained through the same local endpoint shares it). */
MX_FUNC(mx_return_t) mx_set_endpoint_addr_context(mx_endpoint_addr_t endpoint_addr, void *context);
MX_FUNC(mx_return_t) mx_get_endpoint_addr_context(mx_endpoint_addr_t endpoint_addr,
						  void **context);
/* Give up on a request (NULL: every later request of the endpoint) after
 * milli_seconds without progress; see lib/README.md for what it bounds. */
MX_FUNC(mx_return_t) mx_set_request_timeout(mx_endpoint_t endpoint, mx_request_t request,
					    uint32_t milli_seconds);
MX_FUNC(mx_return_t) mx_decompose_endpoint_addr2(mx_endpoint_addr_t endpoint_addr,
						 uint64_t *nic_id, uint32_t *endpoint_id,
						 uint32_t *session_id);

/* ---- myrixen: source-filtered matching (library side only; nothing of it
 * travels on the wire, so native MX/Open-MX peers are unaffected) ---- */
#define MX_HAS_SOURCE_MATCHING 1

/* A message matched and then set aside by mx_iclaim. */
typedef struct mx_claim *mx_claim_t;

/* mx_irecv that only a message from 'source' (its nic id and endpoint id,
 * whatever the route) can match.  Per-sender order is kept: the oldest
 * matching message of that sender is taken. */
MX_FUNC(mx_return_t) mx_irecv_from(mx_endpoint_t endpoint, mx_segment_t *segments_list,
				   uint32_t segments_count, mx_endpoint_addr_t source,
				   uint64_t match_info, uint64_t match_mask, void *context,
				   mx_request_t *request);
/* mx_iprobe restricted to messages from *source (NULL = any source) that
 * also copies the first head_len bytes of the message into head when its
 * payload is already here (carried eagerly: up to MX_COPY_SEND_MAX bytes);
 * status->xfer_length then says how many were copied (0 for a rendezvous,
 * whose payload is still at the sender).  head may be NULL. */
MX_FUNC(mx_return_t) mx_iprobe_from(mx_endpoint_t endpoint, const mx_endpoint_addr_t *source,
				    uint64_t match_info, uint64_t match_mask, mx_status_t *status,
				    void *head, uint32_t head_len, uint32_t *result);
/* mx_iprobe_from and, when *result is 1, take the message out of matching:
 * no receive can match it any more; *claim names it for mx_irecv_claimed,
 * which must follow (the claim holds its buffer, and a rendezvous holds its
 * sender, until then; closing the endpoint drops it). */
MX_FUNC(mx_return_t) mx_iclaim(mx_endpoint_t endpoint, const mx_endpoint_addr_t *source,
			       uint64_t match_info, uint64_t match_mask, mx_status_t *status,
			       void *head, uint32_t head_len, mx_claim_t *claim, uint32_t *result);
/* Receive the claimed message into segments_list; the claim is spent. */
MX_FUNC(mx_return_t) mx_irecv_claimed(mx_endpoint_t endpoint, mx_segment_t *segments_list,
				      uint32_t segments_count, mx_claim_t claim, void *context,
				      mx_request_t *request);

#ifdef __cplusplus
}
#endif

#endif /* MX_EXTENSIONS_H */
