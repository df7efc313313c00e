/* Logging: timestamped, levelled lines on stderr, one write() per line so
 * lines from several threads or processes sharing a terminal never interleave. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char program[64] = "cascade";
static enum log_level current_level = LOG_LEVEL_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_init(const char *program_name)
{
	snprintf(program, sizeof(program), "%s", program_name);
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_from_name(const char *name, enum log_level *level)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

void log_message(enum log_level level, const char *format, ...)
{
	char line[2048];
	struct timeval now;
	struct tm utc;
	size_t used;
	va_list arguments;
	int saved_errno = errno;

	if (level > current_level)
		return;
	gettimeofday(&now, NULL);
	gmtime_r(&now.tv_sec, &utc);
	used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &utc);
	used += (size_t)snprintf(line + used, sizeof(line) - used, ".%03ldZ %s[%d] %s: ",
				 (long)(now.tv_usec / 1000), program, (int)getpid(),
				 level_names[level]);
	va_start(arguments, format);
	if (used < sizeof(line))
		vsnprintf(line + used, sizeof(line) - used, format, arguments);
	va_end(arguments);
	used = strnlen(line, sizeof(line) - 2);
	line[used++] = '\n';
	if (write(STDERR_FILENO, line, used) < 0) {
		/* Nowhere left to report a failed log write. */
	}
	errno = saved_errno;
}
