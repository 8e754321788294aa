/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD helper for test_local_socket: listen() sleeps
 * MYRIXEN_TEST_LISTEN_DELAY_MS first, so a socket path that becomes visible
 * before the socket listens is caught every time, not by luck.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

int listen(int fd, int backlog)
{
	int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
	const char *v = getenv("MYRIXEN_TEST_LISTEN_DELAY_MS");
	long ms = v ? strtol(v, NULL, 10) : 0;
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms > 0)
		nanosleep(&ts, NULL);
	return real(fd, backlog);
}
