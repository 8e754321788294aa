/* SPDX-License-Identifier: MIT */
/* A raw-ABI client of myribackd's local transport, for integration tests. */
#ifndef RAWCLIENT_H
#define RAWCLIENT_H

#include <stdbool.h>
#include <myrixen/abi.h>
#include "tguest.h"

struct rawclient {
	int sock, memfd, kick, irq;
	void *area;
	size_t area_len;
	struct mxn_open_rsp rsp;
	struct tguest g;
	bool pair_events;       /* rc_wait returns MXN_EVT_PAIR_*, else skips them */
};

/* Open an endpoint.  0, or -errno (the daemon's refusal in rsp.error). */
int rc_open(struct rawclient *rc, const char *path, uint8_t endpoint, uint32_t key);
int rc_open_req(struct rawclient *rc, const char *path, const struct mxn_open_req *req);
/* The same with len raw bytes as the request (hostile sizes). */
int rc_open_bytes(struct rawclient *rc, const char *path, const void *req, size_t len);
/* ... with descriptor fd (>= 0) alongside. */
int rc_open_fd(struct rawclient *rc, const char *path, const void *req, size_t len, int fd);
/* Re-claim an endpoint after a daemon restart with area memfd fd. */
int rc_reattach(struct rawclient *rc, const char *path, const struct mxn_reattach_req *q, int fd);
/* The same, but the answer is never read (the reading side is shut, as a
 * library that gave up waiting): 0 once the daemon closed the connection,
 * -ETIMEDOUT when it did not within timeout_ms.  Takes fd. */
int rc_reattach_unread(const char *path, const struct mxn_reattach_req *q, int fd,
		       int timeout_ms);
void rc_close(struct rawclient *rc);
void rc_kick(struct rawclient *rc);
/* Queue, publish and kick if asked.  False when the command ring is full. */
bool rc_send(struct rawclient *rc, const struct mxn_cmd *c);
/* Wait up to timeout_ms for the next event (copied out, slot not released). */
bool rc_wait(struct rawclient *rc, struct mxn_evt *e, int timeout_ms);
/* Release consumed event slots (and kick when the daemon asked). */
void rc_release(struct rawclient *rc);
/* Did the daemon close our connection (cut off / shut down)? */
bool rc_closed_by_daemon(struct rawclient *rc, int timeout_ms);

/* One request to the control socket; the body into buf.  0 or -errno. */
int ctl_request(const char *path, const char *req, char *buf, size_t len);
/* A numeric field of a JSON counters body, or -1. */
long long json_field(const char *body, const char *key);
/* A daemon counter by key, from the control socket in $MYRIXEN_TEST_DIR
 * (the integration runner's daemon; "." when unset), or -1. */
long long ctl_counter(const char *key);

#endif /* RAWCLIENT_H */
