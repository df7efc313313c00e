/* Clock readings: monotonic for intervals and timeouts, realtime for records. */
#include "common/clock.h"

#include <time.h>

uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

uint64_t monotonic_ms(void)
{
	return monotonic_ns() / 1000000ull;
}

uint64_t realtime_seconds(void)
{
	return (uint64_t)time(NULL);
}
