/* Unit tests for SHA-256 helpers (known vectors, streaming equals one-shot,
 * hex round trip) and the atomic file write/read pair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/sha256.h"

static void test_known_vectors(void **state)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1];

	(void)state;
	assert_int_equal(sha256_buffer("", 0, digest), 0);
	sha256_to_hex(digest, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(sha256_buffer("abc", 3, digest), 0);
	sha256_to_hex(digest, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_stream_equals_buffer(void **state)
{
	uint8_t whole[SHA256_DIGEST_BYTES];
	uint8_t streamed[SHA256_DIGEST_BYTES];
	char data[10000];
	struct sha256_stream *stream = sha256_stream_new();

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 31 + 7);
	assert_non_null(stream);
	for (size_t offset = 0; offset < sizeof(data); offset += 777) {
		size_t length = sizeof(data) - offset < 777 ? sizeof(data) - offset : 777;

		assert_int_equal(sha256_stream_update(stream, data + offset, length), 0);
	}
	assert_int_equal(sha256_stream_finish(stream, streamed), 0);
	assert_int_equal(sha256_buffer(data, sizeof(data), whole), 0);
	assert_memory_equal(whole, streamed, SHA256_DIGEST_BYTES);
}

static void test_hex_round_trip(void **state)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	uint8_t parsed[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1];

	(void)state;
	sha256_buffer("cascade", 7, digest);
	sha256_to_hex(digest, hex);
	assert_int_equal(sha256_from_hex(hex, parsed), 0);
	assert_memory_equal(digest, parsed, sizeof(digest));
	hex[5] = 'g';
	assert_int_equal(sha256_from_hex(hex, parsed), -EINVAL);
	assert_int_equal(sha256_from_hex("abcd", parsed), -EINVAL);
}

static void test_atomic_write_then_read(void **state)
{
	char folder[] = "/tmp/cascade-test-XXXXXX";
	char path[256];
	char *data = NULL;
	size_t length = 0;
	uint8_t from_file[SHA256_DIGEST_BYTES];
	uint8_t from_buffer[SHA256_DIGEST_BYTES];
	uint64_t size = 0;

	(void)state;
	assert_non_null(mkdtemp(folder));
	snprintf(path, sizeof(path), "%s/state", folder);
	assert_int_equal(atomic_write_file(path, "first", 5, 0600), 0);
	assert_int_equal(atomic_write_file(path, "second value", 12, 0600), 0);
	assert_int_equal(read_whole_file(path, 1024, &data, &length), 0);
	assert_int_equal(length, 12);
	assert_string_equal(data, "second value");
	free(data);
	assert_int_equal(read_whole_file(path, 4, &data, &length), -EFBIG);
	assert_int_equal(sha256_file(path, from_file, &size), 0);
	assert_int_equal(size, 12);
	sha256_buffer("second value", 12, from_buffer);
	assert_memory_equal(from_file, from_buffer, SHA256_DIGEST_BYTES);
	assert_int_equal(read_whole_file(folder, 1024, &data, &length), -EINVAL);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(read_whole_file(path, 1024, &data, &length), -ENOENT);
	assert_int_equal(rmdir(folder), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_vectors),
		cmocka_unit_test(test_stream_equals_buffer),
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_atomic_write_then_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
