/* SPDX-License-Identifier: MIT */
/* Provider entry, fi_getinfo and the fabric object. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "myrixen/abi.h"
#include "myx.h"

#define MYX_CAPS (FI_TAGGED | FI_MSG | FI_SEND | FI_RECV | FI_DIRECTED_RECV | \
		  FI_LOCAL_COMM | FI_REMOTE_COMM | FI_REMOTE_CQ_DATA)
#define MYX_OP_FLAGS (FI_COMPLETION | FI_INJECT_COMPLETE | FI_TRANSMIT_COMPLETE | \
		      FI_DELIVERY_COMPLETE)

bool myx_yield_when_idle;

static bool yield_policy(void)
{
	const char *v = getenv("FI_MYRIXEN_YIELD");

	if (v && *v)
		return strcmp(v, "0") != 0;
	return sysconf(_SC_NPROCESSORS_ONLN) <= 2;
}

static void myx_cleanup(void)
{
}

struct fi_provider myx_prov = {
	.version = MYX_VERSION,
	.fi_version = MYX_FI_VERSION,
	.name = MYX_PROV_NAME,
	.getinfo = myx_getinfo,
	.fabric = myx_fabric_open,
	.cleanup = myx_cleanup,
};

/* The one symbol libfabric looks up in lib<name>-fi.so. */
struct fi_provider *fi_prov_ini(void);

FI_EXT_INI
{
	return &myx_prov;
}

/* Can we give what the hints ask?  Anything left unspecified is fine. */
static bool hints_ok(const struct fi_info *h)
{
	if (!h)
		return true;
	if (h->caps & ~(uint64_t)(MYX_CAPS | FI_REMOTE_READ | FI_REMOTE_WRITE | FI_READ | FI_WRITE) ||
	    h->caps & (FI_RMA | FI_ATOMIC | FI_MULTICAST | FI_NAMED_RX_CTX | FI_HMEM))
		return false;
	if (h->mode && !(h->mode & FI_CONTEXT))
		return false;
	if (h->ep_attr && h->ep_attr->type != FI_EP_UNSPEC && h->ep_attr->type != FI_EP_RDM)
		return false;
	if (h->addr_format != FI_FORMAT_UNSPEC)
		return false;
	if (h->fabric_attr && h->fabric_attr->name && strcmp(h->fabric_attr->name, MYX_PROV_NAME))
		return false;
	if (h->domain_attr && h->domain_attr->name && strcmp(h->domain_attr->name, MYX_PROV_NAME))
		return false;
	if (h->domain_attr && (h->domain_attr->mr_mode & (FI_MR_BASIC | FI_MR_SCALABLE)))
		return false;
	if (h->tx_attr && h->tx_attr->inject_size > MYX_INJECT_SIZE)
		return false;
	if (h->ep_attr && h->ep_attr->max_msg_size > MYX_MAX_MSG)
		return false;
	if (h->domain_attr && h->domain_attr->cq_data_size > MYX_CQ_DATA_SIZE)
		return false;
	return true;
}

static void fill_xattr(struct fi_info *fi, const struct fi_info *h)
{
	fi->tx_attr->caps = fi->caps & ~(uint64_t)(FI_RECV | FI_DIRECTED_RECV);
	fi->tx_attr->mode = fi->mode;
	fi->tx_attr->op_flags = h && h->tx_attr ? h->tx_attr->op_flags & MYX_OP_FLAGS : 0;
	fi->tx_attr->msg_order = FI_ORDER_SAS;
	fi->tx_attr->comp_order = FI_ORDER_NONE;
	fi->tx_attr->inject_size = MYX_INJECT_SIZE;
	fi->tx_attr->size = 1024;
	fi->tx_attr->iov_limit = MYX_IOV_LIMIT;
	fi->rx_attr->caps = fi->caps & ~(uint64_t)FI_SEND;
	fi->rx_attr->mode = fi->mode;
	fi->rx_attr->op_flags = h && h->rx_attr ? h->rx_attr->op_flags & FI_COMPLETION : 0;
	fi->rx_attr->msg_order = FI_ORDER_SAS;
	fi->rx_attr->comp_order = FI_ORDER_NONE;
	fi->rx_attr->size = 1024;
	fi->rx_attr->iov_limit = MYX_IOV_LIMIT;
}

static void fill_domain(struct fi_info *fi, const struct fi_info *h)
{
	struct fi_domain_attr *d = fi->domain_attr;
	const struct fi_domain_attr *hd = h ? h->domain_attr : NULL;

	d->name = strdup(MYX_PROV_NAME);
	d->threading = hd && hd->threading != FI_THREAD_UNSPEC ? hd->threading : FI_THREAD_SAFE;
	d->control_progress = FI_PROGRESS_MANUAL;
	d->data_progress = FI_PROGRESS_MANUAL;
	d->resource_mgmt = FI_RM_ENABLED;
	d->av_type = hd ? hd->av_type : FI_AV_UNSPEC;
	d->mr_mode = 0;
	d->cq_data_size = MYX_CQ_DATA_SIZE;
	d->cq_cnt = 64;
	d->ep_cnt = 64;
	d->tx_ctx_cnt = 64;
	d->rx_ctx_cnt = 64;
	d->max_ep_tx_ctx = 1;
	d->max_ep_rx_ctx = 1;
	d->caps = FI_LOCAL_COMM | FI_REMOTE_COMM;
}

static struct fi_info *build_info(const struct fi_info *h)
{
	struct fi_info *fi = fi_allocinfo();

	if (!fi)
		return NULL;
	/* Primary capabilities as asked (all of ours when none), secondary
	 * ones only when asked, as libfabric wants. */
	fi->caps = h && h->caps ? h->caps & MYX_CAPS : MYX_CAPS;
	if (!(fi->caps & (FI_MSG | FI_TAGGED)))
		fi->caps |= FI_MSG | FI_TAGGED;
	if (!(fi->caps & (FI_SEND | FI_RECV)))
		fi->caps |= FI_SEND | FI_RECV;
	fi->caps |= FI_LOCAL_COMM | FI_REMOTE_COMM;
	fi->mode = FI_CONTEXT;
	fi->addr_format = FI_FORMAT_UNSPEC;
	fi->ep_attr->type = FI_EP_RDM;
	fi->ep_attr->protocol = FI_PROTO_UNSPEC;
	fi->ep_attr->protocol_version = 1;
	fi->ep_attr->max_msg_size = MYX_MAX_MSG;
	fi->ep_attr->mem_tag_format = MYX_TAG_BITS;
	fi->ep_attr->tx_ctx_cnt = 1;
	fi->ep_attr->rx_ctx_cnt = 1;
	fill_xattr(fi, h);
	fill_domain(fi, h);
	fi->fabric_attr->name = strdup(MYX_PROV_NAME);
	fi->fabric_attr->prov_version = MYX_VERSION;
	if (!fi->domain_attr->name || !fi->fabric_attr->name) {
		fi_freeinfo(fi);
		return NULL;
	}
	return fi;
}

/* Is there an MX board (a reachable myribackd or /dev/myrixen)?  Without
 * one the provider stays out of fi_getinfo's list, so an application that
 * takes the first provider never picks a fabric it cannot open. */
static bool board_present(void)
{
	mx_error_handler_t old = mx_set_error_handler(MX_ERRORS_RETURN);
	uint32_t n = 0;
	mx_return_t rc = mx_init();

	if (rc == MX_SUCCESS) {
		rc = mx_get_info(NULL, MX_NIC_COUNT, NULL, 0, &n, sizeof(n));
		mx_finalize();
	}
	mx_set_error_handler(old);
	return rc == MX_SUCCESS && n > 0;
}

int myx_getinfo(uint32_t version, const char *node, const char *service, uint64_t flags,
		const struct fi_info *hints, struct fi_info **info)
{
	(void)node;
	(void)service;
	(void)flags;
	if (FI_VERSION_LT(version, FI_VERSION(1, 5)))
		return -FI_ENODATA;
	if (!hints_ok(hints) || !board_present())
		return -FI_ENODATA;
	*info = build_info(hints);
	return *info ? 0 : -FI_ENOMEM;
}

/* ---- fabric ---- */
static int fabric_close(struct fid *fid)
{
	free(container_of(fid, struct myx_fabric, f.fid));
	mx_finalize();
	return 0;
}

static struct fi_ops fabric_fi_ops = {
	.size = sizeof(struct fi_ops),
	.close = fabric_close,
	.bind = myx_no_bind,
	.control = myx_no_control,
	.ops_open = myx_no_ops_open,
};

int myx_domain_open(struct fid_fabric *fabric, struct fi_info *info, struct fid_domain **dom,
		    void *context);

static struct fi_ops_fabric fabric_ops = {
	.size = sizeof(struct fi_ops_fabric),
	.domain = myx_domain_open,
	.eq_open = myx_eq_open,
};

int myx_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric, void *context)
{
	mx_error_handler_t old;
	struct myx_fabric *f;
	mx_return_t rc;

	if (attr && attr->name && strcmp(attr->name, MYX_PROV_NAME))
		return -FI_EINVAL;
	/* MX's default handler aborts; only this call may run under it here. */
	old = mx_set_error_handler(MX_ERRORS_RETURN);
	rc = mx_init();
	mx_set_error_handler(old);
	if (rc != MX_SUCCESS && rc != MX_ALREADY_INITIALIZED)
		return -FI_ENODEV;
	myx_yield_when_idle = yield_policy();
	f = calloc(1, sizeof(*f));
	if (!f)
		return -FI_ENOMEM;
	f->f.fid.fclass = FI_CLASS_FABRIC;
	f->f.fid.context = context;
	f->f.fid.ops = &fabric_fi_ops;
	f->f.ops = &fabric_ops;
	*fabric = &f->f;
	return 0;
}
