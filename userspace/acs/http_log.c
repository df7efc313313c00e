/* Rate-limited libmicrohttpd error log (see http_log.h). */
#include "acs/http_log.h"

#include <stdio.h>
#include <string.h>

#include "common/log_limit.h"

static struct log_limit http_log_limit = LOG_LIMIT_INITIALIZER("libmicrohttpd", HTTP_LOG_PER_SECOND);

void http_log_limited(void *context, const char *format, va_list arguments)
{
	char line[512];
	size_t length;

	(void)context;
	if (!log_limit_allow(&http_log_limit, monotonic_ms()))
		return;
	vsnprintf(line, sizeof(line), format, arguments);
	length = strlen(line);
	while (length && (line[length - 1] == '\n' || line[length - 1] == '\r'))
		line[--length] = '\0';
	log_warn("libmicrohttpd: %s", line);
}
