/* Unit tests for cascade-cpe's timing math and small policies: the TR-069
 * retry intervals (bounds, growth, cap at the 10th retry, Retry-After),
 * periodic jitter, the connection-request token bucket, and the Inform
 * event set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cpe/backoff.h"
#include "cpe/events.h"
#include "cpe/rate_limit.h"

static const struct retry_policy tr069_defaults = { 5000, 2000, 0 };

static void test_retry_bounds_follow_tr069(void **state)
{
	uint64_t low, high;

	(void)state;
	retry_wait_bounds(&tr069_defaults, 1, &low, &high);
	assert_int_equal(low, 5000);
	assert_int_equal(high, 10000);
	retry_wait_bounds(&tr069_defaults, 2, &low, &high);
	assert_int_equal(low, 10000);
	assert_int_equal(high, 20000);
	retry_wait_bounds(&tr069_defaults, 10, &low, &high);
	assert_int_equal(low, 2560000);
	assert_int_equal(high, 5120000);
	retry_wait_bounds(&tr069_defaults, 50, &low, &high); /* n is capped at 10 */
	assert_int_equal(low, 2560000);
	assert_int_equal(high, 5120000);
	retry_wait_bounds(&(struct retry_policy){ 5000, 1500, 0 }, 3, &low, &high);
	assert_int_equal(low, 11250);
	assert_int_equal(high, 16875);
}

static void test_retry_wait_within_bounds_and_spread(void **state)
{
	uint64_t low, high, smallest = UINT64_MAX, largest = 0, random = 0x9e3779b97f4a7c15ull;

	(void)state;
	retry_wait_bounds(&tr069_defaults, 3, &low, &high);
	for (int i = 0; i < 2000; i++) {
		uint64_t wait;

		random = random * 6364136223846793005ull + 1442695040888963407ull;
		wait = retry_wait_ms(&tr069_defaults, 3, 0, random);
		assert_true(wait >= low && wait <= high);
		smallest = wait < smallest ? wait : smallest;
		largest = wait > largest ? wait : largest;
	}
	/* Jitter really spreads devices over the interval. */
	assert_true(smallest < low + (high - low) / 10);
	assert_true(largest > high - (high - low) / 10);
}

static void test_retry_after_and_cap(void **state)
{
	struct retry_policy capped = { 5000, 2000, 60000 };
	uint64_t wait;

	(void)state;
	for (uint64_t random = 0; random < 5000; random += 37) {
		wait = retry_wait_ms(&tr069_defaults, 1, 120000, random * 2654435761u);
		assert_true(wait >= 120000 && wait <= 150000);
		wait = retry_wait_ms(&capped, 9, 0, random * 2654435761u);
		assert_int_equal(wait, 60000);
	}
	/* A Retry-After shorter than the back-off does not shorten it. */
	wait = retry_wait_ms(&tr069_defaults, 2, 1000, 0);
	assert_int_equal(wait, 10000);
}

static void test_periodic_jitter(void **state)
{
	uint64_t smallest = UINT64_MAX, largest = 0;

	(void)state;
	assert_int_equal(periodic_wait_ms(300000, 0, 12345), 300000);
	for (uint64_t random = 1; random < 100000; random += 97) {
		uint64_t wait = periodic_wait_ms(300000, 10, random * 0x9e3779b97f4a7c15ull);

		assert_true(wait >= 270000 && wait <= 330000);
		smallest = wait < smallest ? wait : smallest;
		largest = wait > largest ? wait : largest;
	}
	assert_true(smallest < 276000);
	assert_true(largest > 324000);
	assert_int_equal(periodic_wait_ms(0, 10, 5), 1);
	assert_true(random_u64() != random_u64());
}

static void test_rate_limit(void **state)
{
	struct rate_limit limit;
	uint64_t retry_after;

	(void)state;
	rate_limit_init(&limit, 3, 1000, 10000);
	assert_true(rate_limit_take(&limit, 10000, NULL));
	assert_true(rate_limit_take(&limit, 10000, NULL));
	assert_true(rate_limit_take(&limit, 10001, NULL));
	assert_false(rate_limit_take(&limit, 10002, &retry_after));
	assert_true(retry_after > 900 && retry_after <= 1000);
	assert_false(rate_limit_take(&limit, 10900, NULL));
	assert_true(rate_limit_take(&limit, 11002, NULL));  /* one token back after 1 s */
	assert_false(rate_limit_take(&limit, 11003, NULL));
	assert_true(rate_limit_take(&limit, 60000, NULL));  /* a long pause refills to the burst only */
	assert_true(rate_limit_take(&limit, 60000, NULL));
	assert_true(rate_limit_take(&limit, 60000, NULL));
	assert_false(rate_limit_take(&limit, 60000, NULL));
	rate_limit_destroy(&limit);
}

static void test_event_set(void **state)
{
	struct event_set set = { 0 }, other = { 0 };
	struct cwmp_event exported[EVENT_MAX];
	char text[256];

	(void)state;
	assert_int_equal(event_set_add(&set, EVENT_BOOT, NULL), 0);
	assert_int_equal(event_set_add(&set, EVENT_BOOT, ""), 0);
	assert_int_equal(event_set_add(&set, EVENT_M_DOWNLOAD, "k1"), 0);
	assert_int_equal(event_set_add(&set, EVENT_M_DOWNLOAD, "k2"), 0);
	assert_int_equal(event_set_add(&set, EVENT_M_DOWNLOAD, "k1"), 0);
	assert_int_equal(set.count, 3);
	event_set_add(&other, EVENT_PERIODIC, "");
	event_set_add(&other, EVENT_BOOT, "");
	event_set_merge(&set, &other);
	assert_int_equal(set.count, 4);
	assert_true(event_set_has(&set, EVENT_PERIODIC));
	assert_false(event_set_has(&set, EVENT_BOOTSTRAP));
	assert_int_equal(event_set_export(&set, exported), 4);
	assert_string_equal(exported[2].code, "M Download");
	assert_string_equal(exported[2].command_key, "k2");
	event_set_describe(&set, text, sizeof(text));
	assert_string_equal(text, "1 BOOT,M Download:k1,M Download:k2,2 PERIODIC");
	for (int i = 0; i < EVENT_MAX; i++) {
		char key[16];

		snprintf(key, sizeof(key), "x%d", i);
		event_set_add(&set, EVENT_M_DOWNLOAD, key);
	}
	assert_int_equal(set.count, EVENT_MAX);
	assert_int_equal(event_set_add(&set, EVENT_M_DOWNLOAD, "one-too-many"), -ENOSPC);
	event_set_clear(&set);
	assert_int_equal(set.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_bounds_follow_tr069),
		cmocka_unit_test(test_retry_wait_within_bounds_and_spread),
		cmocka_unit_test(test_retry_after_and_cap),
		cmocka_unit_test(test_periodic_jitter),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_event_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
