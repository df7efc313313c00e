/* Rate limit for repeated log lines, so a flood of bad clients or a failing
 * disk cannot fill the disk with the same error: at most a few lines per
 * window, then one line saying how many were suppressed. Thread-safe.
 *
 * Either a named limiter shared by several call sites
 *     static struct log_limit client_error_log = LOG_LIMIT_INITIALIZER("client error", 20);
 *     if (log_limit_allow(&client_error_log, now_ms)) log_warn(...);
 * or, for one call site, a drop-in for log_error/log_warn/log_info that
 * keeps its own limiter (LOG_LIMIT_SITE_LINES per LOG_LIMIT_SITE_WINDOW_MS):
 *     log_error_limited("database COMMIT failed: %s", why); */
#ifndef CASCADE_COMMON_LOG_LIMIT_H
#define CASCADE_COMMON_LOG_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "common/log.h"

struct log_limit {
	pthread_mutex_t lock;
	const char *category; /* named in the "suppressed" line */
	unsigned int per_window;
	uint64_t window_ms;
	uint64_t window_start_ms;
	bool started;
	unsigned int used;
	uint64_t suppressed;
};

/* rate lines per second */
#define LOG_LIMIT_INITIALIZER(name, rate) \
	{ PTHREAD_MUTEX_INITIALIZER, (name), (rate), 1000, 0, false, 0, 0 }
/* lines per window of window_ms milliseconds */
#define LOG_LIMIT_WINDOW_INITIALIZER(name, lines, window_ms) \
	{ PTHREAD_MUTEX_INITIALIZER, (name), (lines), (window_ms), 0, false, 0, 0 }

/* true when a line may be logged now; when a new window opens after lines
 * were suppressed, logs how many first. */
bool log_limit_allow(struct log_limit *limit, uint64_t now_ms);

#define LOG_LIMIT_SITE_LINES     10
#define LOG_LIMIT_SITE_WINDOW_MS 10000

#define log_message_limited(level, format, ...)                                                          \
	do {                                                                                             \
		static struct log_limit site_limit_ =                                                    \
			LOG_LIMIT_WINDOW_INITIALIZER(format, LOG_LIMIT_SITE_LINES, LOG_LIMIT_SITE_WINDOW_MS); \
		if (log_limit_allow(&site_limit_, monotonic_ms()))                                       \
			log_message((level), format, ##__VA_ARGS__);                                     \
	} while (0)

#define log_error_limited(...) log_message_limited(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn_limited(...)  log_message_limited(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info_limited(...)  log_message_limited(LOG_LEVEL_INFO, __VA_ARGS__)

#endif
