/* Unit tests for userspace/common/parse.c: sizes, durations, booleans,
 * integers, socket addresses and IPv4 prefixes, including the inputs that
 * must fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "common/parse.h"

static void test_sizes(void **state)
{
	uint64_t bytes = 7;

	(void)state;
	assert_int_equal(parse_size("0", &bytes), 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(parse_size("64M", &bytes), 0);
	assert_int_equal(bytes, 64ull << 20);
	assert_int_equal(parse_size("8KiB", &bytes), 0);
	assert_int_equal(bytes, 8192);
	assert_int_equal(parse_size("2g", &bytes), 0);
	assert_int_equal(bytes, 2ull << 30);
	bytes = 7;
	assert_int_equal(parse_size("", &bytes), -EINVAL);
	assert_int_equal(parse_size("-1", &bytes), -EINVAL);
	assert_int_equal(parse_size("12Q", &bytes), -EINVAL);
	assert_int_equal(parse_size("99999999999999999999", &bytes), -EINVAL);
	assert_int_equal(parse_size("17179869184T", &bytes), -EINVAL);
	assert_int_equal(bytes, 7);
}

static void test_durations(void **state)
{
	uint64_t milliseconds = 3;

	(void)state;
	assert_int_equal(parse_duration_ms("30", &milliseconds), 0);
	assert_int_equal(milliseconds, 30000);
	assert_int_equal(parse_duration_ms("250ms", &milliseconds), 0);
	assert_int_equal(milliseconds, 250);
	assert_int_equal(parse_duration_ms("5m", &milliseconds), 0);
	assert_int_equal(milliseconds, 300000);
	assert_int_equal(parse_duration_ms("1h", &milliseconds), 0);
	assert_int_equal(milliseconds, 3600000);
	milliseconds = 3;
	assert_int_equal(parse_duration_ms("1d", &milliseconds), -EINVAL);
	assert_int_equal(parse_duration_ms("s", &milliseconds), -EINVAL);
	assert_int_equal(parse_duration_ms(" 5s", &milliseconds), -EINVAL);
	assert_int_equal(milliseconds, 3);
}

static void test_booleans_and_integers(void **state)
{
	bool value = false;
	long long number = 5;

	(void)state;
	assert_int_equal(parse_bool("Yes", &value), 0);
	assert_true(value);
	assert_int_equal(parse_bool("off", &value), 0);
	assert_false(value);
	assert_int_equal(parse_bool("maybe", &value), -EINVAL);
	assert_int_equal(parse_integer("42", 0, 100, &number), 0);
	assert_int_equal(number, 42);
	assert_int_equal(parse_integer("101", 0, 100, &number), -EINVAL);
	assert_int_equal(parse_integer("4x", 0, 100, &number), -EINVAL);
	assert_int_equal(parse_integer("", 0, 100, &number), -EINVAL);
	assert_int_equal(number, 42);
}

static void test_socket_addresses(void **state)
{
	struct sockaddr_storage address;
	socklen_t length = 0;
	char text[64];

	(void)state;
	assert_int_equal(parse_socket_address("127.0.0.1:8080", &address, &length), 0);
	assert_int_equal(address.ss_family, AF_INET);
	assert_int_equal(length, sizeof(struct sockaddr_in));
	format_socket_address((struct sockaddr *)&address, text, sizeof(text));
	assert_string_equal(text, "127.0.0.1:8080");
	format_socket_host((struct sockaddr *)&address, text, sizeof(text));
	assert_string_equal(text, "127.0.0.1");

	assert_int_equal(parse_socket_address("[::1]:7547", &address, &length), 0);
	assert_int_equal(address.ss_family, AF_INET6);
	format_socket_address((struct sockaddr *)&address, text, sizeof(text));
	assert_string_equal(text, "[::1]:7547");
	format_socket_host((struct sockaddr *)&address, text, sizeof(text));
	assert_string_equal(text, "[::1]");

	assert_int_equal(parse_socket_address("127.0.0.1", &address, &length), -EINVAL);
	assert_int_equal(parse_socket_address("127.0.0.1:65536", &address, &length), -EINVAL);
	assert_int_equal(parse_socket_address("localhost:80", &address, &length), -EINVAL);
	assert_int_equal(parse_socket_address("::1:80", &address, &length), -EINVAL);
	assert_int_equal(parse_socket_address("[::1:80", &address, &length), -EINVAL);
	assert_int_equal(parse_socket_address(":80", &address, &length), -EINVAL);
}

static void test_ipv4_prefixes(void **state)
{
	uint32_t base = 7;
	unsigned int bits = 7;

	(void)state;
	assert_int_equal(parse_ipv4_prefix("127.64.0.0/10", 8, 30, &base, &bits), 0);
	assert_int_equal(base, 0x7f400000u);
	assert_int_equal(bits, 10);
	/* host bits are cleared */
	assert_int_equal(parse_ipv4_prefix("10.1.2.3/24", 8, 30, &base, &bits), 0);
	assert_int_equal(base, 0x0a010200u);
	assert_int_equal(bits, 24);
	assert_int_equal(parse_ipv4_prefix("10.1.2.3/32", 0, 32, &base, &bits), 0);
	assert_int_equal(base, 0x0a010203u);
	assert_int_equal(parse_ipv4_prefix("10.1.2.3/0", 0, 32, &base, &bits), 0);
	assert_int_equal(base, 0);
	assert_int_equal(bits, 0);

	base = 7;
	bits = 7;
	assert_int_equal(parse_ipv4_prefix("10.0.0.0/7", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("10.0.0.0/31", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("10.0.0.0", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("10.0.0.0/", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("10.0.0.0/16x", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("10.0.0/16", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("::1/64", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("255.255.255.255255/16", 8, 30, &base, &bits), -EINVAL);
	assert_int_equal(parse_ipv4_prefix("10.0.0.0/16", 8, 33, &base, &bits), -EINVAL);
	assert_int_equal(base, 7);
	assert_int_equal(bits, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_booleans_and_integers),
		cmocka_unit_test(test_socket_addresses),
		cmocka_unit_test(test_ipv4_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
