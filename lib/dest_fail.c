/*
 * Destinations that a send completed at issue failed to reach.
 *
 * A buffered send completes when its bytes are in the slot or the sendq
 * (issue.c, "zombie" sends), so the daemon's later failure report (peer
 * declared dead, endpoint closed, session refused) reaches no request.
 * Without memory of it, an application sending to a dead peer would see
 * every send succeed for ever.  So the failure is remembered per
 * destination address, and later sends to that address complete with the
 * same status at once.  A reconnect gives a new session, hence a new
 * address, and starts clean.
 */
#include "mxl.h"

static bool dest_gone(mx_status_code_t code)
{
	return code == MX_STATUS_ENDPOINT_UNREACHABLE || code == MX_STATUS_TIMEOUT ||
	       code == MX_STATUS_ENDPOINT_CLOSED || code == MX_STATUS_BAD_SESSION;
}

static bool same_dest(const struct mxl_dest_fail *f, const struct mxl_addr *a)
{
	return f->code && f->nic_id == a->nic_id && f->session == a->session &&
	       f->endpoint == a->endpoint;
}

void mxl_dest_fail_note(struct mx_endpoint *ep, const struct mxl_addr *dest, mx_status_code_t code)
{
	struct mxl_dest_fail *f;

	if (!dest_gone(code) || mxl_dest_failed(ep, dest) != MX_STATUS_SUCCESS)
		return;
	/* Oldest entry makes room: a bounded table, a dead peer per slot. */
	f = &ep->dest_fail[ep->dest_fail_next++ % MXL_DEST_FAIL_MAX];
	f->nic_id = dest->nic_id;
	f->session = dest->session;
	f->endpoint = dest->endpoint;
	f->code = code;
}

mx_status_code_t mxl_dest_failed(const struct mx_endpoint *ep, const struct mxl_addr *dest)
{
	for (unsigned i = 0; i < MXL_DEST_FAIL_MAX; i++)
		if (same_dest(&ep->dest_fail[i], dest))
			return ep->dest_fail[i].code;
	return MX_STATUS_SUCCESS;
}
