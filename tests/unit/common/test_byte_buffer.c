/* Unit tests for the growable byte buffer: appends keep a NUL after the
 * bytes, growth past the first allocation keeps every byte, the limit
 * refuses without appending, and clear keeps the memory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/byte_buffer.h"

static void test_appends_and_terminates(void **state)
{
	struct byte_buffer buffer = { 0 };

	(void)state;
	assert_int_equal(byte_buffer_append(&buffer, "<soap", 5, 100), 0);
	assert_int_equal(byte_buffer_append(&buffer, ":Envelope>", 10, 100), 0);
	assert_int_equal(buffer.length, 15);
	assert_string_equal(buffer.data, "<soap:Envelope>");
	byte_buffer_free(&buffer);
	assert_null(buffer.data);
	assert_int_equal(buffer.length, 0);
}

static void test_grows_keeping_bytes(void **state)
{
	struct byte_buffer buffer = { 0 };
	char piece[1000];

	(void)state;
	for (int i = 0; i < 20; i++) {
		memset(piece, 'a' + i, sizeof(piece));
		assert_int_equal(byte_buffer_append(&buffer, piece, sizeof(piece), 1 << 20), 0);
	}
	assert_int_equal(buffer.length, 20000);
	assert_true(buffer.capacity > buffer.length);
	for (int i = 0; i < 20; i++)
		assert_int_equal(buffer.data[i * 1000 + 999], 'a' + i);
	assert_int_equal(buffer.data[20000], '\0');
	byte_buffer_free(&buffer);
}

static void test_limit_refuses_without_appending(void **state)
{
	struct byte_buffer buffer = { 0 };
	char *before;

	(void)state;
	assert_int_equal(byte_buffer_append(&buffer, "12345678", 8, 10), 0);
	assert_int_equal(byte_buffer_append(&buffer, "abc", 3, 10), -E2BIG);
	assert_int_equal(buffer.length, 8);
	assert_string_equal(buffer.data, "12345678");
	assert_int_equal(byte_buffer_append(&buffer, "ab", 2, 10), 0); /* exactly the limit */
	assert_int_equal(byte_buffer_append(&buffer, "x", (size_t)-1, 10), -E2BIG); /* no overflow */
	before = buffer.data;
	byte_buffer_clear(&buffer);
	assert_int_equal(buffer.length, 0);
	assert_string_equal(buffer.data, "");
	assert_ptr_equal(buffer.data, before);
	byte_buffer_free(&buffer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_appends_and_terminates),
		cmocka_unit_test(test_grows_keeping_bytes),
		cmocka_unit_test(test_limit_refuses_without_appending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
