/* SPDX-License-Identifier: MIT */
/*
 * mx_get_info and the naming calls.  Board facts (nic id, hostname, limits)
 * come from the daemon's open reply; when the application has no endpoint
 * open we open a throw-away one to ask, and remember the answer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <myrixen/board_name.h>
#include "mxl.h"

static struct mxn_open_rsp mxl_board_cache;
static uint32_t mxl_board_cmd_slots;
static bool mxl_board_cached;

/* Facts about board 0; 0 or -errno. */
static int board_info(struct mxn_open_rsp *out, uint32_t *cmd_slots)
{
	struct mx_endpoint *ep;
	int err = 0;

	mxl_global_lock();
	ep = mxl_first_endpoint();
	if (ep) {
		mxl_board_cache = ep->info;
		mxl_board_cmd_slots = mxn_ring_slots(&ep->cmd);
		mxl_board_cached = true;
	}
	mxl_global_unlock();
	if (!mxl_board_cached) {
		err = mxl_endpoint_open(MX_ANY_ENDPOINT, 0, &ep);
		if (err)
			return err;
		mxl_global_lock();
		mxl_board_cache = ep->info;
		mxl_board_cmd_slots = mxn_ring_slots(&ep->cmd);
		mxl_board_cached = true;
		mxl_global_unlock();
		mxl_endpoint_close(ep);
	}
	mxl_global_lock();
	*out = mxl_board_cache;
	if (cmd_slots)
		*cmd_slots = mxl_board_cmd_slots;
	mxl_global_unlock();
	return 0;
}

static mx_return_t put_u32(void *out, uint32_t len, uint32_t v)
{
	if (len < sizeof(v))
		return MX_BAD_INFO_LENGTH;
	memcpy(out, &v, sizeof(v));
	return MX_SUCCESS;
}

static mx_return_t put_str(void *out, uint32_t len, const char *s)
{
	if (len < 1)
		return MX_BAD_INFO_LENGTH;
	snprintf(out, len, "%s", s);
	return MX_SUCCESS;
}

static void sum_counters(mx_endpoint_t ep, uint64_t *sum)
{
	struct mx_endpoint *e;
	int i;

	memset(sum, 0, sizeof(uint64_t) * MXL_CNT_MAX);
	if (ep) {
		for (i = 0; i < MXL_CNT_MAX; i++)
			sum[i] = ep->counters[i];
		return;
	}
	mxl_global_lock();
	for (e = mxl_first_endpoint(); e; e = e->next_open)
		for (i = 0; i < MXL_CNT_MAX; i++)
			sum[i] += e->counters[i];
	mxl_global_unlock();
}

static mx_return_t counters_info(mx_endpoint_t ep, mx_get_info_key_t key, void *out, uint32_t len)
{
	uint64_t sum[MXL_CNT_MAX];
	uint32_t i;

	if (key == MX_COUNTERS_COUNT)
		return put_u32(out, len, MXL_CNT_MAX);
	if (key == MX_COUNTERS_LABELS) {
		if (len < MXL_CNT_MAX * MX_MAX_STR_LEN)
			return MX_BAD_INFO_LENGTH;
		for (i = 0; i < MXL_CNT_MAX; i++)
			snprintf((char *)out + i * MX_MAX_STR_LEN, MX_MAX_STR_LEN, "%s",
				 mxl_counter_names[i]);
		return MX_SUCCESS;
	}
	if (len < MXL_CNT_MAX * sizeof(uint32_t))
		return MX_BAD_INFO_LENGTH;
	sum_counters(ep, sum);
	for (i = 0; i < MXL_CNT_MAX; i++) {
		uint32_t v = (uint32_t)sum[i];

		memcpy((char *)out + i * sizeof(v), &v, sizeof(v));
	}
	return MX_SUCCESS;
}

static mx_return_t get_info(mx_endpoint_t ep, mx_get_info_key_t key, void *out, uint32_t len)
{
	struct mxn_open_rsp b;
	uint32_t slots = 0;
	uint64_t ids[2];
	int err;

	if (key < MX_NIC_COUNT || key > MX_LINE_SPEED)
		return MX_BAD_INFO_KEY;
	if (!out)
		return MX_BAD_INFO_VAL;
	switch (key) {
	case MX_COUNTERS_COUNT:
	case MX_COUNTERS_LABELS:
	case MX_COUNTERS_VALUES:
		return counters_info(ep, key, out, len);
	case MX_MAX_NATIVE_ENDPOINTS:
		return put_u32(out, len, MXN_ENDPOINTS_MAX - 1);
	case MX_PIO_SEND_MAX:
		return put_u32(out, len, MXN_TINY_MAX);
	case MX_PORT_COUNT:
		return put_u32(out, len, 1);
	case MX_NUMA_NODE:
		return put_u32(out, len, 0);
	case MX_NET_TYPE:
		return put_u32(out, len, MX_NET_ETHER);
	case MX_LINE_SPEED:
		return put_u32(out, len, MX_SPEED_OPEN_MX);
	case MX_PRODUCT_CODE:
		return put_str(out, len, "myrixen");
	case MX_PART_NUMBER:
		return put_str(out, len, "myrixen-" MXL_VERSION);
	default:
		break;
	}
	err = ep ? 0 : board_info(&b, &slots);
	if (err)
		return mxl_errno_to_ret(err);
	if (ep) {
		b = ep->info;
		slots = mxn_ring_slots(&ep->cmd);
	}
	switch (key) {
	case MX_NIC_COUNT:
		return put_u32(out, len, 1);
	case MX_NIC_IDS:
		if (len < sizeof(ids))
			return MX_BAD_INFO_LENGTH;
		ids[0] = b.nic_id;
		ids[1] = 0;
		memcpy(out, ids, sizeof(ids));
		return MX_SUCCESS;
	case MX_NATIVE_REQUESTS:
		return put_u32(out, len, slots);
	case MX_COPY_SEND_MAX:
		return put_u32(out, len, b.medium_max);
	case MX_SERIAL_NUMBER: {
		char s[32];

		snprintf(s, sizeof(s), "%012llx", (unsigned long long)b.nic_id);
		return put_str(out, len, s);
	}
	default:
		return MX_BAD_INFO_KEY;
	}
}

MXL_EXPORT mx_return_t mx_get_info(mx_endpoint_t ep, mx_get_info_key_t key, void *in_val,
				   uint32_t in_len, void *out_val, uint32_t out_len)
{
	uint32_t board = 0;

	if (in_val && in_len >= sizeof(board))
		memcpy(&board, in_val, sizeof(board));
	if (board != 0 && board != MX_ANY_NIC)
		return mxl_error(ep, "mx_get_info", MX_BOARD_UNKNOWN);
	return mxl_error(ep, "mx_get_info", get_info(ep, key, out_val, out_len));
}

MXL_EXPORT mx_return_t mx_board_number_to_nic_id(uint32_t board_number, uint64_t *nic_id)
{
	struct mxn_open_rsp b;
	int err;

	if (!nic_id)
		return mxl_error(NULL, "mx_board_number_to_nic_id", MX_BAD_INFO_VAL);
	if (board_number != 0 && board_number != MX_ANY_NIC)
		return mxl_error(NULL, "mx_board_number_to_nic_id", MX_BOARD_UNKNOWN);
	err = board_info(&b, NULL);
	if (err)
		return mxl_error(NULL, "mx_board_number_to_nic_id", mxl_errno_to_ret(err));
	*nic_id = b.nic_id;
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_nic_id_to_board_number(uint64_t nic_id, uint32_t *board_number)
{
	struct mxn_open_rsp b;
	int err;

	if (!board_number)
		return mxl_error(NULL, "mx_nic_id_to_board_number", MX_BAD_INFO_VAL);
	err = board_info(&b, NULL);
	if (err)
		return mxl_error(NULL, "mx_nic_id_to_board_number", mxl_errno_to_ret(err));
	if (nic_id != b.nic_id)
		return mxl_error(NULL, "mx_nic_id_to_board_number", MX_NIC_NOT_FOUND);
	*board_number = 0;
	return MX_SUCCESS;
}

static bool lookup_done(struct mx_endpoint *ep, void *arg)
{
	(void)ep;
	return (((struct mxl_req *)arg)->state & MXL_RS_DONE) != 0;
}

#define MXL_LOOKUP_TIMEOUT_MS 5000u

/* Ask the daemon: name -> nic id (nic_id == 0) or nic id -> name. */
static int lookup(const char *name, uint64_t nic_id, uint64_t *nic_out, char *name_out)
{
	struct mx_endpoint *ep, *tmp = NULL;
	struct mxl_req *r;
	int err = 0;

	mxl_global_lock();
	ep = mxl_first_endpoint();
	mxl_global_unlock();
	if (!ep) {
		err = mxl_endpoint_open(MX_ANY_ENDPOINT, 0, &tmp);
		if (err)
			return err;
		ep = tmp;
	}
	r = mxl_req_new(ep, MXL_REQ_LOOKUP, NULL);
	if (!r) {
		err = -ENOMEM;
		goto out;
	}
	r->state |= MXL_RS_INTERNAL;
	r->nic_id = nic_id;
	if (name) {
		size_t n = strnlen(name, MXN_HOSTNAME_MAX);

		memcpy(r->name, name, n);
		r->name[n] = '\0';
	}
	mxl_lock(ep);
	mxl_submit(ep, r);
	mxl_flush(ep);
	if (!mxl_wait_until(ep, MXL_LOOKUP_TIMEOUT_MS, lookup_done, r)) {
		r->state |= MXL_RS_FORGOTTEN;
		err = -ETIMEDOUT;
	} else {
		err = r->status.code == MX_STATUS_SUCCESS ? 0 : -ENOENT;
		if (!err && nic_out)
			*nic_out = r->nic_id;
		if (!err && name_out) {
			size_t n = strnlen(r->name, MX_MAX_HOSTNAME_LEN - 1);

			memcpy(name_out, r->name, n);
			name_out[n] = '\0';
		}
		mxl_req_free(r);
	}
	mxl_unlock(ep);
out:
	if (tmp)
		mxl_endpoint_close(tmp);
	return err;
}

MXL_EXPORT mx_return_t mx_hostname_to_nic_id(char *hostname, uint64_t *nic_id)
{
	char name[MX_MAX_HOSTNAME_LEN + 1];
	struct mxn_open_rsp b;
	uint32_t len;
	int err;

	if (!hostname || !nic_id || !*hostname)
		return mxl_error(NULL, "mx_hostname_to_nic_id", MX_BAD_HOSTNAME_ARGS);
	/* MX names a board "host:board", "host" alone being board 0
	 * (myrixen/board_name.h); the daemon matches names by that rule */
	snprintf(name, sizeof(name), "%s", hostname);
	len = (uint32_t)strlen(name);
	err = board_info(&b, NULL);
	if (err)
		return mxl_error(NULL, "mx_hostname_to_nic_id", mxl_errno_to_ret(err));
	if (mxn_board_name_eq(name, len, b.hostname, (uint32_t)strnlen(b.hostname, sizeof(b.hostname))) ||
	    mxn_board_name_eq(name, len, "localhost", 9)) {
		*nic_id = b.nic_id;
		return MX_SUCCESS;
	}
	err = lookup(name, 0, nic_id, NULL);
	if (err)
		return mxl_error(NULL, "mx_hostname_to_nic_id", MX_HOST_NOT_FOUND);
	return MX_SUCCESS;
}

MXL_EXPORT mx_return_t mx_nic_id_to_hostname(uint64_t nic_id, char *hostname)
{
	struct mxn_open_rsp b;
	int err;

	if (!hostname)
		return mxl_error(NULL, "mx_nic_id_to_hostname", MX_BAD_HOSTNAME_ARGS);
	err = board_info(&b, NULL);
	if (err)
		return mxl_error(NULL, "mx_nic_id_to_hostname", mxl_errno_to_ret(err));
	if (nic_id == b.nic_id) {
		snprintf(hostname, MX_MAX_HOSTNAME_LEN, "%s", b.hostname);
		return MX_SUCCESS;
	}
	err = lookup(NULL, nic_id, NULL, hostname);
	if (err)
		return mxl_error(NULL, "mx_nic_id_to_hostname", MX_NIC_NOT_FOUND);
	return MX_SUCCESS;
}
