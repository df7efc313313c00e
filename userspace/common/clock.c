/* Clock readings: monotonic for intervals and timeouts, realtime for
 * records; monotonic deadlines for condition variables. */
#include "common/clock.h"

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

void monotonic_condition_init(pthread_cond_t *condition)
{
	pthread_condattr_t attributes;

	pthread_condattr_init(&attributes);
	pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
	pthread_cond_init(condition, &attributes);
	pthread_condattr_destroy(&attributes);
}

void monotonic_deadline(struct timespec *deadline, uint64_t milliseconds)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += (time_t)(milliseconds / 1000);
	deadline->tv_nsec += (long)(milliseconds % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}
