/* Token bucket (see rate_limit.h). */
#include "cpe/rate_limit.h"

void rate_limit_init(struct rate_limit *limit, unsigned int burst, uint64_t refill_ms, uint64_t now_ms)
{
	pthread_mutex_init(&limit->lock, NULL);
	limit->burst = burst ? burst : 1;
	limit->refill_ms = refill_ms ? refill_ms : 1;
	limit->tokens_ms = (uint64_t)limit->burst * limit->refill_ms;
	limit->last_ms = now_ms;
}

void rate_limit_destroy(struct rate_limit *limit)
{
	pthread_mutex_destroy(&limit->lock);
}

bool rate_limit_take(struct rate_limit *limit, uint64_t now_ms, uint64_t *retry_after_ms)
{
	uint64_t full;
	bool taken = false;

	pthread_mutex_lock(&limit->lock);
	full = (uint64_t)limit->burst * limit->refill_ms;
	if (now_ms > limit->last_ms) {
		uint64_t gained = now_ms - limit->last_ms;

		limit->tokens_ms = gained >= full - limit->tokens_ms ? full : limit->tokens_ms + gained;
		limit->last_ms = now_ms;
	}
	if (limit->tokens_ms >= limit->refill_ms) {
		limit->tokens_ms -= limit->refill_ms;
		taken = true;
	}
	if (retry_after_ms)
		*retry_after_ms = taken ? 0 : limit->refill_ms - limit->tokens_ms;
	pthread_mutex_unlock(&limit->lock);
	return taken;
}
