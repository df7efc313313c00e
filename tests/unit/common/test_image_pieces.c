/* Unit tests for image piece lists: computed from a file, each piece checked,
 * the text form round-trips and its digest is what sha256sum gives, and the
 * parser refuses every malformed shape. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/image_pieces.h"

#define PIECE 4096u

/* A temporary file of size bytes with a known pattern; returns its fd. */
static int pattern_file(size_t size, uint8_t **content)
{
	char path[] = "/tmp/cascade-pieces-XXXXXX";
	int fd = mkstemp(path);
	uint8_t *data = malloc(size ? size : 1);

	assert_true(fd >= 0);
	assert_non_null(data);
	unlink(path);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 131 + i / 7);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	*content = data;
	return fd;
}

static void test_counts_and_lengths(void **state)
{
	struct image_pieces pieces = { .size = 3 * PIECE + 10, .piece_size = PIECE };

	(void)state;
	assert_int_equal(image_pieces_count_for(0, PIECE), 0);
	assert_int_equal(image_pieces_count_for(1, PIECE), 1);
	assert_int_equal(image_pieces_count_for(PIECE, PIECE), 1);
	assert_int_equal(image_pieces_count_for(PIECE + 1, PIECE), 2);
	pieces.count = image_pieces_count_for(pieces.size, PIECE);
	assert_int_equal(pieces.count, 4);
	assert_int_equal(image_pieces_offset(&pieces, 3), 3 * PIECE);
	assert_int_equal(image_pieces_length(&pieces, 0), PIECE);
	assert_int_equal(image_pieces_length(&pieces, 3), 10);
	assert_int_equal(image_pieces_length(&pieces, 4), 0);
}

static void test_from_file_and_check(void **state)
{
	struct image_pieces pieces;
	uint8_t whole[SHA256_DIGEST_BYTES];
	size_t size = 5 * PIECE + 123;
	uint8_t *content;
	int fd = pattern_file(size, &content);

	(void)state;
	assert_int_equal(image_pieces_from_fd(fd, PIECE, &pieces), 0);
	assert_int_equal(pieces.count, 6);
	assert_int_equal(pieces.size, size);
	assert_int_equal(sha256_buffer(content, size, whole), 0);
	assert_memory_equal(pieces.sha256, whole, sizeof(whole));
	for (uint32_t i = 0; i < pieces.count; i++)
		assert_int_equal(image_pieces_check(&pieces, i, content + image_pieces_offset(&pieces, i),
						    image_pieces_length(&pieces, i)), 0);
	/* One flipped byte fails its own piece and no other. */
	content[2 * PIECE + 5] ^= 1;
	assert_int_equal(image_pieces_check(&pieces, 2, content + 2 * PIECE, PIECE), -EBADMSG);
	assert_int_equal(image_pieces_check(&pieces, 1, content + PIECE, PIECE), 0);
	/* Wrong length or index is refused, not hashed. */
	assert_int_equal(image_pieces_check(&pieces, 5, content + 5 * PIECE, PIECE), -EINVAL);
	assert_int_equal(image_pieces_check(&pieces, 6, content, 1), -EINVAL);
	assert_int_equal(image_pieces_from_fd(fd, 100, &pieces), -EINVAL);
	image_pieces_free(&pieces);
	free(content);
	close(fd);
}

static void test_text_round_trip_and_digest(void **state)
{
	struct image_pieces pieces, parsed;
	uint8_t listed[SHA256_DIGEST_BYTES], of_text[SHA256_DIGEST_BYTES];
	char why[128];
	uint8_t *content;
	char *text;
	size_t length;
	int fd = pattern_file(2 * PIECE + 1, &content);

	(void)state;
	assert_int_equal(image_pieces_from_fd(fd, PIECE, &pieces), 0);
	assert_int_equal(image_pieces_format(&pieces, &text, &length), 0);
	assert_int_equal(strlen(text), length);
	assert_int_equal(strncmp(text, "cascade-pieces-v1\nsize=8193\npiece_size=4096\nsha256=", 51), 0);
	assert_int_equal(image_pieces_parse(text, length, &parsed, why, sizeof(why)), 0);
	assert_int_equal(parsed.count, 3);
	assert_memory_equal(parsed.piece_sha256, pieces.piece_sha256, 3 * SHA256_DIGEST_BYTES);
	assert_memory_equal(parsed.sha256, pieces.sha256, SHA256_DIGEST_BYTES);
	assert_int_equal(image_pieces_digest(&parsed, listed), 0);
	assert_int_equal(sha256_buffer(text, length, of_text), 0);
	assert_memory_equal(listed, of_text, SHA256_DIGEST_BYTES);
	image_pieces_free(&parsed);
	image_pieces_free(&pieces);
	free(text);
	free(content);
	close(fd);
}

static void assert_refused(const char *text, const char *reason_part)
{
	struct image_pieces pieces;
	char why[128] = "";

	assert_int_equal(image_pieces_parse(text, strlen(text), &pieces, why, sizeof(why)), -EBADMSG);
	assert_non_null(strstr(why, reason_part));
	assert_null(pieces.piece_sha256);
}

static void test_parser_refuses_malformed_lists(void **state)
{
	const char *zero = "0000000000000000000000000000000000000000000000000000000000000000";
	char text[1024];

	(void)state;
	assert_refused("", "not a cascade-pieces-v1");
	assert_refused("cascade-pieces-v2\n", "not a cascade-pieces-v1");
	assert_refused("cascade-pieces-v1\nsize=-1\n", "bad size");
	assert_refused("cascade-pieces-v1\nsize=01\n", "bad size");
	assert_refused("cascade-pieces-v1\nsize=99999999999999999999999\n", "bad size");
	snprintf(text, sizeof(text), "cascade-pieces-v1\nsize=10\npiece_size=4096\nsha256=%s\n", zero);
	assert_refused(text, "piece count");                      /* one piece line missing */
	snprintf(text, sizeof(text), "cascade-pieces-v1\nsize=10\npiece_size=10\nsha256=%s\n%s\n", zero, zero);
	assert_refused(text, "piece_size out of bounds");
	snprintf(text, sizeof(text), "cascade-pieces-v1\nsize=10\npiece_size=4096\nsha256=%.63sX\n%s\n", zero, zero);
	assert_refused(text, "bad sha256");
	snprintf(text, sizeof(text), "cascade-pieces-v1\nsize=10\npiece_size=4096\nsha256=%s\n%.63sA\n", zero, zero);
	assert_refused(text, "bad piece line");                   /* uppercase hex */
	snprintf(text, sizeof(text), "cascade-pieces-v1\nsize=10\npiece_size=4096\nsha256=%s\n%s\n\n", zero, zero);
	assert_refused(text, "piece count");                      /* trailing bytes */
	snprintf(text, sizeof(text), "cascade-pieces-v1\nsize=1099511627777\npiece_size=4096\nsha256=%s\n", zero);
	assert_refused(text, "too many pieces");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_lengths),
		cmocka_unit_test(test_from_file_and_check),
		cmocka_unit_test(test_text_round_trip_and_digest),
		cmocka_unit_test(test_parser_refuses_malformed_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
