/* Unit tests for cascade-cpe's piece checking (cpe/download_pieces.c): the
 * list's URL next to an image URL, the name of a source, the checker fed
 * in odd chunks (a bad piece caught exactly when its last byte arrives,
 * never before, never a later one), resuming mid-piece and re-checking
 * what is on disk, and a list taken from the local copy only when its
 * digest is the one the controller gave. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "cpe/download_pieces.h"
#include "cpe/faults.h"

#define PIECE 4096u
#define SIZE  (6 * PIECE + 777)   /* six whole pieces and a short last one */

struct fixture {
	uint8_t image[SIZE];
	struct image_pieces pieces;
	char *list;
	size_t list_length;
	char folder[64];
	char path[128];   /* the partial file */
};

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	char path[128];
	int fd;

	assert_non_null(fixture);
	for (size_t i = 0; i < SIZE; i++)
		fixture->image[i] = (uint8_t)(i * 29 + i / 13);
	snprintf(fixture->folder, sizeof(fixture->folder), "/tmp/cpe-unit-pieces.XXXXXX");
	assert_non_null(mkdtemp(fixture->folder));
	snprintf(path, sizeof(path), "%s/whole", fixture->folder);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fixture->image, SIZE), SIZE);
	assert_int_equal(image_pieces_from_fd(fd, PIECE, &fixture->pieces), 0);
	assert_int_equal(image_pieces_format(&fixture->pieces, &fixture->list, &fixture->list_length), 0);
	close(fd);
	unlink(path);
	snprintf(fixture->path, sizeof(fixture->path), "%s/partial", fixture->folder);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;
	char command[160];

	image_pieces_free(&fixture->pieces);
	free(fixture->list);
	snprintf(command, sizeof(command), "rm -rf %s", fixture->folder);
	assert_int_equal(system(command), 0);
	free(fixture);
	return 0;
}

/* The partial file holds bytes [0, length) of the image (one flipped at corrupt, if >= 0). */
static int partial_file(struct fixture *fixture, size_t length, long corrupt)
{
	uint8_t copy[SIZE];
	int fd = open(fixture->path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	memcpy(copy, fixture->image, SIZE);
	if (corrupt >= 0)
		copy[corrupt] ^= 0x80;
	assert_int_equal(write(fd, copy, length), (ssize_t)length);
	return fd;
}

static void test_list_url_next_to_the_image(void **state)
{
	char out[256], name[128];

	(void)state;
	assert_int_equal(download_pieces_url("http://10.0.0.1:8080/images/fw.bin?group=7", out, sizeof(out)), 0);
	assert_string_equal(out, "http://10.0.0.1:8080/pieces/fw.bin?group=7");
	assert_int_equal(download_pieces_url("https://o.example/a/images/b/images/fw.bin", out, sizeof(out)), 0);
	assert_string_equal(out, "https://o.example/a/images/b/pieces/fw.bin");
	assert_int_equal(download_pieces_url("http://h/images/", out, sizeof(out)), -ENOENT);
	assert_int_equal(download_pieces_url("http://h/images/a/b", out, sizeof(out)), -ENOENT);
	assert_int_equal(download_pieces_url("http://h/files/fw.bin", out, sizeof(out)), -ENOENT);
	assert_int_equal(download_pieces_url("http://h/x?u=/images/fw.bin", out, sizeof(out)), -ENOENT);
	assert_int_equal(download_pieces_url("http://h/images/fw.bin", out, 10), -ENAMETOOLONG);
	download_source_name("http://10.0.0.1:8080/images/fw.bin?group=7", name, sizeof(name));
	assert_string_equal(name, "http://10.0.0.1:8080");
	download_source_name("https://origin.example?x", name, sizeof(name));
	assert_string_equal(name, "https://origin.example");
}

static void test_good_image_in_odd_chunks(void **state)
{
	struct fixture *fixture = *state;
	struct piece_checker checker;
	uint64_t position = 0;
	uint32_t bad = 99;
	int fd = partial_file(fixture, 0, -1);

	assert_int_equal(piece_checker_start(&checker, &fixture->pieces, fd, 0, &position), 0);
	for (size_t at = 0; at < SIZE;) {
		size_t chunk = at + 1000 < SIZE ? 1000 : SIZE - at;

		assert_int_equal(piece_checker_feed(&checker, fixture->image + at, chunk, &bad), 0);
		at += chunk;
		/* Only whole pieces count as verified. */
		assert_int_equal(piece_checker_verified_bytes(&checker), at == SIZE ? SIZE : at - at % PIECE);
	}
	assert_int_equal(checker.verified_pieces, 7);
	assert_int_equal(bad, 99);
	/* Nothing may follow the image. */
	assert_int_equal(piece_checker_feed(&checker, fixture->image, 1, &bad), -EFBIG);
	piece_checker_free(&checker);
	close(fd);
}

static void test_bad_piece_caught_at_its_last_byte(void **state)
{
	struct fixture *fixture = *state;
	struct piece_checker checker;
	uint8_t corrupt[SIZE];
	uint64_t position = 0;
	uint32_t bad = 99;
	int fd = partial_file(fixture, 0, -1);

	memcpy(corrupt, fixture->image, SIZE);
	corrupt[3 * PIECE + 5] ^= 1;
	assert_int_equal(piece_checker_start(&checker, &fixture->pieces, fd, 0, &position), 0);
	/* Everything up to the bad piece's last byte is accepted... */
	assert_int_equal(piece_checker_feed(&checker, corrupt, 4 * PIECE - 1, &bad), 0);
	assert_int_equal(piece_checker_verified_bytes(&checker), 3 * PIECE);
	/* ... and that byte (with the next piece's first ones) reveals it. */
	assert_int_equal(piece_checker_feed(&checker, corrupt + 4 * PIECE - 1, 100, &bad), -EBADMSG);
	assert_int_equal(bad, 3);
	piece_checker_free(&checker);
	close(fd);
}

static void test_resume_mid_piece_from_disk(void **state)
{
	struct fixture *fixture = *state;
	struct piece_checker checker;
	uint64_t position = 2 * PIECE + 100;
	uint32_t bad = 99;
	int fd = partial_file(fixture, 2 * PIECE + 100, -1);

	/* Nothing trusted: both whole pieces are read back and checked. */
	assert_int_equal(piece_checker_start(&checker, &fixture->pieces, fd, 0, &position), 0);
	assert_int_equal(position, 2 * PIECE + 100);
	assert_int_equal(checker.verified_pieces, 2);
	assert_int_equal(piece_checker_feed(&checker, fixture->image + position, SIZE - position, &bad), 0);
	assert_int_equal(piece_checker_verified_bytes(&checker), SIZE);
	piece_checker_free(&checker);
	close(fd);
}

static void test_bad_piece_on_disk_is_cut_back(void **state)
{
	struct fixture *fixture = *state;
	struct piece_checker checker;
	uint64_t position = 4 * PIECE + 10;
	int fd = partial_file(fixture, 4 * PIECE + 10, PIECE + 7);

	assert_int_equal(piece_checker_start(&checker, &fixture->pieces, fd, 0, &position), 0);
	assert_int_equal(position, PIECE);
	piece_checker_free(&checker);
	/* Trusted bytes are not read again (the bad byte is in them). */
	position = 4 * PIECE + 10;
	assert_int_equal(piece_checker_start(&checker, &fixture->pieces, fd, 2 * PIECE, &position), 0);
	assert_int_equal(position, 4 * PIECE + 10);
	assert_int_equal(checker.verified_pieces, 2);
	piece_checker_free(&checker);
	close(fd);
}

static void test_file_shorter_than_recorded(void **state)
{
	struct fixture *fixture = *state;
	struct piece_checker checker;
	uint64_t position = 3 * PIECE + 50;   /* the record says more than the file holds */
	int fd = partial_file(fixture, 3 * PIECE + 10, -1);

	assert_int_equal(piece_checker_start(&checker, &fixture->pieces, fd, 0, &position), 0);
	assert_int_equal(position, 3 * PIECE);
	piece_checker_free(&checker);
	close(fd);
}

static void test_list_from_the_local_copy_only_when_it_matches(void **state)
{
	struct fixture *fixture = *state;
	struct fetch_options options = { .stall_ms = 1000, .connect_timeout_ms = 1000 };
	struct download_request request = { .file_size = SIZE };
	struct image_pieces pieces;
	uint8_t digest[SHA256_DIGEST_BYTES];
	char cache[160], why[300] = "";
	char *text = NULL;
	size_t length = 0;

	snprintf(cache, sizeof(cache), "%s/KEY.pieces", fixture->folder);
	snprintf(request.command_key, sizeof(request.command_key), "k");
	/* Nobody listens on port 1: only the local copy can answer. */
	snprintf(request.url, sizeof(request.url), "http://127.0.0.1:1/images/fw.bin");
	assert_int_equal(sha256_buffer(fixture->list, fixture->list_length, digest), 0);
	sha256_to_hex(digest, request.pieces_sha256);
	sha256_to_hex(fixture->pieces.sha256, request.sha256);
	assert_int_equal(atomic_write_file(cache, fixture->list, fixture->list_length, 0600), 0);
	assert_int_equal(download_pieces_get(&request, &options, cache, &pieces, &text, &length, why, sizeof(why)), 0);
	assert_int_equal(pieces.count, 7);
	assert_int_equal(length, fixture->list_length);
	assert_memory_equal(text, fixture->list, length);
	image_pieces_free(&pieces);
	free(text);
	/* Another digest: the copy is not used, and the source is asked. */
	request.pieces_sha256[0] = request.pieces_sha256[0] == '0' ? '1' : '0';
	assert_int_equal(download_pieces_get(&request, &options, cache, &pieces, NULL, NULL, why, sizeof(why)),
			 FAULT_CANNOT_CONTACT_SERVER);
	/* A URL that is not .../images/NAME has no list: checked at the end. */
	snprintf(request.url, sizeof(request.url), "http://127.0.0.1:1/fw.bin");
	assert_int_equal(download_pieces_get(&request, &options, cache, &pieces, NULL, NULL, why, sizeof(why)), -ENOENT);
	/* The right digest but another image's size or hash: not used either. */
	snprintf(request.url, sizeof(request.url), "http://127.0.0.1:1/images/fw.bin");
	sha256_to_hex(digest, request.pieces_sha256);
	request.file_size = SIZE + 1;
	assert_int_equal(download_pieces_get(&request, &options, cache, &pieces, NULL, NULL, why, sizeof(why)),
			 FAULT_CANNOT_CONTACT_SERVER);
	request.file_size = SIZE;
	request.sha256[0] = request.sha256[0] == '0' ? '1' : '0';
	assert_int_equal(download_pieces_get(&request, &options, cache, &pieces, NULL, NULL, why, sizeof(why)),
			 FAULT_CANNOT_CONTACT_SERVER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_url_next_to_the_image),
		cmocka_unit_test_setup_teardown(test_good_image_in_odd_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_piece_caught_at_its_last_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_mid_piece_from_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_piece_on_disk_is_cut_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_shorter_than_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_from_the_local_copy_only_when_it_matches, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
