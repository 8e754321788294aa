/* SPDX-License-Identifier: MIT */
/*
 * mx_extensions.h -- the MX 1.2 extensions implemented by libmyrixen:
 * non-blocking connect, disconnect, forgetting a request, an unexpected
 * message handler and explicit progression.
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

#ifdef __cplusplus
}
#endif

#endif /* MX_EXTENSIONS_H */
