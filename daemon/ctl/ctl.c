/* SPDX-License-Identifier: MIT */
/*
 * Control socket server: listen, authorise (SO_PEERCRED), read one request
 * line, answer, close.  Command logic is in ctl_cmd.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "core.h"
#include "ctl_int.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "unix_listen.h"

static void conn_free(struct mxd_ctl_conn *c)
{
	struct mxd_ctl *ctl = c->ctl;

	mxd_ctl_ping_free(c->ping);
	ev_io_stop(ctl->ev, &c->io);
	ev_timer_stop(ctl->ev, &c->timeout);
	if (c->fd >= 0)
		close(c->fd);
	LIST_REMOVE(c, link);
	/* at the limit the listener paused: clients waited in the backlog */
	if (ctl->nconns-- == MXD_CTL_CONNS_MAX && ctl->fd >= 0)
		ev_io_start(ctl->ev, &ctl->listen_io);
	mxd_out_free(&c->out);
	free(c->resp);
	free(c);
}

/* Closing with unread client bytes makes the client's kernel report a
 * reset and drop our answer; so: half-close, discard input until the
 * client closes (or the timeout), then close. */
static void conn_drain_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct mxd_ctl_conn *c = w->data;
	char scratch[512];
	ssize_t n;

	(void)ev;
	(void)revents;
	do
		n = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
	while (n > 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	conn_free(c);
}

static void linger(struct mxd_ctl_conn *c)
{
	shutdown(c->fd, SHUT_WR);
	ev_io_stop(c->ctl->ev, &c->io);
	ev_io_init(&c->io, conn_drain_cb, c->fd, EV_READ);
	c->io.data = c;
	ev_io_start(c->ctl->ev, &c->io);
}

static void conn_write_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct mxd_ctl_conn *c = w->data;
	ssize_t n;

	(void)ev;
	(void)revents;
	while (c->resp_off < c->resp_len) {
		n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;  /* the client went away: nothing to tell it */
		c->resp_off += (size_t)n;
	}
	if (c->resp_off < c->resp_len) {
		conn_free(c);
		return;
	}
	linger(c);
}

/* Queue the whole answer: status line + body, and start writing. */
static void conn_answer(struct mxd_ctl_conn *c, enum mxd_ctl_rc rc, const char *cls,
			const char *msg)
{
	struct mxd_out *o = &c->out;
	char line[384];
	size_t body_len = 0;
	int n;

	if (rc == MXD_CTL_OK && !mxd_out_done(o)) {
		cls = "failed";
		msg = "out of memory while rendering the answer";
		rc = MXD_CTL_FAILED;
	}
	if (rc == MXD_CTL_OK) {
		n = snprintf(line, sizeof(line), "OK\n");
		body_len = o->len;
	} else {
		n = snprintf(line, sizeof(line), "ERR %s %s\n", cls, msg);
		mxd_out_free(o);
		mxd_out_init(o, c->json);
		if (c->json) {
			mxd_out_obj_begin(o, NULL);
			mxd_out_str(o, "error", msg);
			mxd_out_str(o, "class", cls);
			mxd_out_obj_end(o);
			if (mxd_out_done(o))
				body_len = o->len;
		}
	}
	if (n < 0 || (size_t)n >= sizeof(line))
		n = (int)strlen(line);
	c->resp = malloc((size_t)n + body_len);
	if (!c->resp) {
		conn_free(c);
		return;
	}
	memcpy(c->resp, line, (size_t)n);
	if (body_len)
		memcpy(c->resp + n, o->buf, body_len);
	c->resp_len = (size_t)n + body_len;
	ev_io_stop(c->ctl->ev, &c->io);
	ev_io_init(&c->io, conn_write_cb, c->fd, EV_WRITE);
	c->io.data = c;
	ev_io_start(c->ctl->ev, &c->io);
	/* the timeout keeps running: a client that never reads is dropped */
}

static void refuse(struct mxd_ctl_conn *c);

static const char *class_of(enum mxd_ctl_rc rc)
{
	return rc == MXD_CTL_USAGE ? "usage" : "failed";
}

void mxd_ctl_conn_finish(struct mxd_ctl_conn *c, enum mxd_ctl_rc rc, const char *err)
{
	c->pending = false;
	ev_timer_again(c->ctl->ev, &c->timeout);
	conn_answer(c, rc, class_of(rc), err ? err : "");
}

/* "FORMAT COMMAND [ARG]" */
static void conn_handle(struct mxd_ctl_conn *c)
{
	struct mxd_ctl *ctl = c->ctl;
	char *save = NULL, *fmt, *cmd, *arg, *extra;
	char err[256] = "";
	enum mxd_ctl_rc rc;

	fmt = strtok_r(c->req, " \t", &save);
	cmd = strtok_r(NULL, " \t", &save);
	arg = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	c->json = fmt && !strcmp(fmt, "json");
	mxd_out_init(&c->out, c->json);
	if (c->refused) {
		refuse(c);
		return;
	}
	ctl->requests++;
	if (!fmt || (strcmp(fmt, "json") && strcmp(fmt, "text")) || !cmd || extra) {
		ctl->bad_requests++;
		conn_answer(c, MXD_CTL_USAGE, "usage",
			    "malformed request (expected: text|json COMMAND [ARG])");
		return;
	}
	rc = mxd_ctl_dispatch(ctl, c, cmd, arg, &c->out, err, sizeof(err));
	if (rc == MXD_CTL_PENDING) {
		c->pending = true;
		ev_io_stop(ctl->ev, &c->io);
		return;
	}
	if (rc == MXD_CTL_USAGE)
		ctl->bad_requests++;
	conn_answer(c, rc, class_of(rc), err);
}

static void conn_read_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct mxd_ctl_conn *c = w->data;
	char *nl;
	ssize_t n;

	(void)ev;
	(void)revents;
	n = recv(c->fd, c->req + c->req_len, MXD_CTL_REQ_MAX - c->req_len, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = 0;
	nl = memchr(c->req, '\n', c->req_len);
	if (c->refused && (nl || c->req_len == MXD_CTL_REQ_MAX)) {
		refuse(c);
		return;
	}
	if (nl) {
		*nl = 0;
		if (strlen(c->req) != (size_t)(nl - c->req)) {
			c->ctl->bad_requests++;
			mxd_out_init(&c->out, false);
			conn_answer(c, MXD_CTL_USAGE, "usage", "request contains a NUL byte");
			return;
		}
		conn_handle(c);
	} else if (c->req_len == MXD_CTL_REQ_MAX) {
		c->ctl->bad_requests++;
		mxd_out_init(&c->out, false);
		conn_answer(c, MXD_CTL_USAGE, "usage", "request too long");
	}
}

static void conn_timeout_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct mxd_ctl_conn *c = w->data;

	(void)ev;
	(void)revents;
	if (c->pending) {
		/* the operation owns the answer and always completes it */
		ev_timer_again(c->ctl->ev, &c->timeout);
		return;
	}
	conn_free(c);
}

/* root, or ctl_group as primary or supplementary group of the peer. */
static bool peer_allowed(const struct mxd_ctl *ctl, int fd, struct ucred *cred)
{
	return mxd_peer_admitted(fd, 0, ctl->has_group ? ctl->gid : MXD_NO_GROUP, cred);
}

/* The refusal is the answer to the request, like any answer: sending it
 * before the client's request arrived would make the client see a reset. */
static void refuse(struct mxd_ctl_conn *c)
{
	static struct mxd_ratelimit rl = MXD_RATELIMIT_INIT(5000, 3);
	struct mxd_ctl *ctl = c->ctl;
	char msg[256];

	ctl->refused++;
	if (ctl->has_group)
		snprintf(msg, sizeof(msg), "access refused: uid %u is neither root nor in group '%s'",
			 (unsigned)c->cred.uid, ctl->d->cfg.ctl_group);
	else
		snprintf(msg, sizeof(msg), "access refused: uid %u is not root (and no ctl_group is set)",
			 (unsigned)c->cred.uid);
	c->json = !strncmp(c->req, "json ", 5);
	mxd_out_free(&c->out);
	mxd_out_init(&c->out, c->json);
	mxd_log_rl(&rl, MXD_LOG_NOTICE, "control socket: refused uid %u pid %d",
		   (unsigned)c->cred.uid, (int)c->cred.pid);
	conn_answer(c, MXD_CTL_FAILED, "refused", msg);
}

static void listen_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct mxd_ctl *ctl = w->data;
	struct mxd_ctl_conn *c;
	int fd;

	(void)revents;
	fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->fd = fd;
	c->cred = (struct ucred){ .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	c->refused = !peer_allowed(ctl, fd, &c->cred);
	mxd_out_init(&c->out, false);
	LIST_INSERT_HEAD(&ctl->conns, c, link);
	if (++ctl->nconns == MXD_CTL_CONNS_MAX)
		ev_io_stop(ev, &ctl->listen_io);
	ev_io_init(&c->io, conn_read_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_start(ev, &c->io);
	ev_init(&c->timeout, conn_timeout_cb);
	c->timeout.repeat = MXD_CTL_TIMEOUT_S;
	c->timeout.data = c;
	ev_timer_again(ev, &c->timeout);
}

static int resolve_group(struct mxd_ctl *ctl, const char *name)
{
	if (!name[0])
		return 0;
	if (mxd_group_gid(name, &ctl->gid)) {
		mxd_log(MXD_LOG_ERR, "ctl_group '%s': no such group", name);
		return -ENOENT;
	}
	ctl->has_group = true;
	return 0;
}

/* 0600 root, or 0660 root:ctl_group; the path appears once listening. */
static int listen_socket(struct mxd_ctl *ctl)
{
	return mxd_unix_listen(ctl->path, SOCK_STREAM, 16, ctl->has_group ? 0660 : 0600,
			       ctl->has_group ? ctl->gid : MXD_NO_GROUP, &ctl->fd);
}

static void reload_hook(void *arg)
{
	struct mxd_daemon *d = arg;
	char err[512];

	(void)mxd_ctl_reload(d, err, sizeof(err)); /* logs its own outcome */
}

int mxd_ctl_start(struct mxd_daemon *d)
{
	struct mxd_ctl *ctl;
	int rc;

	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->d = d;
	ctl->ev = d->ev;
	ctl->fd = -1;
	ctl->started_ns = mxd_now_ns();
	LIST_INIT(&ctl->conns);
	snprintf(ctl->path, sizeof(ctl->path), "%s", d->cfg.ctl_socket);
	d->ctl = ctl;
	rc = resolve_group(ctl, d->cfg.ctl_group);
	if (rc)
		goto out;
	rc = listen_socket(ctl);
	if (rc) {
		mxd_log(MXD_LOG_ERR, "control socket %s: %s", ctl->path, strerror(-rc));
		goto out;
	}
	ev_io_init(&ctl->listen_io, listen_cb, ctl->fd, EV_READ);
	ctl->listen_io.data = ctl;
	ev_io_start(ctl->ev, &ctl->listen_io);
	if (d->loop)
		mxd_loop_set_reload(d->loop, reload_hook, d);
	rc = mxd_sdnotify_start(ctl, &ctl->notify);
out:
	if (rc)
		mxd_ctl_stop(d);
	return rc;
}

void mxd_ctl_stop(struct mxd_daemon *d)
{
	struct mxd_ctl *ctl = d->ctl;

	if (!ctl)
		return;
	if (d->loop)
		mxd_loop_set_reload(d->loop, NULL, NULL);
	mxd_sdnotify_stop(ctl->notify);
	while (!LIST_EMPTY(&ctl->conns))
		conn_free(LIST_FIRST(&ctl->conns));
	if (ctl->fd >= 0) {
		ev_io_stop(ctl->ev, &ctl->listen_io);
		close(ctl->fd);
		unlink(ctl->path);
	}
	free(ctl);
	d->ctl = NULL;
}
