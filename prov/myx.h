/* SPDX-License-Identifier: MIT */
/*
 * libmyrixen-fi: a libfabric provider ("myrixen") over the MX API.
 *
 * Objects: fabric -> domain (one lock) -> av, cq, eq, ep.  An endpoint is
 * one MX endpoint; every libfabric operation is one MX request whose
 * context is a struct myx_req; progress (manual) reaps finished MX
 * requests with mx_ipeek/mx_test and turns them into CQ entries.
 *
 * Locking: the domain's mutex is held by every entry point (FI_THREAD_SAFE
 * costs one uncontended lock per call; it also gives FI_THREAD_DOMAIN).
 */
#ifndef MYX_H
#define MYX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_tagged.h>
#include <rdma/providers/fi_prov.h>
#include "myrixen/abi.h"
#include "myriexpress.h"
#include "mx_extensions.h"
#include "frame.h"
#include "tagmap.h"

#define MYX_PROV_NAME "myrixen"
#define MYX_VERSION FI_VERSION(0, 1)
#define MYX_FI_VERSION FI_VERSION(1, 17)
#define MYX_KEY 0x6d786669u          /* endpoint key of every provider endpoint */
#define MYX_INJECT_SIZE 4096u
#define MYX_IOV_LIMIT 16u
#define MYX_CONNECT_MS 10000u
#define MYX_CQ_EPS 8
#define MYX_CQ_DATA_SIZE 4u           /* bytes of remote CQ data (frame.h) */
/* Largest message: libmyrixen's limit less the provider's header. */
#define MYX_MAX_MSG ((uint64_t)MXN_LARGE_MAX - MYX_HDR_LEN)

extern struct fi_provider myx_prov;
/* fi_cq_read yields the CPU when it finds nothing (fabric.c sets it once:
 * FI_MYRIXEN_YIELD=0/1, default on hosts with <= 2 CPUs, the same rule as
 * libmyrixen's MYRIXEN_SPIN_US). */
extern bool myx_yield_when_idle;

/* What fi_getname hands out and fi_av_insert takes: 16 bytes. */
struct myx_name {
	uint64_t nic_id;
	uint32_t endpoint;
	uint32_t key;
};

struct myx_fabric {
	struct fid_fabric f;
};

struct myx_domain {
	struct fid_domain d;
	pthread_mutex_t lock;
	uint32_t refs;                  /* av, cq, eq, ep opened on it */
};

struct myx_eq {
	struct fid_eq e;
};

/* fi_addr_t = base + index of the name.  FI_AV_TABLE counts from 0 as
 * libfabric requires; FI_AV_MAP from 1, so that 0 names no peer: Open MPI
 * 4.1 in its ofi_tag_1 mode posts the synchronous-send acknowledgement
 * receive with source 0 meaning "don't care" (its tag already names the
 * sender), and a directed receive from 0 must then match any source. */
struct myx_av {
	struct fid_av a;
	struct myx_domain *dom;
	struct myx_name *names;
	size_t n, cap;
	fi_addr_t base;
	uint32_t refs;                  /* endpoints bound */
};

/* The index of fa in av, or false when fa names nobody. */
static inline bool myx_av_index(const struct myx_av *av, fi_addr_t fa, size_t *idx)
{
	if (!av || fa < av->base || fa - av->base >= av->n)
		return false;
	*idx = (size_t)(fa - av->base);
	return true;
}

/* One completion (or error) waiting in a CQ. */
struct myx_cqe {
	struct fi_cq_tagged_entry e;
	int err;                        /* positive FI_E*, 0 = success */
	size_t olen;
};

struct myx_ep;

struct myx_cq {
	struct fid_cq c;
	struct myx_domain *dom;
	enum fi_cq_format fmt;
	struct myx_cqe *q;
	size_t head, count, cap;        /* ring, cap a power of two */
	struct myx_ep *eps[MYX_CQ_EPS]; /* progressed by fi_cq_read */
	int neps;
	struct fi_cq_err_entry last_err;
};

/* One libfabric operation.  A send is one or two MX sends (head, tail);
 * a receive is the head receive, then maybe the tail receive. */
struct myx_req {
	struct myx_req *prev, *next;    /* ep->reqs */
	mx_request_t mx;                /* receive: the MX receive in progress */
	void *context;
	uint64_t flags;                 /* FI_SEND/FI_RECV | FI_TAGGED/FI_MSG */
	void *buf;                      /* first receive buffer (CQ entry's buf) */
	bool want_cq;
	bool is_recv;
	bool started;                   /* receive: head matched, no cancel any more */
	bool in_tail;                   /* receive: waiting for the tail */
	uint32_t pending;               /* send: MX sends not finished */
	int err;                        /* send: first error of its parts */
	uint8_t hdr[MYX_HDR_LEN];       /* the header sent / received */
	struct myx_hdr h;               /* receive: the header decoded */
	uint64_t tag;                   /* receive: the tag that arrived */
	uint64_t got;                   /* receive: payload bytes delivered */
	uint64_t len;                   /* receive: room in iov */
	struct iovec iov[MYX_IOV_LIMIT];/* receive: where the tail goes */
	size_t iov_count;
	uint8_t inject[];               /* fi_inject: the copied payload */
};

struct myx_conn {
	mx_endpoint_addr_t addr;
	uint32_t tail_seq;              /* next tail sequence to this peer */
	bool ok;
};

struct myx_ep {
	struct fid_ep e;
	struct myx_domain *dom;
	mx_endpoint_t mx;
	struct myx_name name;
	struct myx_av *av;
	struct myx_cq *txcq, *rxcq;
	bool tx_selective, rx_selective;
	uint64_t tx_op_flags, rx_op_flags;
	uint64_t caps;
	uint32_t eager_max;             /* largest MX message carried eagerly */
	struct myx_conn *conn;
	size_t nconn;
	struct myx_req reqs;            /* list head of requests in flight */
};

/* ---- fabric.c ---- */
int myx_getinfo(uint32_t version, const char *node, const char *service, uint64_t flags,
		const struct fi_info *hints, struct fi_info **info);
int myx_fabric_open(struct fi_fabric_attr *attr, struct fid_fabric **fabric, void *context);

/* ---- domain.c (domain, av, eq) ---- */
void myx_lock(struct myx_domain *d);
void myx_unlock(struct myx_domain *d);
int myx_av_open(struct fid_domain *domain, struct fi_av_attr *attr, struct fid_av **av,
		void *context);
int myx_eq_open(struct fid_fabric *fabric, struct fi_eq_attr *attr, struct fid_eq **eq,
		void *context);
/* Shared stubs for every ops table slot the provider does not implement. */
int myx_no_bind(struct fid *fid, struct fid *bfid, uint64_t flags);
int myx_no_control(struct fid *fid, int command, void *arg);
int myx_no_ops_open(struct fid *fid, const char *name, uint64_t flags, void **ops, void *ctx);
/* fi_cq_strerror / fi_eq_strerror: prov_errno is a positive FI_E* code. */
const char *myx_strerror(int prov_errno, char *buf, size_t len);

/* ---- cq.c ---- */
int myx_cq_open(struct fid_domain *domain, struct fi_cq_attr *attr, struct fid_cq **cq,
		void *context);
int myx_cq_push(struct myx_cq *cq, const struct fi_cq_tagged_entry *e, int err, size_t olen);
int myx_cq_attach(struct myx_cq *cq, struct myx_ep *ep);
void myx_cq_detach(struct myx_cq *cq, struct myx_ep *ep);

/* ---- ep.c ---- */
int myx_ep_open(struct fid_domain *domain, struct fi_info *info, struct fid_ep **ep,
		void *context);
void myx_ep_progress(struct myx_ep *ep);
/* The connection to fi_addr, connected on first use (-errno). */
int myx_ep_conn(struct myx_ep *ep, fi_addr_t fa, struct myx_conn **out);
/* A receive's head completed: deliver, or post the tail receive. */
void myx_recv_head_done(struct myx_ep *ep, struct myx_req *r, const mx_status_t *st);
/* Hand a finished operation to its CQ (err: positive FI_E*) and free it. */
void myx_req_finish(struct myx_ep *ep, struct myx_req *r, int err, size_t len, size_t olen);
int myx_status_err(mx_status_code_t code);
void myx_req_link(struct myx_ep *ep, struct myx_req *r);
void myx_req_unlink(struct myx_req *r);

/* ---- xfer.c ---- */
extern struct fi_ops_msg myx_msg_ops;
extern struct fi_ops_tagged myx_tagged_ops;

#endif /* MYX_H */
