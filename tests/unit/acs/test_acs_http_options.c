/* Unit test of how cascade-acs starts its libmicrohttpd daemons: the
 * caller's logger is the first option libmicrohttpd sees, so it never
 * warns "MHD_OPTION_EXTERNAL_LOGGER is not the first option" (nor logs
 * anything else) at start, and the daemon binds the address given. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "acs/http.h"

static char logged[512];

static void record(void *context, const char *format, va_list arguments)
{
	(void)context;
	vsnprintf(logged, sizeof(logged), format, arguments);
}

static enum MHD_Result refuse(void *argument, struct MHD_Connection *connection, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **context)
{
	(void)argument, (void)connection, (void)url, (void)method, (void)version, (void)upload_data;
	(void)upload_data_size, (void)context;
	return MHD_NO;
}

static void test_logger_first(void **state)
{
	struct MHD_OptionItem options[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)record, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, 16, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_Daemon *daemon;
	uint16_t port = 0;

	(void)state;
	logged[0] = '\0';
	daemon = http_start_daemon("127.0.0.1:0", MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, refuse, NULL,
				   options, &port);
	assert_non_null(daemon);
	assert_true(port > 0);
	MHD_stop_daemon(daemon);
	if (logged[0])
		fail_msg("libmicrohttpd logged at start: %s", logged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logger_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
