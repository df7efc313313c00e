/* Windowed counter behind log_limit_allow (see log_limit.h). */
#include "common/log_limit.h"

#include <inttypes.h>

bool log_limit_allow(struct log_limit *limit, uint64_t now_ms)
{
	uint64_t suppressed = 0;
	bool allowed;

	pthread_mutex_lock(&limit->lock);
	if (!limit->started || now_ms - limit->window_start_ms >= limit->window_ms) {
		suppressed = limit->suppressed;
		limit->suppressed = 0;
		limit->window_start_ms = now_ms;
		limit->started = true;
		limit->used = 0;
	}
	allowed = limit->used < limit->per_window;
	if (allowed)
		limit->used++;
	else
		limit->suppressed++;
	pthread_mutex_unlock(&limit->lock);
	if (suppressed > 0)
		log_warn("%" PRIu64 " more lines like \"%s\" suppressed", suppressed, limit->category);
	return allowed;
}
