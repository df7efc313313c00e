/* Unit tests for a receiving image's state (master/receiving.c): the
 * verified prefix grows only by whole pieces that match the list, a bad
 * piece is never counted (and is counted once fixed), waiters are woken
 * exactly when something changed, a deleted file ends, and a reader's
 * wait is bounded by the timeout. Also the piece check of a file region
 * (image_pieces_check_fd) it builds on. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "master/receiving.h"

#define PIECE 4096u
#define SIZE  (5 * PIECE + 100)   /* five whole pieces and a short last one */

struct fixture {
	char path[64];
	int write_fd;   /* the agent's side */
	int read_fd;    /* the master's side */
	uint8_t image[SIZE];
	uint8_t buffer[PIECE];
	struct receiving receiving;
};

/* The list of fixture->image, rendered by the library under test's peer
 * (image_pieces_from_fd over a complete copy). */
static void make_list(struct fixture *fixture, char **text, size_t *length)
{
	char path[] = "/tmp/cascade-relay-whole-XXXXXX";
	struct image_pieces pieces;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, fixture->image, SIZE), SIZE);
	assert_int_equal(image_pieces_from_fd(fd, PIECE, &pieces), 0);
	assert_int_equal(image_pieces_format(&pieces, text, length), 0);
	image_pieces_free(&pieces);
	close(fd);
}

static int setup(void **state)
{
	struct fixture *fixture = calloc(1, sizeof(*fixture));
	char why[128] = "";
	char *list;
	size_t length;

	assert_non_null(fixture);
	for (size_t i = 0; i < SIZE; i++)
		fixture->image[i] = (uint8_t)(i * 37 + i / 11);
	snprintf(fixture->path, sizeof(fixture->path), "/tmp/cascade-relay-XXXXXX");
	fixture->write_fd = mkstemp(fixture->path);
	assert_true(fixture->write_fd >= 0);
	fixture->read_fd = open(fixture->path, O_RDONLY);
	assert_true(fixture->read_fd >= 0);
	make_list(fixture, &list, &length);
	assert_int_equal(receiving_init(&fixture->receiving, list, length, why, sizeof(why)), 0);
	free(list);
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fixture = *state;

	receiving_destroy(&fixture->receiving);
	close(fixture->write_fd);
	close(fixture->read_fd);
	unlink(fixture->path);
	free(fixture);
	return 0;
}

/* The agent writes bytes [from, to) of the image (corrupt: one byte flipped). */
static void land(struct fixture *fixture, size_t from, size_t to, bool corrupt)
{
	uint8_t copy[SIZE];

	memcpy(copy, fixture->image, SIZE);
	if (corrupt)
		copy[from + (to - from) / 2] ^= 0x5a;
	assert_int_equal(pwrite(fixture->write_fd, copy + from, to - from, (off_t)from), (ssize_t)(to - from));
}

static struct receiving_pass advance(struct fixture *fixture, uint64_t now_ms)
{
	struct receiving_pass pass;

	assert_int_equal(receiving_advance(&fixture->receiving, fixture->read_fd, fixture->buffer, 100, now_ms, &pass),
			 0);
	return pass;
}

static bool signalled(const struct relay_signal *signal)
{
	struct pollfd descriptor = { signal->fd, POLLIN, 0 };

	return poll(&descriptor, 1, 0) == 1;
}

static void test_verified_bytes_grow_by_whole_pieces(void **state)
{
	struct fixture *fixture = *state;
	struct receiving_pass pass;

	pass = advance(fixture, 1);
	assert_int_equal(pass.verified, 0);
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), 0);
	/* A piece and a half: only the whole piece counts. */
	land(fixture, 0, PIECE + PIECE / 2, false);
	pass = advance(fixture, 2);
	assert_int_equal(pass.verified, 1);
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), PIECE);
	land(fixture, PIECE + PIECE / 2, 4 * PIECE, false);
	pass = advance(fixture, 3);
	assert_int_equal(pass.verified, 3);
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), 4 * PIECE);
	assert_false(receiving_finished(&fixture->receiving));
	/* The short last piece completes the image: every byte is verified. */
	land(fixture, 4 * PIECE, SIZE, false);
	pass = advance(fixture, 4);
	assert_int_equal(pass.verified, 2);
	assert_true(pass.completed);
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), SIZE);
	assert_true(receiving_finished(&fixture->receiving));
}

static void test_bad_piece_is_never_counted(void **state)
{
	struct fixture *fixture = *state;
	struct receiving_pass pass;

	land(fixture, 0, 2 * PIECE, false);
	land(fixture, 2 * PIECE, 3 * PIECE, true);
	land(fixture, 3 * PIECE, 5 * PIECE, false);
	pass = advance(fixture, 10);
	assert_int_equal(pass.verified, 2);
	assert_true(pass.failed);
	assert_int_equal(fixture->receiving.failed_piece, 2);
	/* Good pieces after the bad one do not count either: only a prefix. */
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), 2 * PIECE);
	/* The same bytes are not hashed again while the file is unchanged. */
	pass = advance(fixture, 5000);
	assert_false(pass.failed);
	assert_int_equal(fixture->receiving.failed_checks, 1);
	/* The agent cuts the bad piece off and fetches it again. */
	assert_int_equal(ftruncate(fixture->write_fd, 2 * PIECE), 0);
	land(fixture, 2 * PIECE, SIZE, false);
	pass = advance(fixture, 5001);
	assert_false(pass.failed);
	assert_int_equal(pass.verified, 4);
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), SIZE);
}

static void test_waiters_wake_on_progress_only(void **state)
{
	struct fixture *fixture = *state;
	struct relay_signal *first, *second;
	uint64_t verified;

	land(fixture, 0, PIECE / 2, false);
	assert_int_equal(receiving_decide(&fixture->receiving, 0, 0, 1000, &first, &verified), RELAY_WAIT);
	assert_non_null(first);
	assert_int_equal(verified, 0);
	/* Nothing whole landed: no wake-up. */
	advance(fixture, 1);
	assert_false(signalled(first));
	land(fixture, PIECE / 2, PIECE, false);
	advance(fixture, 2);
	assert_true(signalled(first));
	relay_signal_release(first);
	/* Offset 0 is verified now; the next reader of offset PIECE waits on a fresh signal. */
	assert_int_equal(receiving_decide(&fixture->receiving, 0, 0, 1000, &second, &verified), RELAY_READY);
	assert_null(second);
	assert_int_equal(verified, PIECE);
	assert_int_equal(receiving_decide(&fixture->receiving, PIECE, 0, 1000, &second, &verified), RELAY_WAIT);
	assert_false(signalled(second));
	/* A bad piece wakes nobody: nothing was verified. */
	land(fixture, PIECE, 2 * PIECE, true);
	advance(fixture, 3);
	assert_false(signalled(second));
	relay_signal_release(second);
}

static void test_waits_are_bounded(void **state)
{
	struct fixture *fixture = *state;
	struct relay_signal *signal;
	uint64_t verified;

	assert_int_equal(receiving_decide(&fixture->receiving, 0, 999, 1000, &signal, &verified), RELAY_WAIT);
	relay_signal_release(signal);
	assert_int_equal(receiving_decide(&fixture->receiving, 0, 1000, 1000, &signal, &verified), RELAY_END);
	assert_null(signal);
	/* Verified bytes are sent however long the reader waited before. */
	land(fixture, 0, PIECE, false);
	advance(fixture, 1);
	assert_int_equal(receiving_decide(&fixture->receiving, 0, 60000, 1000, &signal, &verified), RELAY_READY);
	assert_int_equal(receiving_decide(&fixture->receiving, PIECE, 60000, 1000, &signal, &verified), RELAY_END);
}

static void test_deleted_file_ends_after_its_last_good_piece(void **state)
{
	struct fixture *fixture = *state;
	struct relay_signal *signal;
	struct receiving_pass pass;
	uint64_t verified;

	land(fixture, 0, PIECE, false);
	assert_int_equal(receiving_decide(&fixture->receiving, 0, 0, 1000, &signal, &verified), RELAY_WAIT);
	/* Written, then given up before the master looked: the piece still counts. */
	land(fixture, PIECE, 2 * PIECE + 10, false);
	assert_int_equal(unlink(fixture->path), 0);
	pass = advance(fixture, 1);
	assert_int_equal(pass.verified, 2);
	assert_false(pass.ended);
	assert_true(signalled(signal));
	relay_signal_release(signal);
	pass = advance(fixture, 2);
	assert_true(pass.ended);
	assert_true(receiving_has_ended(&fixture->receiving));
	assert_int_equal(receiving_verified_bytes(&fixture->receiving), 2 * PIECE);
	/* Readers get the verified bytes, then the end; never a wait. */
	assert_int_equal(receiving_decide(&fixture->receiving, PIECE, 0, 1000, &signal, &verified), RELAY_READY);
	assert_int_equal(receiving_decide(&fixture->receiving, 2 * PIECE, 0, 1000, &signal, &verified), RELAY_END);
	assert_null(signal);
}

static void test_bad_list_is_refused(void **state)
{
	struct receiving receiving;
	char why[128] = "";

	(void)state;
	assert_int_equal(receiving_init(&receiving, "cascade-pieces-v1\nsize=1\n", 25, why, sizeof(why)), -EBADMSG);
	assert_true(why[0] != '\0');
}

static void test_check_fd_reads_one_piece(void **state)
{
	struct fixture *fixture = *state;

	land(fixture, 0, PIECE + 10, false);
	assert_int_equal(image_pieces_check_fd(&fixture->receiving.pieces, 0, fixture->read_fd, fixture->buffer), 0);
	assert_int_equal(image_pieces_check_fd(&fixture->receiving.pieces, 1, fixture->read_fd, fixture->buffer),
			 -ENODATA);
	assert_int_equal(image_pieces_check_fd(&fixture->receiving.pieces, 6, fixture->read_fd, fixture->buffer),
			 -EINVAL);
	land(fixture, PIECE, 2 * PIECE, true);
	assert_int_equal(image_pieces_check_fd(&fixture->receiving.pieces, 1, fixture->read_fd, fixture->buffer),
			 -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_verified_bytes_grow_by_whole_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_piece_is_never_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiters_wake_on_progress_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waits_are_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_file_ends_after_its_last_good_piece, setup, teardown),
		cmocka_unit_test(test_bad_list_is_refused),
		cmocka_unit_test_setup_teardown(test_check_fd_reads_one_piece, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
