/* Unit tests for cascade-master's admin authorization and per-address
 * cap: loopback rules (IPv4, IPv6, v4-mapped), Bearer tokens (right,
 * wrong, wrong scheme, prefix), the token file's rules, and the cap per
 * address and per IPv6 /64 with its release. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/address_limit.h"
#include "master/admin_token.h"
#include "../test_address.h"

static struct http_string header(const char *text)
{
	return (struct http_string){ text, text ? strlen(text) : 0 };
}

static void loopback_only_without_a_token(void **state)
{
	(void)state;
	assert_true(admin_request_allowed("", address("127.0.0.1"), header(NULL)));
	assert_true(admin_request_allowed("", address("127.8.9.10"), header(NULL)));
	assert_true(admin_request_allowed("", address("::1"), header(NULL)));
	assert_true(admin_request_allowed("", address("::ffff:127.0.0.1"), header(NULL)));
	assert_false(admin_request_allowed("", address("10.0.0.1"), header(NULL)));
	assert_false(admin_request_allowed("", address("::ffff:10.0.0.1"), header(NULL)));
	assert_false(admin_request_allowed("", address("2001:db8::1"), header(NULL)));
	assert_false(admin_request_allowed("", address("128.0.0.1"), header("Bearer anything")));
}

static void the_token_is_needed_from_everywhere(void **state)
{
	const char *token = "0123456789abcdef-token";

	(void)state;
	assert_true(admin_request_allowed(token, address("10.0.0.1"), header("Bearer 0123456789abcdef-token")));
	assert_true(admin_request_allowed(token, address("127.0.0.1"), header("bearer 0123456789abcdef-token")));
	assert_false(admin_request_allowed(token, address("127.0.0.1"), header(NULL)));
	assert_false(admin_request_allowed(token, address("127.0.0.1"), header("Bearer 0123456789abcdef-tokeN")));
	assert_false(admin_request_allowed(token, address("127.0.0.1"), header("Bearer 0123456789abcdef-toke")));
	assert_false(admin_request_allowed(token, address("127.0.0.1"), header("Bearer 0123456789abcdef-token2")));
	assert_false(admin_request_allowed(token, address("127.0.0.1"), header("Basic 0123456789abcdef-token")));
	assert_false(admin_request_allowed(token, address("127.0.0.1"), header("0123456789abcdef-token")));
}

static void token_files(void **state)
{
	char path[] = "/tmp/cascade-unit-admin.XXXXXX", token[ADMIN_TOKEN_MAX + 1];
	int fd = mkstemp(path);
	FILE *file;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	file = fopen(path, "w");
	fputs("  0123456789abcdef-token \n\n", file);
	fclose(file);
	assert_int_equal(admin_token_load(path, token), 0);
	assert_string_equal(token, "0123456789abcdef-token");
	file = fopen(path, "w");
	fputs("short\n", file);
	fclose(file);
	assert_true(admin_token_load(path, token) < 0);
	file = fopen(path, "w");
	fputs("0123456789 abcdef-token\n", file);
	fclose(file);
	assert_true(admin_token_load(path, token) < 0);
	unlink(path);
	assert_true(admin_token_load(path, token) < 0);
}

static void the_cap_holds_per_address(void **state)
{
	struct address_limit limits;

	(void)state;
	assert_int_equal(address_limit_init(&limits, 3), 0);
	for (int i = 0; i < 3; i++)
		assert_true(address_limit_acquire(&limits, address("192.0.2.1")));
	assert_false(address_limit_acquire(&limits, address("192.0.2.1")));
	assert_false(address_limit_acquire(&limits, address("::ffff:192.0.2.1")));
	address_limit_release(&limits, address("192.0.2.1"));
	assert_true(address_limit_acquire(&limits, address("192.0.2.1")));
	for (int i = 0; i < 3; i++) /* empty again: nothing shares a counter with what follows */
		address_limit_release(&limits, address("192.0.2.1"));
	/* One IPv6 /64 is one subscriber. */
	for (int i = 0; i < 3; i++)
		assert_true(address_limit_acquire(&limits, address(i == 0 ? "2001:db8:0:1::1" : "2001:db8:0:1::99")));
	assert_false(address_limit_acquire(&limits, address("2001:db8:0:1:ffff::7")));
	address_limit_destroy(&limits);
	assert_int_equal(address_limit_init(&limits, 0), 0);
	for (int i = 0; i < 100; i++)
		assert_true(address_limit_acquire(&limits, address("192.0.2.1")));
	address_limit_destroy(&limits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopback_only_without_a_token),
		cmocka_unit_test(the_token_is_needed_from_everywhere),
		cmocka_unit_test(token_files),
		cmocka_unit_test(the_cap_holds_per_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
