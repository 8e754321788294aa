/* SPDX-License-Identifier: MIT */
/*
 * Following a migrated endpoint (docs/migration.md, issue 13).  An endpoint
 * whose guest moved to another host connects again to each peer it had,
 * saying where it lived (struct mxw_connect_moved).  A peer's endpoint is
 * told (cb.moved -> MXN_EVT_MOVED) only when the connect proves the
 * connection it claims (docs/security.md): it quotes the peer endpoint's
 * own session, which only endpoints that connected to it were told, and
 * the peer had a partner with that very (old host, index, session).  Then
 * what the peer still had in flight to the old host (which drops it in
 * silence) fails MXN_ST_MOVED, and so does every later send on that
 * partner: the peer's library sends them again where the endpoint went.
 *
 * The key: a mover connects again with the key it was reached with, so a
 * peer that connected to it (with the mover's key) and has a key of its
 * own is met with a key that is not its own.  Such a connect is taken when
 * that peer connected to the mover at its old place with that very key
 * (mxw_moved_key_ok): the connection it proves was made by the peer (a
 * wire partner's key, or for a mover that lived on this host the core's
 * record of the peer's local connect, cb.moved_key).
 *
 * A mover that came to the peer's own host reaches it by a local connect;
 * the core asks here whether the peer had that partner on the wire
 * (mxw_proto_moved_here).
 */
#include <errno.h>
#include <myrixen/abi.h>
#include "mxoe_int.h"

/* The partner the mover claims it was: ep's, on old_nic, with that
 * remote endpoint and session.  NULL when ep had no such connection. */
static struct mxw_partner *claimed_partner(struct mxw_proto *pr, struct mxw_ep ep,
					   uint64_t old_nic, uint8_t rep, uint32_t rsession)
{
	struct mxw_partner *pt;
	int op = mxw_proto_peer_by_nic(pr, old_nic);

	if (op <= 0)
		return NULL;
	pt = mxw_partner_find(pr, ep.index, (uint16_t)op, rep);
	if (!pt || pt->lsession != ep.session || !pt->rsession_known || pt->rsession != rsession)
		return NULL;
	return pt;
}

/* The partner f claims, when f is a mover's connect quoting ep's session
 * from a host it did not come from (and not this one: local connections
 * are the core's). */
static struct mxw_partner *partner_proven(struct mxw_proto *pr, int peer, struct mxw_ep ep,
					  const struct mxw_frame *f)
{
	uint64_t old_nic = f->u.connect.moved_from;

	if (!old_nic || f->u.connect.moved_proof != ep.session ||
	    old_nic == pr->peers[peer].nic_id || old_nic == pr->nic_id)
		return NULL;
	return claimed_partner(pr, ep, old_nic, f->u.connect.src_ep, f->u.connect.src_session);
}

bool mxw_moved_key_ok(struct mxw_proto *pr, int peer, struct mxw_ep ep, const struct mxw_frame *f)
{
	const struct mxw_partner *pt;

	if (f->u.connect.moved_from == pr->nic_id && f->u.connect.moved_proof == ep.session &&
	    pr->nic_id != pr->peers[peer].nic_id)   /* it lived here: the core's records */
		return pr->cb.moved_key && !pr->cb.moved_key(pr->cb.ctx, ep, f->u.connect.src_ep,
							     f->u.connect.src_session,
							     f->u.connect.app_key);
	pt = partner_proven(pr, peer, ep, f);
	return pt && pt->key_known && pt->key == f->u.connect.app_key;
}

int mxw_proto_moved_here(struct mxw_proto *pr, struct mxw_ep ep, uint64_t old_nic, uint8_t rep,
			 uint32_t rsession, uint32_t key, bool commit)
{
	struct mxw_partner *pt = NULL;
	int ret = -EPERM;

	if (old_nic && old_nic != pr->nic_id && !(old_nic >> 48))
		pt = claimed_partner(pr, ep, old_nic, rep, rsession);
	if (pt)
		ret = pt->key_known && pt->key == key ? 1 : 0;
	if (!commit)
		return ret;
	if (!pt) {
		pr->st.moved_refused++;
		return ret;
	}
	pr->st.moved_followed++;
	pr->peers[pt->peer].st.moved_followed++;
	if (!pt->moved) {
		pt->moved = true;
		mxw_partner_fail(pr, pt, MXN_ST_MOVED);
	}
	return ret;
}

/* f: a connect request to ep, taken (key checked), with the extension. */
void mxw_follow_moved(struct mxw_proto *pr, int peer, struct mxw_ep ep, const struct mxw_frame *f)
{
	uint64_t old_nic = f->u.connect.moved_from, new_nic = pr->peers[peer].nic_id;
	uint8_t rep = f->u.connect.src_ep;
	uint32_t rsession = f->u.connect.src_session;
	struct mxw_partner *old_pt = NULL;
	int err = -EPERM;

	if (!pr->cb.moved || f->u.connect.moved_proof != ep.session || old_nic == new_nic)
		goto out;
	if (old_nic != pr->nic_id) {
		old_pt = claimed_partner(pr, ep, old_nic, rep, rsession);
		if (!old_pt)
			goto out;
	}
	/* the old host (this one included) checks its own records */
	err = pr->cb.moved(pr->cb.ctx, ep, old_nic, new_nic, (uint16_t)peer, rep, rsession);
	if (err)
		goto out;
	if (old_pt && !old_pt->moved) {
		old_pt->moved = true;
		mxw_partner_fail(pr, old_pt, MXN_ST_MOVED);
	}
out:
	if (err) {
		pr->st.moved_refused++;
		pr->peers[peer].st.moved_refused++;
	} else {
		pr->st.moved_followed++;
		pr->peers[peer].st.moved_followed++;
	}
}
