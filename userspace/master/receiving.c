/* One receiving image's verified prefix, its checks and its wake-ups (see
 * receiving.h). */
#include "master/receiving.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECHECK_MS 250

void relay_signal_hold(struct relay_signal *signal)
{
	__atomic_add_fetch(&signal->references, 1, __ATOMIC_RELAXED);
}

void relay_signal_release(struct relay_signal *signal)
{
	if (signal == NULL || __atomic_sub_fetch(&signal->references, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	close(signal->fd);
	free(signal);
}

static struct relay_signal *signal_new(void)
{
	struct relay_signal *signal = calloc(1, sizeof(*signal));

	if (signal == NULL)
		return NULL;
	signal->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (signal->fd < 0) {
		free(signal);
		return NULL;
	}
	signal->references = 1;
	return signal;
}

/* Wakes whoever polls the signal; the caller gave up its reference. */
static void signal_fire(struct relay_signal *signal)
{
	uint64_t one = 1;

	if (signal == NULL)
		return;
	if (write(signal->fd, &one, sizeof(one)) < 0) {
		/* An eventfd only refuses at its maximum count: it is readable. */
	}
	relay_signal_release(signal);
}

int receiving_init(struct receiving *receiving, const char *list_text, size_t list_length, char *why,
		   size_t why_size)
{
	int result;

	memset(receiving, 0, sizeof(*receiving));
	result = image_pieces_parse(list_text, list_length, &receiving->pieces, why, why_size);
	if (result < 0)
		return result;
	receiving->list_text = malloc(list_length + 1);
	if (receiving->list_text == NULL) {
		result = -ENOMEM;
		goto fail;
	}
	memcpy(receiving->list_text, list_text, list_length);
	receiving->list_text[list_length] = '\0';
	receiving->list_length = list_length;
	receiving->complete = receiving->pieces.count == 0;
	if (!receiving->complete) {
		receiving->signal = signal_new();
		if (receiving->signal == NULL) {
			result = -EMFILE;
			goto fail;
		}
	} else {
		receiving->verified_bytes = receiving->pieces.size;
	}
	pthread_mutex_init(&receiving->lock, NULL);
	return 0;
fail:
	free(receiving->list_text);
	receiving->list_text = NULL;
	image_pieces_free(&receiving->pieces);
	snprintf(why, why_size, "%s", strerror(-result));
	return result;
}

void receiving_destroy(struct receiving *receiving)
{
	relay_signal_release(receiving->signal);
	receiving->signal = NULL;
	image_pieces_free(&receiving->pieces);
	free(receiving->list_text);
	receiving->list_text = NULL;
	pthread_mutex_destroy(&receiving->lock);
}

/* Under the lock: moves the prefix (or ends it) and hands back the signal
 * to fire, replaced by a fresh one while more may come. */
static struct relay_signal *publish_locked(struct receiving *receiving)
{
	struct relay_signal *fired = receiving->signal;

	receiving->signal = receiving->complete || receiving->ended ? NULL : signal_new();
	return fired;
}

static int64_t modified_ns(const struct stat *status)
{
	return (int64_t)status->st_mtim.tv_sec * 1000000000ll + status->st_mtim.tv_nsec;
}

/* A piece that failed is read again once the file changed: at once when it
 * was cut back (the agent drops a bad piece and fetches it again), else at
 * most every RECHECK_MS while it keeps growing past the bad bytes. */
static bool worth_rechecking(const struct receiving *receiving, const struct stat *status, uint64_t now_ms)
{
	if (receiving->failed_size == (uint64_t)status->st_size && receiving->failed_modified_ns == modified_ns(status))
		return false;
	return (uint64_t)status->st_size < receiving->failed_size || now_ms - receiving->failed_at_ms >= RECHECK_MS;
}

int receiving_advance(struct receiving *receiving, int fd, uint8_t *buffer, unsigned int max_pieces,
		      uint64_t now_ms, struct receiving_pass *pass)
{
	const struct image_pieces *pieces = &receiving->pieces;
	struct relay_signal *fired = NULL;
	struct stat status;
	uint32_t index;
	bool file_gone;

	memset(pass, 0, sizeof(*pass));
	if (fstat(fd, &status) != 0)
		return -errno;
	file_gone = status.st_nlink == 0;
	pthread_mutex_lock(&receiving->lock);
	index = receiving->pieces_verified;
	pthread_mutex_unlock(&receiving->lock);
	/* Only the verifier advances, so index stays ours while we read. */
	while (index < pieces->count && pass->verified < max_pieces) {
		uint64_t end = image_pieces_offset(pieces, index) + image_pieces_length(pieces, index);
		int result;

		if ((uint64_t)status.st_size < end)
			break;
		if (receiving->has_failed && receiving->failed_piece == index && !worth_rechecking(receiving, &status, now_ms))
			break;
		result = image_pieces_check_fd(pieces, index, fd, buffer);
		if (result == -EBADMSG) {
			pass->failed_again = receiving->has_failed && receiving->failed_piece == index;
			receiving->has_failed = true;
			receiving->failed_at_ms = now_ms;
			receiving->failed_piece = index;
			receiving->failed_size = (uint64_t)status.st_size;
			receiving->failed_modified_ns = modified_ns(&status);
			__atomic_add_fetch(&receiving->failed_checks, 1, __ATOMIC_RELAXED);
			pass->failed = true;
			break;
		}
		if (result < 0)
			break;   /* cut back while we read (-ENODATA): look again later */
		receiving->has_failed = false;
		index++;
		pass->verified++;
	}
	pthread_mutex_lock(&receiving->lock);
	if (pass->verified > 0) {
		receiving->pieces_verified = index;
		receiving->verified_bytes = index == pieces->count ? pieces->size : image_pieces_offset(pieces, index);
		receiving->last_progress_ms = now_ms;
		if (index == pieces->count) {
			receiving->complete = true;
			pass->completed = true;
		}
	}
	/* A deleted file whose last pass found nothing more ends here (one more
	 * pass came after the deletion, so nothing written before it is lost). */
	if (file_gone && pass->verified == 0 && !receiving->complete && !receiving->ended) {
		receiving->ended = true;
		pass->ended = true;
	}
	if (pass->verified > 0 || pass->ended)
		fired = publish_locked(receiving);
	pthread_mutex_unlock(&receiving->lock);
	signal_fire(fired);
	return 0;
}

uint64_t receiving_verified_bytes(struct receiving *receiving)
{
	uint64_t verified;

	pthread_mutex_lock(&receiving->lock);
	verified = receiving->verified_bytes;
	pthread_mutex_unlock(&receiving->lock);
	return verified;
}

bool receiving_finished(struct receiving *receiving)
{
	bool finished;

	pthread_mutex_lock(&receiving->lock);
	finished = receiving->complete || receiving->ended;
	pthread_mutex_unlock(&receiving->lock);
	return finished;
}

bool receiving_has_ended(struct receiving *receiving)
{
	bool ended;

	pthread_mutex_lock(&receiving->lock);
	ended = receiving->ended;
	pthread_mutex_unlock(&receiving->lock);
	return ended;
}

enum relay_decision receiving_decide(struct receiving *receiving, uint64_t offset, uint64_t waited_ms,
				     uint64_t timeout_ms, struct relay_signal **signal, uint64_t *verified)
{
	enum relay_decision decision;

	*signal = NULL;
	pthread_mutex_lock(&receiving->lock);
	*verified = receiving->verified_bytes;
	if (receiving->verified_bytes > offset) {
		decision = RELAY_READY;
	} else if (receiving->ended || receiving->complete || receiving->signal == NULL || waited_ms >= timeout_ms) {
		decision = RELAY_END;
	} else {
		relay_signal_hold(receiving->signal);
		*signal = receiving->signal;
		decision = RELAY_WAIT;
	}
	pthread_mutex_unlock(&receiving->lock);
	return decision;
}
