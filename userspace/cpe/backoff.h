/* Timing math of the CWMP client, pure so it can be tested: the TR-069
 * session retry wait (3.2.1.1: the n-th retry waits a random time between
 * m*k^(n-1) and m*k^n, n capped at 10), honouring a 503 Retry-After, and
 * the spread of periodic Informs (interval +- jitter percent), so a fleet
 * restarted at once does not inform in lock step. */
#ifndef CASCADE_CPE_BACKOFF_H
#define CASCADE_CPE_BACKOFF_H

#include <stdint.h>

struct retry_policy {
	uint64_t min_wait_ms;          /* m: CWMPRetryMinimumWaitInterval */
	unsigned int multiplier;       /* k x 1000: CWMPRetryIntervalMultiplier */
	uint64_t max_wait_ms;          /* hard cap of any wait */
};

#define RETRY_COUNT_CAP 10

/* Bounds of the wait before retry number retry_count (1 = first retry). */
void retry_wait_bounds(const struct retry_policy *policy, unsigned int retry_count, uint64_t *low_ms,
		       uint64_t *high_ms);
/* A wait within those bounds chosen by random; at least retry_after_ms
 * (from a 503) plus up to a quarter of it more, all capped at max_wait_ms. */
uint64_t retry_wait_ms(const struct retry_policy *policy, unsigned int retry_count, uint64_t retry_after_ms,
		       uint64_t random);
/* interval_ms +- jitter_percent, chosen by random; at least 1 ms. */
uint64_t periodic_wait_ms(uint64_t interval_ms, unsigned int jitter_percent, uint64_t random);
/* 64 random bits from getrandom (a weak fallback if that fails). */
uint64_t random_u64(void);

#endif
