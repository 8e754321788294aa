/* SPDX-License-Identifier: MIT */
/* Return codes, status codes, their strings and the error handlers. */
#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "mxl.h"

static mx_return_t errors_are_fatal(char *str, mx_return_t ret)
{
	fprintf(stderr, "MX error: %s: %s\n", str, mx_strerror(ret));
	abort();
}

static mx_return_t errors_return(char *str, mx_return_t ret)
{
	(void)str;
	return ret;
}

MXL_EXPORT const mx_error_handler_t MX_ERRORS_ARE_FATAL = errors_are_fatal;
MXL_EXPORT const mx_error_handler_t MX_ERRORS_RETURN = errors_return;

static _Atomic(mx_error_handler_t) mxl_handler = errors_are_fatal;

MXL_EXPORT mx_error_handler_t mx_set_error_handler(mx_error_handler_t handler)
{
	return atomic_exchange(&mxl_handler, handler ? handler : errors_are_fatal);
}

mx_return_t mxl_error(struct mx_endpoint *ep, const char *fn, mx_return_t ret)
{
	mx_error_handler_t h;
	char msg[96];

	if (ret == MX_SUCCESS)
		return ret;
	h = ep && ep->error_handler ? ep->error_handler : atomic_load(&mxl_handler);
	snprintf(msg, sizeof(msg), "%s", fn);
	return h(msg, ret);
}

mx_return_t mxl_errno_to_ret(int err)
{
	switch (err) {
	case 0: return MX_SUCCESS;
	case -ENOENT: case -ECONNREFUSED: return MX_NO_DRIVER;
	case -EACCES: case -EPERM: return MX_NO_PERM;
	case -EBUSY: case -EADDRINUSE: return MX_BUSY;
	case -ENOMEM: case -ENOSPC: case -EMFILE: case -ENFILE: return MX_NO_RESOURCES;
	case -ERANGE: case -EINVAL: return MX_BAD_ENDPOINT_ID;
	case -EPROTO: case -EPROTONOSUPPORT: return MX_BAD_KERNEL_VERSION;
	case -ENODEV: return MX_BOARD_UNKNOWN;
	case -ETIMEDOUT: return MX_TIMEOUT;
	default: return MX_FAILURE;
	}
}

mx_status_code_t mxl_status_from_mxn(uint8_t st)
{
	switch (st) {
	case MXN_ST_OK: return MX_STATUS_SUCCESS;
	case MXN_ST_TRUNCATED: return MX_STATUS_TRUNCATED;
	case MXN_ST_BAD_ENDPOINT: return MX_STATUS_BAD_ENDPOINT;
	case MXN_ST_BAD_KEY: return MX_STATUS_BAD_KEY;
	case MXN_ST_BAD_SESSION: return MX_STATUS_BAD_SESSION;
	case MXN_ST_CLOSED:
	case MXN_ST_AWAY:
	case MXN_ST_MOVED: /* and never followed (reattach.c) */
		return MX_STATUS_ENDPOINT_CLOSED;
	case MXN_ST_TIMEOUT: return MX_STATUS_TIMEOUT;
	case MXN_ST_NO_RESOURCES: return MX_STATUS_NO_RESOURCES;
	case MXN_ST_NOT_FOUND: return MX_STATUS_ENDPOINT_UNKNOWN;
	case MXN_ST_BAD_REQUEST:
	default: return MX_STATUS_REJECTED;
	}
}

static const char *const mxl_ret_str[] = {
	[MX_SUCCESS] = "Success",
	[MX_BAD_BAD_BAD] = "Internal error",
	[MX_FAILURE] = "Failure",
	[MX_ALREADY_INITIALIZED] = "Already initialized",
	[MX_NOT_INITIALIZED] = "Not initialized",
	[MX_NO_DEV] = "No device",
	[MX_NO_DRIVER] = "myribackd not reachable",
	[MX_NO_PERM] = "Permission denied",
	[MX_BOARD_UNKNOWN] = "Unknown board",
	[MX_BAD_ENDPOINT] = "Bad endpoint",
	[MX_BAD_SEG_LIST] = "Bad segment list",
	[MX_BAD_SEG_MEM] = "Bad segment memory",
	[MX_BAD_SEG_CNT] = "Bad segment count",
	[MX_BAD_REQUEST] = "Bad request",
	[MX_BAD_MATCH_MASK] = "Bad match mask",
	[MX_NO_RESOURCES] = "No resources",
	[MX_BAD_ADDR_LIST] = "Bad address list",
	[MX_BAD_ADDR_COUNT] = "Bad address count",
	[MX_BAD_ROOT] = "Bad root",
	[MX_NOT_COMPLETED] = "Not completed",
	[MX_BUSY] = "Busy",
	[MX_BAD_INFO_KEY] = "Bad info key",
	[MX_BAD_INFO_VAL] = "Bad info value",
	[MX_BAD_NIC] = "Bad NIC",
	[MX_BAD_PARAM_LIST] = "Bad parameter list",
	[MX_BAD_PARAM_NAME] = "Bad parameter name",
	[MX_BAD_PARAM_VAL] = "Bad parameter value",
	[MX_BAD_HOSTNAME_ARGS] = "Bad hostname arguments",
	[MX_HOST_NOT_FOUND] = "Host not found",
	[MX_REQUEST_PENDING] = "Request pending",
	[MX_TIMEOUT] = "Timeout",
	[MX_NO_MATCH] = "No match",
	[MX_BAD_ENDPOINT_ID] = "Bad endpoint id",
	[MX_CONNECTION_FAILED] = "Connection failed",
	[MX_BAD_CONNECTION_KEY] = "Bad connection key",
	[MX_BAD_INFO_LENGTH] = "Bad info length",
	[MX_NIC_NOT_FOUND] = "NIC not found",
	[MX_BAD_KERNEL_VERSION] = "Daemon ABI version mismatch",
	[MX_BAD_LIB_VERSION] = "Library API version mismatch",
	[MX_NIC_DEAD] = "NIC (daemon) dead",
	[MX_CANCEL_NOT_SUPPORTED] = "Cancel not supported",
	[MX_CLOSE_IN_HANDLER] = "Close in handler",
	[MX_BAD_MATCHING_FOR_CONTEXT_ID_MASK] = "Bad matching for context id mask",
	[MX_NOT_SUPPORTED_WITH_CONTEXT_ID] = "Not supported with context id",
};

static const char *const mxl_status_str[] = {
	[MX_STATUS_SUCCESS] = "Success",
	[MX_STATUS_PENDING] = "Pending",
	[MX_STATUS_BUFFERED] = "Buffered",
	[MX_STATUS_REJECTED] = "Rejected",
	[MX_STATUS_TIMEOUT] = "Timeout",
	[MX_STATUS_TRUNCATED] = "Truncated",
	[MX_STATUS_CANCELLED] = "Cancelled",
	[MX_STATUS_ENDPOINT_UNKNOWN] = "Endpoint unknown",
	[MX_STATUS_ENDPOINT_CLOSED] = "Endpoint closed",
	[MX_STATUS_ENDPOINT_UNREACHABLE] = "Endpoint unreachable",
	[MX_STATUS_BAD_SESSION] = "Bad session",
	[MX_STATUS_BAD_KEY] = "Bad key",
	[MX_STATUS_BAD_ENDPOINT] = "Bad endpoint",
	[MX_STATUS_BAD_RDMAWIN] = "Bad RDMA window",
	[MX_STATUS_ABORTED] = "Aborted",
	[MX_STATUS_EVENTQ_FULL] = "Event queue full",
	[MX_STATUS_NO_RESOURCES] = "No resources",
};

MXL_EXPORT const char *mx_strerror(mx_return_t return_code)
{
	unsigned c = (unsigned)return_code;

	if (c < sizeof(mxl_ret_str) / sizeof(mxl_ret_str[0]) && mxl_ret_str[c])
		return mxl_ret_str[c];
	return "Unknown error";
}

MXL_EXPORT const char *mx_strstatus(mx_status_code_t status)
{
	unsigned c = (unsigned)status;

	if (c < sizeof(mxl_status_str) / sizeof(mxl_status_str[0]) && mxl_status_str[c])
		return mxl_status_str[c];
	return "Unknown status";
}
