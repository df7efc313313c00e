/* Session retry waits, Retry-After and periodic jitter (see backoff.h). */
#include "cpe/backoff.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t capped_multiply(uint64_t value, uint64_t factor_permille, uint64_t cap)
{
	unsigned __int128 product = (unsigned __int128)value * factor_permille / 1000;

	return product > cap ? cap : (uint64_t)product;
}

void retry_wait_bounds(const struct retry_policy *policy, unsigned int retry_count, uint64_t *low_ms,
		       uint64_t *high_ms)
{
	uint64_t cap = policy->max_wait_ms ? policy->max_wait_ms : UINT64_MAX / 2;
	uint64_t multiplier = policy->multiplier >= 1000 ? policy->multiplier : 1000;
	uint64_t low = policy->min_wait_ms < cap ? policy->min_wait_ms : cap;

	if (retry_count == 0)
		retry_count = 1;
	if (retry_count > RETRY_COUNT_CAP)
		retry_count = RETRY_COUNT_CAP;
	for (unsigned int i = 1; i < retry_count; i++)
		low = capped_multiply(low, multiplier, cap);
	*low_ms = low;
	*high_ms = capped_multiply(low, multiplier, cap);
}

uint64_t retry_wait_ms(const struct retry_policy *policy, unsigned int retry_count, uint64_t retry_after_ms,
		       uint64_t random)
{
	uint64_t cap = policy->max_wait_ms ? policy->max_wait_ms : UINT64_MAX / 2;
	uint64_t low, high, wait;

	retry_wait_bounds(policy, retry_count, &low, &high);
	wait = low + (high > low ? random % (high - low + 1) : 0);
	if (retry_after_ms > wait) {
		uint64_t spread = retry_after_ms / 4;

		wait = retry_after_ms + (spread ? (random >> 16) % (spread + 1) : 0);
	}
	return wait > cap ? cap : wait;
}

uint64_t periodic_wait_ms(uint64_t interval_ms, unsigned int jitter_percent, uint64_t random)
{
	uint64_t spread, wait;

	if (jitter_percent > 100)
		jitter_percent = 100;
	spread = interval_ms / 100 * jitter_percent + interval_ms % 100 * jitter_percent / 100;
	wait = interval_ms - spread + (spread ? random % (2 * spread + 1) : 0);
	return wait ? wait : 1;
}

uint64_t random_u64(void)
{
	uint64_t value;
	struct timespec now;

	if (getrandom(&value, sizeof(value), GRND_NONBLOCK) == (ssize_t)sizeof(value))
		return value;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)now.tv_sec ^ ((uint64_t)getpid() << 40);
}
