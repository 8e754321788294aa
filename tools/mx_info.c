/* SPDX-License-Identifier: MIT */
/*
 * mx_info: what MX sees on this host -- boards, nic ids, hostnames, limits
 * and the library counters -- through mx_get_info and the naming calls.
 * Exit status: 0 ok, 1 MX error (daemon unreachable, ...), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "myriexpress.h"
#include "counters.h"

static int fail(const char *what, mx_return_t ret)
{
	fprintf(stderr, "mx_info: %s: %s\n", what, mx_strerror(ret));
	return 1;
}

static void print_u32(const char *label, mx_get_info_key_t key)
{
	uint32_t v = 0, board = 0;

	if (mx_get_info(NULL, key, &board, sizeof(board), &v, sizeof(v)) == MX_SUCCESS)
		printf("%-24s %u\n", label, v);
}

int main(int argc, char **argv)
{
	char host[MX_MAX_HOSTNAME_LEN], product[MX_MAX_STR_LEN], serial[MX_MAX_STR_LEN];
	uint64_t ids[2] = { 0, 0 }, nic = 0;
	uint32_t count = 0, board = 0, b;
	mx_return_t ret;

	if (argc > 1) {
		fprintf(stderr, "usage: mx_info   (env MYRIXEN_SOCKET selects the daemon socket)\n");
		return strcmp(argv[1], "-h") ? 2 : 0;
	}
	mx_set_error_handler(MX_ERRORS_RETURN);
	ret = mx_init();
	if (ret != MX_SUCCESS)
		return fail("mx_init", ret);
	ret = mx_get_info(NULL, MX_NIC_COUNT, NULL, 0, &count, sizeof(count));
	if (ret != MX_SUCCESS)
		return fail("MX_NIC_COUNT", ret);
	ret = mx_get_info(NULL, MX_NIC_IDS, NULL, 0, ids, sizeof(ids));
	if (ret != MX_SUCCESS)
		return fail("MX_NIC_IDS (is myribackd running?)", ret);
	printf("MX API %#x, %u board(s)\n", MX_API, count);
	for (b = 0; b < count; b++) {
		ret = mx_board_number_to_nic_id(b, &nic);
		if (ret != MX_SUCCESS)
			return fail("mx_board_number_to_nic_id", ret);
		ret = mx_nic_id_to_hostname(nic, host);
		if (ret != MX_SUCCESS)
			return fail("mx_nic_id_to_hostname", ret);
		board = b;
		mx_get_info(NULL, MX_PRODUCT_CODE, &board, sizeof(board), product, sizeof(product));
		mx_get_info(NULL, MX_SERIAL_NUMBER, &board, sizeof(board), serial, sizeof(serial));
		printf("board %u:\n", b);
		printf("%-24s %012llx\n", "  nic id", (unsigned long long)nic);
		printf("%-24s %s\n", "  hostname", host);
		printf("%-24s %s\n", "  product", product);
		printf("%-24s %s\n", "  serial", serial);
	}
	print_u32("max endpoints", MX_MAX_NATIVE_ENDPOINTS);
	print_u32("native requests", MX_NATIVE_REQUESTS);
	print_u32("pio (tiny) send max", MX_PIO_SEND_MAX);
	print_u32("copy (medium) send max", MX_COPY_SEND_MAX);
	print_u32("ports", MX_PORT_COUNT);
	print_counters(NULL);
	mx_finalize();
	return 0;
}
