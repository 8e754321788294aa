/* The public headers as an unmodified MX program sees them: names and
 * numeric values of MX 1.2 (MX_API 0x301), type shapes, and the behaviour
 * of calls that need no daemon (strings, addresses, error handlers, a
 * clear error when myribackd is unreachable). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "myriexpress.h"
#include "mx_extensions.h"
#include "check.h"

_Static_assert(MX_API == 0x301, "MX_API");
_Static_assert(MX_SUCCESS == 0 && MX_BAD_BAD_BAD == 1 && MX_NO_RESOURCES == 15, "ret");
_Static_assert(MX_TIMEOUT == 30 && MX_BAD_CONNECTION_KEY == 34 && MX_NIC_DEAD == 39, "ret");
_Static_assert(MX_CONNECTION_FAILED == 33 && MX_CANCEL_NOT_SUPPORTED == 40, "ret");
_Static_assert(MX_STATUS_SUCCESS == 0 && MX_STATUS_PENDING == 1 && MX_STATUS_TIMEOUT == 4, "st");
_Static_assert(MX_STATUS_TRUNCATED == 5 && MX_STATUS_ENDPOINT_CLOSED == 8, "st");
_Static_assert(MX_STATUS_BAD_SESSION == 10 && MX_STATUS_BAD_KEY == 11, "st");
_Static_assert(MX_STATUS_BAD_ENDPOINT == 12 && MX_STATUS_NO_RESOURCES == 16, "st");
_Static_assert(MX_ANY_NIC == 0xffffffffu && MX_ANY_ENDPOINT == 0xffffffffu, "any");
_Static_assert(MX_INFINITE == 0 && MX_MAX_SEGMENTS == 256, "limits");
_Static_assert(MX_MATCH_MASK_NONE == ~(uint64_t)0, "mask");
_Static_assert(MX_NIC_COUNT == 1 && MX_NIC_IDS == 2 && MX_MAX_NATIVE_ENDPOINTS == 3, "info");
_Static_assert(MX_NATIVE_REQUESTS == 4 && MX_COUNTERS_COUNT == 5 && MX_PRODUCT_CODE == 8, "info");
_Static_assert(MX_PIO_SEND_MAX == 12 && MX_COPY_SEND_MAX == 13 && MX_LINE_SPEED == 16, "info");
_Static_assert(MX_PARAM_ERROR_HANDLER == 0 && MX_PARAM_UNEXP_QUEUE_MAX == 1, "param");
_Static_assert(MX_RECV_CONTINUE == 0 && MX_RECV_FINISHED == 1, "unexp");
_Static_assert(sizeof(mx_endpoint_addr_t) == MX_SIZEOF_ADDR && MX_SIZEOF_ADDR == 16, "addr");
_Static_assert(offsetof(mx_segment_t, segment_length) == sizeof(void *), "segment");
_Static_assert(offsetof(mx_status_t, source) == 8 && offsetof(mx_status_t, match_info) == 24, "status");
_Static_assert(offsetof(mx_status_t, msg_length) == 32 && offsetof(mx_status_t, xfer_length) == 36, "st");

static int handler_calls;
static mx_return_t counting_handler(char *str, mx_return_t ret)
{
	(void)str;
	handler_calls++;
	return ret;
}

int main(void)
{
	mx_endpoint_addr_t bad;
	mx_endpoint_t ep = NULL;
	uint64_t nic;
	uint32_t eid, v = 0;
	int c;

	for (c = 0; c <= 43; c++)
		CHECK(mx_strerror((mx_return_t)c) && *mx_strerror((mx_return_t)c));
	for (c = 0; c <= 16; c++)
		CHECK(mx_strstatus((mx_status_code_t)c) && *mx_strstatus((mx_status_code_t)c));
	CHECK(strcmp(mx_strerror((mx_return_t)999), "Unknown error") == 0);

	/* error handlers: ours is called, the previous one is returned */
	CHECK(mx_set_error_handler(counting_handler) == MX_ERRORS_ARE_FATAL);
	memset(&bad, 0, sizeof(bad));
	CHECK_EQ(mx_decompose_endpoint_addr(bad, &nic, &eid), MX_BAD_ENDPOINT);
	CHECK_EQ(handler_calls, 1);
	CHECK(mx_set_error_handler(MX_ERRORS_RETURN) == counting_handler);

	CHECK_EQ(mx_open_endpoint(0, 1, 0, NULL, 0, &ep), MX_NOT_INITIALIZED);
	CHECK_EQ(mx_init(), MX_SUCCESS);
	CHECK_EQ(mx__init_api(0x100), MX_BAD_LIB_VERSION);
	/* no daemon behind this socket: a clear error, promptly */
	setenv("MYRIXEN_SOCKET", "/nonexistent/myrixen.sock", 1);
	CHECK_EQ(mx_open_endpoint(MX_ANY_NIC, MX_ANY_ENDPOINT, 0, NULL, 0, &ep), MX_NO_DRIVER);
	CHECK_EQ(mx_open_endpoint(3, MX_ANY_ENDPOINT, 0, NULL, 0, &ep), MX_BOARD_UNKNOWN);
	CHECK_EQ(mx_open_endpoint(0, 300, 0, NULL, 0, &ep), MX_BAD_ENDPOINT_ID);
	CHECK_EQ(mx_open_endpoint(0, 1, 0, NULL, 2, &ep), MX_BAD_PARAM_LIST);
	CHECK_EQ(mx_board_number_to_nic_id(0, &nic), MX_NO_DRIVER);
	/* facts that need no daemon */
	CHECK_EQ(mx_get_info(NULL, MX_PIO_SEND_MAX, NULL, 0, &v, sizeof(v)), MX_SUCCESS);
	CHECK_EQ(v, 32);
	CHECK_EQ(mx_get_info(NULL, MX_PIO_SEND_MAX, NULL, 0, &v, 2), MX_BAD_INFO_LENGTH);
	CHECK_EQ(mx_get_info(NULL, (mx_get_info_key_t)0, NULL, 0, &v, sizeof(v)), MX_BAD_INFO_KEY);
	CHECK_EQ(mx_wakeup(NULL), MX_BAD_ENDPOINT);
	CHECK_EQ(mx_finalize(), MX_SUCCESS);
	CHECK_EQ(mx_finalize(), MX_NOT_INITIALIZED);
	DONE();
}
