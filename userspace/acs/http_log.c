/* Rate-limited libmicrohttpd error log (see http_log.h). */
#include "acs/http_log.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t window_second, lines_in_window, dropped;

void http_log_limited(void *context, const char *format, va_list arguments)
{
	uint64_t second = monotonic_ms() / 1000, dropped_before;
	char line[512];
	size_t length;

	(void)context;
	pthread_mutex_lock(&lock);
	if (second != window_second) {
		window_second = second;
		lines_in_window = 0;
	}
	if (lines_in_window >= HTTP_LOG_PER_SECOND) {
		dropped++;
		pthread_mutex_unlock(&lock);
		return;
	}
	lines_in_window++;
	dropped_before = dropped;
	dropped = 0;
	pthread_mutex_unlock(&lock);
	vsnprintf(line, sizeof(line), format, arguments);
	length = strlen(line);
	while (length && (line[length - 1] == '\n' || line[length - 1] == '\r'))
		line[--length] = '\0';
	if (dropped_before)
		log_warn("libmicrohttpd: %s (%llu similar lines dropped)", line, (unsigned long long)dropped_before);
	else
		log_warn("libmicrohttpd: %s", line);
}
