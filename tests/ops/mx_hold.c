/* SPDX-License-Identifier: MIT */
/*
 * Test helper: open one MX endpoint through libmyrixen (local transport,
 * MYRIXEN_SOCKET), print "open PID ENDPOINT" and hold it until stdin
 * closes.  Lets the control-socket tests see a real guest in `list`.
 */
#include <stdio.h>
#include <unistd.h>
#include <myriexpress.h>

int main(void)
{
	mx_endpoint_t ep;
	mx_endpoint_addr_t addr;
	uint64_t nic;
	uint32_t eid;
	mx_return_t rc;
	char c;

	rc = mx_init();
	if (rc != MX_SUCCESS) {
		fprintf(stderr, "mx_init: %s\n", mx_strerror(rc));
		return 1;
	}
	rc = mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, 0x1234, NULL, 0, &ep);
	if (rc != MX_SUCCESS) {
		fprintf(stderr, "mx_open_endpoint: %s\n", mx_strerror(rc));
		return 1;
	}
	mx_get_endpoint_addr(ep, &addr);
	mx_decompose_endpoint_addr(addr, &nic, &eid);
	printf("open %d %u\n", (int)getpid(), eid);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	mx_close_endpoint(ep);
	mx_finalize();
	return 0;
}
