/* SPDX-License-Identifier: MIT */
/* Opening and closing endpoints; checking the area the daemon hands us. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "mxl.h"

/* The area header must be exactly what the layout rule gives for the
 * geometry it claims, and fit the mapping. */
static int check_area(struct mx_endpoint *ep)
{
	const struct mxn_area_hdr *h = ep->t.area;
	struct mxn_area_hdr want;
	struct mxn_layout l;

	if (ep->t.area_size < MXN_PAGE_SIZE)
		return -EPROTO;
	if (h->magic != MYRIXEN_AREA_MAGIC || h->abi_version != MYRIXEN_ABI_VERSION)
		return -EPROTO;
	if (mxn_layout_compute(&l, h->cmd_order, h->evt_order, h->sendq_size, h->recvq_size))
		return -EPROTO;
	memset(&want, 0, sizeof(want));
	mxn_layout_fill_hdr(&l, &want);
	if (memcmp(&want, h, offsetof(struct mxn_area_hdr, features)) ||
	    l.area_size != ep->t.area_size)
		return -EPROTO;
	ep->lay = l;
	return 0;
}

void mxl_map_rings(struct mx_endpoint *ep)
{
	uint8_t *a = ep->t.area;

	mxn_ring_init(&ep->cmd, (struct mxn_ring_ctl *)(void *)(a + ep->lay.cmd_ctl_off),
		      ep->lay.cmd_order);
	mxn_ring_init(&ep->evt, (struct mxn_ring_ctl *)(void *)(a + ep->lay.evt_ctl_off),
		      ep->lay.evt_order);
	/* Pick up where the shared indices are (0 on a fresh area). */
	ep->cmd.prod_pvt = atomic_load_explicit(MXN_ATOMIC(&ep->cmd.ctl->prod), memory_order_relaxed);
	ep->evt.cons_pvt = atomic_load_explicit(MXN_ATOMIC(&ep->evt.ctl->cons), memory_order_relaxed);
	mxn_ring_disarm(&ep->evt);
	ep->cmd_slots = (struct mxn_cmd *)(void *)(a + ep->lay.cmd_ring_off);
	ep->evt_slots = (struct mxn_evt *)(void *)(a + ep->lay.evt_ring_off);
	ep->sendq = a + ep->lay.sendq_off;
	ep->recvq = a + ep->lay.recvq_off;
}

static _Atomic uint32_t mxl_serial;

struct mx_endpoint *mxl_endpoint_alloc(uint32_t key)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct mx_endpoint *ep;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&ep->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	/* Deadlines are CLOCK_MONOTONIC, like the rest of wait.c. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ep->cond, &ca);
	pthread_condattr_destroy(&ca);
	do
		ep->serial = (uint16_t)atomic_fetch_add(&mxl_serial, 1);
	while (ep->serial == 0);
	mxl_matcher_init(&ep->m);
	mxl_list_init(&ep->backlog);
	mxl_list_init(&ep->done);
	mxl_list_init(&ep->claimed);
	mxl_list_init(&ep->retry);
	mxl_list_init(&ep->send_wait);
	mxl_list_init(&ep->inflight);
	mxl_list_init(&ep->reannounce);
	mxl_list_init(&ep->resend);
	ep->cookie_free = UINT32_MAX;
	ep->unexp_queue_max = MXL_UNEXP_QUEUE_MAX_DEFAULT;
	ep->key = key;
	mxl_spin_init(&ep->spin);
	ep->seqs = calloc(1, sizeof(*ep->seqs));
	ep->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ep->wake_fd < 0 || !ep->seqs) {
		mxl_endpoint_close(ep);
		return NULL;
	}
	return ep;
}

int mxl_endpoint_attach(struct mx_endpoint *ep)
{
	int err;

	ep->info.hostname[MXN_HOSTNAME_MAX - 1] = '\0';
	if (ep->info.abi_version != MYRIXEN_ABI_VERSION)
		return -EPROTO;
	err = check_area(ep);
	if (err)
		return err;
	ep->rndv_max = ((const struct mxn_area_hdr *)ep->t.area)->rndv_max;
	ep->registered_max = ((const struct mxn_area_hdr *)ep->t.area)->registered_max;
	ep->features = ((const struct mxn_area_hdr *)ep->t.area)->features;
	ep->medium_max = ep->info.medium_max;
	if (ep->medium_max < MXN_SMALL_MAX || ep->medium_max > MXN_MEDIUM_MAX_LIMIT ||
	    ep->medium_max > ep->lay.sendq_size / 2)
		return -EPROTO;
	err = mxl_sendq_init(&ep->sq, ep->lay.sendq_size);
	if (err)
		return err;
	mxl_map_rings(ep);
	return 0;
}

int mxl_endpoint_open(uint32_t endpoint_id, uint32_t key, struct mx_endpoint **out)
{
	struct mxn_open_req req;
	struct mx_endpoint *ep;
	int err;

	ep = mxl_endpoint_alloc(key);
	if (!ep)
		return -ENOMEM;
	memset(&req, 0, sizeof(req));
	req.abi_version = MYRIXEN_ABI_VERSION;
	req.key = key;
	req.endpoint = endpoint_id == MX_ANY_ENDPOINT ? MXN_ENDPOINT_ANY : (uint8_t)endpoint_id;
	req.cmd_order = (uint8_t)mxl_env_u32("MYRIXEN_CMD_ORDER", 0);
	req.evt_order = (uint8_t)mxl_env_u32("MYRIXEN_EVT_ORDER", 0);
	req.sendq_size = mxl_env_u32("MYRIXEN_SENDQ_SIZE", 0);
	req.recvq_size = mxl_env_u32("MYRIXEN_RECVQ_SIZE", 0);
	ep->t.ops = mxl_transport_select();
	err = ep->t.ops->open(&ep->t, &req, &ep->info);
	if (!err)
		err = mxl_endpoint_attach(ep);
	if (err)
		goto out;
	ep->pull_direct = mxl_pull_direct_wanted(ep);
	/* relaxed: a hint to the daemon, orders nothing; wait.c keeps it in
	 * every store of the flags */
	atomic_store_explicit(MXN_ATOMIC(&ep->evt.ctl->flags), mxl_pregrant_flag(ep),
			      memory_order_relaxed);
	ep->pull_staged = mxl_pull_staged_wanted(ep);
	ep->send_staged = mxl_send_staged_wanted(ep);
	/* MYRIXEN_WINDOWED=1: window local rendezvous as on Xen (tests). */
	ep->region_window = ep->t.ops->region_window ? ep->t.ops->region_window
			  : mxl_env_u32("MYRIXEN_WINDOWED", 0) ? MXN_RNDV_WINDOW : 0;
	mxl_register_endpoint(ep);
	*out = ep;
	return 0;
out:
	mxl_endpoint_close(ep);
	return err;
}

static void drop_unexpected(struct mx_endpoint *ep)
{
	struct mxl_unexp *u;

	while ((u = mxl_match_find_unexp(&ep->m, 0, 0, true)) != NULL)
		mxl_unexp_free(ep, u);
	while (!mxl_list_empty(&ep->claimed)) {
		u = mxl_container_of(ep->claimed.next, struct mxl_unexp, link);
		mxl_list_del(&u->link);
		mxl_unexp_free(ep, u);
	}
}

/* Abort (and free) every request waiting on a list by its link. */
static void forget_list(struct mxl_list *head)
{
	while (!mxl_list_empty(head)) {
		struct mxl_req *r = mxl_container_of(head->next, struct mxl_req, link);

		r->state |= MXL_RS_FORGOTTEN;
		mxl_req_complete(r, MX_STATUS_ABORTED); /* unlinks it */
	}
}

/* Free every request the library still owns; the application's handles to
 * them die with the endpoint, as in MX. */
static void drop_requests(struct mx_endpoint *ep)
{
	struct mxl_req *r;
	uint32_t i;

	for (i = 0; i < ep->ncookies; i++) {
		r = ep->cookies[i].req;
		if (r) {
			r->state |= MXL_RS_FORGOTTEN;
			mxl_req_complete(r, MX_STATUS_ABORTED);
		}
	}
	forget_list(&ep->backlog);
	forget_list(&ep->retry);
	forget_list(&ep->send_wait);
	forget_list(&ep->reannounce);
	forget_list(&ep->resend);
	for (i = 0; i < ep->npairs; i++) /* sends announced in a channel */
		if (ep->pairs[i]->rndv_out.next)
			forget_list(&ep->pairs[i]->rndv_out);
	while (!mxl_list_empty(&ep->m.posted)) {
		r = mxl_container_of(ep->m.posted.next, struct mxl_req, posted.link);
		r->state |= MXL_RS_FORGOTTEN;
		mxl_req_complete(r, MX_STATUS_ABORTED); /* unposts it */
	}
	while (!mxl_list_empty(&ep->done)) {
		r = mxl_container_of(ep->done.next, struct mxl_req, done_link);
		mxl_list_del(&r->done_link);
		mxl_req_free(r);
	}
}

/* Accepts a half-opened endpoint (the open path's unwind uses it). */
void mxl_endpoint_close(struct mx_endpoint *ep)
{
	mxl_unregister_endpoint(ep);
	if (ep->ncookies || !mxl_list_empty(&ep->done) || !mxl_list_empty(&ep->backlog) ||
	    !mxl_list_empty(&ep->retry) || !mxl_list_empty(&ep->send_wait) ||
	    !mxl_list_empty(&ep->reannounce) || !mxl_list_empty(&ep->resend) || ep->m.nposted ||
	    ep->npairs)
		drop_requests(ep);
	drop_unexpected(ep);
	mxl_pair_close_all(ep);
	mxl_req_cache_drop(ep);
	if (ep->t.ops)
		ep->t.ops->close(&ep->t);
	mxl_sendq_fini(&ep->sq);
	free(ep->cookies);
	free(ep->seqs);
	free(ep->conns);
	free(ep->pmap);
	free(ep->told);
	if (ep->wake_fd >= 0)
		close(ep->wake_fd);
	pthread_cond_destroy(&ep->cond);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

static mx_return_t apply_params(struct mx_endpoint *ep, const mx_param_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		switch (p[i].key) {
		case MX_PARAM_ERROR_HANDLER:
			ep->error_handler = p[i].val.error_handler;
			break;
		case MX_PARAM_UNEXP_QUEUE_MAX:
			if (p[i].val.unexp_queue_max == 0)
				return MX_BAD_PARAM_VAL;
			ep->unexp_queue_max = p[i].val.unexp_queue_max;
			break;
		case MX_PARAM_CONTEXT_ID: {
			/* bits of match_info, from shift up, name the context:
			 * every matching call must then name exactly one. */
			uint32_t bits = p[i].val.context_id.bits, shift = p[i].val.context_id.shift;

			if (bits > MX_CONTEXT_ID_BITS_MAX || bits + shift > 64)
				return MX_BAD_PARAM_VAL;
			ep->ctxid_mask = bits ? ((~0ull >> (64 - bits)) << shift) : 0;
			break;
		}
		default:
			return MX_BAD_PARAM_NAME;
		}
	}
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_open_endpoint(uint32_t board_number, uint32_t endpoint_id,
					uint32_t endpoint_key, mx_param_t *params_array,
					uint32_t params_count, mx_endpoint_t *endpoint)
{
	struct mx_endpoint *ep;
	mx_return_t ret;
	int err;

	if (!mxl_initialized())
		return mxl_error(NULL, "mx_open_endpoint", MX_NOT_INITIALIZED);
	if (!endpoint)
		return mxl_error(NULL, "mx_open_endpoint", MX_BAD_ENDPOINT);
	if (board_number != 0 && board_number != MX_ANY_NIC)
		return mxl_error(NULL, "mx_open_endpoint", MX_BOARD_UNKNOWN);
	if (endpoint_id != MX_ANY_ENDPOINT && endpoint_id >= MXN_ENDPOINTS_MAX - 1)
		return mxl_error(NULL, "mx_open_endpoint", MX_BAD_ENDPOINT_ID);
	if (params_count && !params_array)
		return mxl_error(NULL, "mx_open_endpoint", MX_BAD_PARAM_LIST);
	err = mxl_endpoint_open(endpoint_id, endpoint_key, &ep);
	if (err)
		return mxl_error(NULL, "mx_open_endpoint", mxl_errno_to_ret(err));
	ret = apply_params(ep, params_array, params_count);
	if (ret != MX_SUCCESS) {
		mxl_endpoint_close(ep);
		return mxl_error(NULL, "mx_open_endpoint", ret);
	}
	*endpoint = ep;
	return MX_SUCCESS;
}

static bool flushed(struct mx_endpoint *ep, void *arg)
{
	(void)arg;
	return !ep->nzombies && mxl_list_empty(&ep->backlog) &&
	       mxn_ring_free(&ep->cmd) == mxn_ring_slots(&ep->cmd);
}

/*
 * What completed at issue must not vanish at close: sends the daemon still
 * holds (zombies), backlogged ones, and every command still in the ring (a
 * PULL_FIN queued when a receive completed: the daemon completes the
 * sender's rendezvous with it, and a message that went through a pair
 * channel after it may let us close first).  Wait, bounded, for the daemon
 * to take them all; it rings once it consumed the last command.
 */
static void flush_sends(struct mx_endpoint *ep)
{
	mxl_lock(ep);
	mxl_progress(ep);
	if (!ep->dead && !flushed(ep, NULL)) {
		ep->flushing = true;
		(void)mxn_ring_arm_space(&ep->cmd, mxn_ring_slots(&ep->cmd));
		(void)mxl_wait_until(ep, MXL_CLOSE_FLUSH_MS, flushed, NULL);
	}
	mxl_unlock(ep);
}

MXL_EXPORT mx_return_t mx_close_endpoint(mx_endpoint_t ep)
{
	if (!ep)
		return mxl_error(NULL, "mx_close_endpoint", MX_BAD_ENDPOINT);
	if (ep->in_handler)
		return mxl_error(ep, "mx_close_endpoint", MX_CLOSE_IN_HANDLER);
	flush_sends(ep);
	mxl_endpoint_close(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_wakeup(mx_endpoint_t ep)
{
	uint64_t one = 1;

	if (!ep)
		return mxl_error(NULL, "mx_wakeup", MX_BAD_ENDPOINT);
	/* The doorbell sleeper polls the eventfd without the lock held.
	 * The generation tells waits in progress from later ones: a wakeup
	 * nobody was waiting for must not cut a future wait short. */
	atomic_fetch_add(&ep->wake_gen, 1);
	/* seq_cst load after the seq_cst increment: pairs with the store in
	 * wait.c futex_sleep (either we see it sleeping on wake_gen, or its
	 * futex_waitv sees the new gen and does not block). */
	if (atomic_load(&ep->fbell_sleeping))
		mxl_fbell_wake_private(&ep->wake_gen);
	else if (write(ep->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one) && errno != EAGAIN)
		return mxl_error(ep, "mx_wakeup", MX_FAILURE);
	/* Threads sleeping on ep->cond rather than the doorbell. */
	mxl_lock(ep);
	pthread_cond_broadcast(&ep->cond);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

static mx_return_t set_unexp(mx_endpoint_t ep, mx_unexp_handler_t handler, void *context,
			     mx_matching_callback_t cb, void *cb_ctx, const char *fn)
{
	if (!ep)
		return mxl_error(NULL, fn, MX_BAD_ENDPOINT);
	mxl_lock(ep);
	ep->unexp_handler = handler;
	ep->unexp_ctx = context;
	ep->unexp_cb = cb;
	ep->unexp_cb_ctx = cb_ctx;
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_register_unexp_handler(mx_endpoint_t ep, mx_unexp_handler_t handler,
						 void *context)
{
	return set_unexp(ep, handler, context, NULL, NULL, "mx_register_unexp_handler");
}

/* The deprecated form: a notification, after which the message goes on to
 * matching (an MX_RECV_CONTINUE handler). */
static mx_unexp_handler_action_t callback_shim(void *context, mx_endpoint_addr_t source,
					       uint64_t match_value, uint32_t length,
					       void *data_if_available)
{
	struct mx_endpoint *ep = context;

	(void)source, (void)data_if_available;
	ep->unexp_cb(ep->unexp_cb_ctx, match_value, (int)length);
	return MX_RECV_CONTINUE;
}

MXL_EXPORT mx_return_t mx_register_unexp_callback(mx_endpoint_t ep, mx_matching_callback_t cb,
						  void *ctxt)
{
	return set_unexp(ep, cb ? callback_shim : NULL, ep, cb, ctxt, "mx_register_unexp_callback");
}

/* Only connects are bounded by it: the daemon owns acks and resends, and
 * gives up on a silent peer by itself (lib/README.md). */
MXL_EXPORT mx_return_t mx_set_request_timeout(mx_endpoint_t ep, mx_request_t request,
					      uint32_t milli_seconds)
{
	struct mxl_req *r;

	if (!ep)
		return mxl_error(NULL, "mx_set_request_timeout", MX_BAD_ENDPOINT);
	mxl_lock(ep);
	if (!request) {
		ep->request_timeout_ms = milli_seconds;
	} else {
		r = &request->r;
		if (r->ep != ep) {
			mxl_unlock(ep);
			return mxl_error(ep, "mx_set_request_timeout", MX_BAD_REQUEST);
		}
		if (r->kind == MXL_REQ_CONNECT && !(r->state & MXL_RS_DONE))
			r->deadline_ns = milli_seconds == MX_INFINITE ? UINT64_MAX :
					 mxl_now_ns() + milli_seconds * 1000000ull;
	}
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_progress(mx_endpoint_t ep)
{
	if (!ep)
		return mxl_error(NULL, "mx_progress", MX_BAD_ENDPOINT);
	mxl_lock(ep);
	mxl_progress(ep);
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_disable_progression(mx_endpoint_t ep)
{
	if (!ep)
		return mxl_error(NULL, "mx_disable_progression", MX_BAD_ENDPOINT);
	mxl_lock(ep);
	ep->progression_disabled = true;
	mxl_unlock(ep);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_reenable_progression(mx_endpoint_t ep)
{
	if (!ep)
		return mxl_error(NULL, "mx_reenable_progression", MX_BAD_ENDPOINT);
	mxl_lock(ep);
	ep->progression_disabled = false;
	mxl_progress(ep);
	mxl_unlock(ep);
	return MX_SUCCESS;
}
