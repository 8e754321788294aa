/* An MX program built only from the installed headers and pkg-config. */
#include <stdio.h>
#include <myriexpress.h>
#include <mx_extensions.h>

int main(void)
{
	uint32_t v = 0;

	mx_set_error_handler(MX_ERRORS_RETURN);
	if (mx_init() != MX_SUCCESS)
		return 1;
	if (mx_get_info(NULL, MX_PIO_SEND_MAX, NULL, 0, &v, sizeof(v)) != MX_SUCCESS || v != 32)
		return 1;
	printf("%s\n", mx_strerror(MX_SUCCESS));
	return mx_finalize() == MX_SUCCESS ? 0 : 1;
}
