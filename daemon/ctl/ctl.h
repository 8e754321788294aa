/* SPDX-License-Identifier: MIT */
/*
 * The control socket inside myribackd (myrixenctl talks to it).
 *
 * Access: a UNIX stream socket, mode 0600 root, or 0660 root:ctl_group when
 * ctl_group is set; every connection is checked again with SO_PEERCRED /
 * SO_PEERGROUPS (root, or the group as primary or supplementary group) and
 * an unauthorised client gets "ERR refused ..." before the socket closes.
 *
 * Protocol, one request per connection:
 *   request   FORMAT SP COMMAND [SP ARG] LF      FORMAT is "text" or "json"
 *   answer    "OK" LF BODY                       then the server closes
 *          or "ERR" SP CLASS SP MESSAGE LF BODY  CLASS: usage | failed | refused
 * BODY is the rendering asked for (ctl_out.h); for an error in json form it
 * is {"error":MESSAGE,"class":CLASS}, in text form it is empty.
 * Requests are at most MXD_CTL_REQ_MAX bytes; a client has
 * MXD_CTL_TIMEOUT_S seconds to send its line.  At MXD_CTL_CONNS_MAX open
 * connections the daemon stops accepting; further clients wait in the
 * listen backlog.
 *
 * Commands: status, list, counters, peers, attach DOMID, detach DOMID,
 * ping HOST, reload.  Reload (also on SIGHUP) re-reads the configuration
 * file and applies what can change live: log level, poll window and budget,
 * per-guest limits (for new endpoints), new or renamed peers (added to the
 * running wire engine; a peer removed from the file stays in the engine
 * until a restart, with a warning).  A file that does not parse is refused
 * and the running configuration is kept.
 *
 * Error convention: 0 or -errno.
 */
#ifndef MXD_CTL_H
#define MXD_CTL_H

#include <stddef.h>

#define MXD_CTL_REQ_MAX 512
#define MXD_CTL_TIMEOUT_S 5
#define MXD_CTL_CONNS_MAX 16

struct mxd_daemon;

/* Bind and listen on d->cfg.ctl_socket, install the SIGHUP reload hook and
 * the systemd status/watchdog timer.  Stores its state in d->ctl.
 * -ENOENT with a logged reason when ctl_group does not exist. */
int mxd_ctl_start(struct mxd_daemon *d);
/* Close every connection and the listener, unlink the socket. */
void mxd_ctl_stop(struct mxd_daemon *d);

/* Re-read d->config_path and apply it (see above).  0, or -errno with
 * 'err' set; the running configuration is unchanged on error. */
int mxd_ctl_reload(struct mxd_daemon *d, char *err, size_t errlen);

#endif /* MXD_CTL_H */
