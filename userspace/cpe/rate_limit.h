/* A token bucket: `burst` events at once, then one more every
 * `refill_ms`. Used to cap connection requests; thread-safe. */
#ifndef CASCADE_CPE_RATE_LIMIT_H
#define CASCADE_CPE_RATE_LIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct rate_limit {
	pthread_mutex_t lock;
	unsigned int burst;
	uint64_t refill_ms;
	uint64_t tokens_ms;   /* tokens x refill_ms, so refills need no division */
	uint64_t last_ms;
};

void rate_limit_init(struct rate_limit *limit, unsigned int burst, uint64_t refill_ms, uint64_t now_ms);
void rate_limit_destroy(struct rate_limit *limit);
/* Takes one token at now_ms; false when none is left. *retry_after_ms
 * (may be NULL) says when the next one comes. */
bool rate_limit_take(struct rate_limit *limit, uint64_t now_ms, uint64_t *retry_after_ms);

#endif
