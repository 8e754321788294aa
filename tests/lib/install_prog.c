/*
 * An MX program built only from the installed headers and pkg-config, the
 * way MX programs are written: nothing but myriexpress.h and
 * mx_extensions.h (PRIx64/SCNx64 come with myriexpress.h, as with MX's),
 * threaded paths under MX_THREAD_SAFE, and every entry point of both
 * headers referenced so that a missing prototype or symbol fails the build.
 */
#include <stdio.h>
#include <myriexpress.h>
#include <mx_extensions.h>

#if !defined(MX_THREAD_SAFE) || !MX_THREAD_SAFE
#error "MX_THREAD_SAFE: libmyrixen is thread-safe"
#endif
#if MX_API != 0x301 || !defined(MX_HAS_NET_TYPE) || !defined(MX_HAS_ICONNECT_V2)
#error "MX API level"
#endif

typedef void (*fn_t)(void);
#define F(f) ((fn_t)(f))

static const fn_t entry_points[] = {
	F(mx__init_api), F(mx_finalize), F(mx_set_error_handler), F(mx_open_endpoint),
	F(mx_close_endpoint), F(mx_wakeup), F(mx_disable_progression),
	F(mx_reenable_progression), F(mx_isend), F(mx_issend), F(mx_irecv), F(mx_cancel),
	F(mx_test), F(mx_wait), F(mx_test_any), F(mx_wait_any), F(mx_ipeek), F(mx_peek),
	F(mx_iprobe), F(mx_probe), F(mx_ibuffered), F(mx_buffered), F(mx_context),
	F(mx_get_info), F(mx_hostname_to_nic_id), F(mx_board_number_to_nic_id),
	F(mx_nic_id_to_board_number), F(mx_nic_id_to_hostname), F(mx_connect),
	F(mx_decompose_endpoint_addr), F(mx_get_endpoint_addr), F(mx_strerror),
	F(mx_strstatus), F(mx_register_unexp_callback), F(mx_iput), F(mx_iget),
	/* mx_extensions.h */
	F(mx_iconnect), F(mx_disconnect), F(mx_register_unexp_handler), F(mx_forget),
	F(mx_progress), F(mx_set_endpoint_addr_context), F(mx_get_endpoint_addr_context),
	F(mx_set_request_timeout), F(mx_decompose_endpoint_addr2),
};

int main(void)
{
	uint32_t v = 0, i;
	uint64_t nic = 0, parsed = 0;
	char buf[32];
	mx_param_t p = { MX_PARAM_CONTEXT_ID, { .context_id = { 4, 56 } } };
	mx_unexp_handler_action_t a = MX_RECV_CONTINUE;
	mx_line_speed_t speed = MX_SPEED_OPEN_MX;

	for (i = 0; i < sizeof(entry_points) / sizeof(entry_points[0]); i++)
		if (!entry_points[i])
			return 1;
	mx_set_error_handler(MX_ERRORS_RETURN);
	if (mx_init() != MX_SUCCESS)
		return 1;
	if (mx_get_info(NULL, MX_PIO_SEND_MAX, NULL, 0, &v, sizeof(v)) != MX_SUCCESS || v != 32)
		return 1;
	/* The way MX programs print and parse nic ids. */
	nic = 0x0060dd47afe1ull;
	snprintf(buf, sizeof(buf), "%012" PRIx64, nic);
	if (sscanf(buf, "%" SCNx64, &parsed) != 1 || parsed != nic)
		return 1;
	printf("%s nic %08x%08x ctx bits %u %d %d\n", mx_strerror(MX_SUCCESS), MX_U32(nic),
	       MX_L32(nic), p.val.context_id.bits, (int)a, (int)speed);
	return mx_finalize() == MX_SUCCESS ? 0 : 1;
}
