/* Windowed counter behind log_limit_allow. */
#include "master/log_limit.h"

#include <inttypes.h>

#include "common/log.h"

bool log_limit_allow(struct log_limit *limit, uint64_t now_ms)
{
	uint64_t suppressed = 0;
	bool allowed;

	pthread_mutex_lock(&limit->lock);
	if (now_ms - limit->window_start_ms >= 1000) {
		suppressed = limit->suppressed;
		limit->suppressed = 0;
		limit->window_start_ms = now_ms;
		limit->used = 0;
	}
	allowed = limit->used < limit->per_second;
	if (allowed)
		limit->used++;
	else
		limit->suppressed++;
	pthread_mutex_unlock(&limit->lock);
	if (suppressed > 0)
		log_warn("%" PRIu64 " similar %s messages suppressed", suppressed, limit->category);
	return allowed;
}
