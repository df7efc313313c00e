/* Unit tests for the per-address failed-login limit: blocking after the
 * last allowed failure, Retry-After, the end of the block, addresses that
 * do not share a count, IPv6 counted per /64, the table staying bounded
 * under many addresses, and the limit switched off. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "common/login_limit.h"
#include "../test_address.h"

#define ADDRESS(text) address(text)

static void blocks_after_the_last_allowed_failure(void **state)
{
	struct login_limit limit;
	unsigned int retry = 0;

	(void)state;
	assert_int_equal(login_limit_init(&limit, 3, 60000), 0);
	assert_false(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 1000));
	assert_false(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 2000));
	assert_false(login_limit_blocked(&limit, ADDRESS("192.0.2.1"), 2500, &retry));
	assert_true(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 3000));
	assert_true(login_limit_blocked(&limit, ADDRESS("192.0.2.1"), 3000, &retry));
	assert_int_equal(retry, 60);
	assert_true(login_limit_blocked(&limit, ADDRESS("192.0.2.1"), 62500, &retry));
	assert_int_equal(retry, 1);
	assert_false(login_limit_blocked(&limit, ADDRESS("192.0.2.1"), 63000, &retry));
	assert_int_equal(limit.blocked_total, 1);
	assert_int_equal(limit.refused_total, 2);
	login_limit_destroy(&limit);
}

static void failures_outside_the_window_do_not_add_up(void **state)
{
	struct login_limit limit;

	(void)state;
	assert_int_equal(login_limit_init(&limit, 2, 1000), 0);
	assert_false(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 0));
	assert_false(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 1500));
	assert_false(login_limit_blocked(&limit, ADDRESS("192.0.2.1"), 1600, NULL));
	assert_true(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 1700));
	login_limit_destroy(&limit);
}

static void addresses_are_counted_apart(void **state)
{
	struct login_limit limit;

	(void)state;
	assert_int_equal(login_limit_init(&limit, 2, 60000), 0);
	login_limit_failed(&limit, ADDRESS("192.0.2.1"), 10);
	assert_true(login_limit_failed(&limit, ADDRESS("192.0.2.1"), 20));
	assert_false(login_limit_blocked(&limit, ADDRESS("192.0.2.2"), 30, NULL));
	assert_false(login_limit_failed(&limit, ADDRESS("192.0.2.2"), 30));
	/* One IPv6 subscriber (/64) is one address; another /64 is not. */
	login_limit_failed(&limit, ADDRESS("2001:db8:1:2::1"), 40);
	assert_true(login_limit_failed(&limit, ADDRESS("2001:db8:1:2:ffff::9"), 50));
	assert_true(login_limit_blocked(&limit, ADDRESS("2001:db8:1:2::77"), 60, NULL));
	assert_false(login_limit_blocked(&limit, ADDRESS("2001:db8:1:3::1"), 60, NULL));
	/* v4-mapped IPv6 is the IPv4 address. */
	assert_true(login_limit_blocked(&limit, ADDRESS("::ffff:192.0.2.1"), 70, NULL));
	login_limit_destroy(&limit);
}

static void many_addresses_stay_bounded(void **state)
{
	struct login_limit limit;
	char text[32];

	(void)state;
	assert_int_equal(login_limit_init(&limit, 2, 60000), 0);
	login_limit_failed(&limit, ADDRESS("198.51.100.7"), 1);
	assert_true(login_limit_failed(&limit, ADDRESS("198.51.100.7"), 2));
	for (int i = 0; i < 100000; i++) {
		snprintf(text, sizeof(text), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		login_limit_failed(&limit, ADDRESS(text), 1000);
	}
	/* The table is fixed: old entries may be forgotten, nothing grows. */
	assert_true(limit.blocked_total <= 1 + 100000);
	login_limit_destroy(&limit);
}

static void zero_turns_it_off(void **state)
{
	struct login_limit limit;

	(void)state;
	assert_int_equal(login_limit_init(&limit, 0, 60000), 0);
	for (int i = 0; i < 100; i++)
		assert_false(login_limit_failed(&limit, ADDRESS("192.0.2.1"), (uint64_t)i));
	assert_false(login_limit_blocked(&limit, ADDRESS("192.0.2.1"), 100, NULL));
	login_limit_destroy(&limit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_after_the_last_allowed_failure),
		cmocka_unit_test(failures_outside_the_window_do_not_add_up),
		cmocka_unit_test(addresses_are_counted_apart),
		cmocka_unit_test(many_addresses_stay_bounded),
		cmocka_unit_test(zero_turns_it_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
