/* Rate limit for repetitive log lines (per category): at most a few lines
 * per second, then a count of what was suppressed, so a flood of bad
 * clients cannot fill the disk. Thread-safe. */
#ifndef CASCADE_MASTER_LOG_LIMIT_H
#define CASCADE_MASTER_LOG_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct log_limit {
	pthread_mutex_t lock;
	const char *category;
	unsigned int per_second;
	uint64_t window_start_ms;
	unsigned int used;
	uint64_t suppressed;
};

#define LOG_LIMIT_INITIALIZER(name, rate) \
	{ PTHREAD_MUTEX_INITIALIZER, (name), (rate), 0, 0, 0 }

/* true when a line may be logged now; when a new window opens after lines
 * were suppressed, logs how many first. */
bool log_limit_allow(struct log_limit *limit, uint64_t now_ms);

#endif
