/* The relay registry: receiving images found in .partial, the verifier
 * thread that checks their pieces as they land, and the piece lists of
 * images served whole (see relay.h). */
#include "master/relay.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/manifest.h"
#include "master/image.h"
#include "common/log_limit.h"

/* A list for the largest image a list may describe, with room to spare. */
#define LIST_MAX_BYTES      ((size_t)IMAGE_PIECES_MAX_COUNT * (SHA256_HEX_LENGTH + 1) + 4096)
/* Entries of .partial looked at per scan. */
#define SCAN_MAX_ENTRIES    4096
/* Pieces one image gets checked per turn before the others get theirs. */
#define PIECES_PER_TURN     16
/* While an image is incomplete the folder is looked at this often even
 * without an inotify event; otherwise the thread sleeps this long. */
#define BUSY_POLL_MS        100
#define IDLE_POLL_MS        1000
/* One wait of a reader never lasts longer, so a closed connection is
 * freed within it. */
#define WAIT_SLICE_MAX_MS   500
/* A receiving image no longer announced is kept this long (unless its
 * file was given up) for the reload that serves it whole. */
#define LINGER_MS           60000

static struct log_limit scan_log = LOG_LIMIT_INITIALIZER("relay scan", 5);
static struct log_limit piece_log = LOG_LIMIT_INITIALIZER("relay piece", 5);

void image_relay_free(struct image_relay *image_relay)
{
	if (image_relay == NULL)
		return;
	if (image_relay->receiving != NULL) {
		receiving_destroy(image_relay->receiving);
		free(image_relay->receiving);
	}
	free(image_relay->list_text);
	free(image_relay);
}

bool image_relay_list(const struct image *image, const char **text, size_t *length)
{
	const struct image_relay *image_relay = image->relay;

	if (image_relay == NULL)
		return false;
	if (image_relay->receiving != NULL) {
		*text = image_relay->receiving->list_text;
		*length = image_relay->receiving->list_length;
		return true;
	}
	if (image_relay->list_text == NULL)
		return false;
	*text = image_relay->list_text;
	*length = image_relay->list_length;
	return true;
}

int relay_init(struct relay *relay, const struct master_config *config, struct image_store *store)
{
	uint64_t slice_ms;

	memset(relay, 0, sizeof(*relay));
	relay->store = store;
	snprintf(relay->directory, sizeof(relay->directory), "%s", config->images);
	relay->piece_size = config->piece_size;
	relay->wait_timeout_ms = config->relay_wait_timeout_ms;
	slice_ms = relay->wait_timeout_ms < WAIT_SLICE_MAX_MS ? relay->wait_timeout_ms : WAIT_SLICE_MAX_MS;
	relay->wait_slice.tv_sec = (long long)(slice_ms / 1000);
	relay->wait_slice.tv_nsec = (long long)(slice_ms % 1000) * 1000000;
	relay->partial_watch = -1;
	relay->folder_watch = -1;
	relay->stop_fd = -1;
	pthread_mutex_init(&relay->lock, NULL);
	pthread_mutex_init(&relay->scan_lock, NULL);
	relay->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (relay->inotify_fd < 0) {
		log_warn("relay: no inotify (%s): receiving images are followed by polling", strerror(errno));
	} else {
		relay->folder_watch = inotify_add_watch(relay->inotify_fd, relay->directory,
							IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	}
	relay->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return relay->stop_fd < 0 ? -errno : 0;
}

/* ---- served images ------------------------------------------------------ */

/* A receiving image that became this served image (published from
 * .partial: same file): its list, so a device's list stays the same. */
static bool copy_receiving_list(struct relay *relay, struct image *image, struct image_relay *image_relay)
{
	bool found = false;

	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count && !found; i++) {
		const struct image *receiving = relay->entries[i].image;
		const struct receiving *state = receiving->relay->receiving;

		if (strcmp(receiving->name, image->name) != 0 || receiving->device != image->device ||
		    receiving->inode != image->inode || state->pieces.size != image->size ||
		    memcmp(state->pieces.sha256, image->sha256, SHA256_DIGEST_BYTES) != 0)
			continue;
		image_relay->list_text = malloc(state->list_length + 1);
		if (image_relay->list_text != NULL) {
			memcpy(image_relay->list_text, state->list_text, state->list_length + 1);
			image_relay->list_length = state->list_length;
			found = true;
		}
	}
	pthread_mutex_unlock(&relay->lock);
	return found;
}

static int compute_list(struct relay *relay, struct image *image, struct image_relay *image_relay)
{
	struct image_pieces pieces;
	int result = image_pieces_from_fd(image->fd, relay->piece_size, &pieces);

	if (result < 0)
		return result;
	if (pieces.size != image->size || memcmp(pieces.sha256, image->sha256, SHA256_DIGEST_BYTES) != 0) {
		image_pieces_free(&pieces);
		return -EAGAIN;   /* changed since it was verified */
	}
	result = image_pieces_format(&pieces, &image_relay->list_text, &image_relay->list_length);
	if (result == 0)
		log_info("image %s: piece list of %" PRIu32 " pieces of %" PRIu32 " bytes for relays", image->name,
			 pieces.count, pieces.piece_size);
	image_pieces_free(&pieces);
	__atomic_add_fetch(&relay->lists_computed, 1, __ATOMIC_RELAXED);
	return result;
}

void relay_attach_list(struct relay *relay, struct image *image)
{
	struct image_relay *image_relay = calloc(1, sizeof(*image_relay));
	int result = 0;

	if (image_relay == NULL)
		return;
	if (!copy_receiving_list(relay, image, image_relay)) {
		if (relay->piece_size == 0) {
			free(image_relay);
			return;
		}
		result = compute_list(relay, image, image_relay);
	}
	if (result < 0) {
		log_warn("image %s: no piece list (%s); relays cannot check its pieces", image->name,
			 strerror(-result));
		image_relay_free(image_relay);
		return;
	}
	image->relay = image_relay;
}

/* ---- receiving images ---------------------------------------------------- */

static void entry_release(struct relay_entry *entry)
{
	image_release(entry->image);
	entry->image = NULL;
}

/* Drops entries no longer announced: at once when their file was given
 * up; else after LINGER_MS (so a reload that serves the published file
 * finds its list), once no reader holds them or they need no more checks
 * (readers keep their own reference). */
static void prune_locked(struct relay *relay)
{
	uint64_t now = monotonic_ms();
	unsigned int kept = 0;

	for (unsigned int i = 0; i < relay->count; i++) {
		struct relay_entry *entry = &relay->entries[i];
		struct receiving *receiving = entry->image->relay->receiving;
		bool only_ours = __atomic_load_n(&entry->image->references, __ATOMIC_ACQUIRE) == 1;

		if (!entry->announced &&
		    (receiving_has_ended(receiving) ||
		     (now - entry->unannounced_ms >= LINGER_MS && (only_ours || receiving_finished(receiving))))) {
			entry_release(entry);
			continue;
		}
		relay->entries[kept++] = *entry;
	}
	relay->count = kept;
}

/* Stops serving an entry under its name (readers in flight go on). */
static void unannounce_locked(struct relay_entry *entry)
{
	entry->announced = false;
	entry->unannounced_ms = monotonic_ms();
}

/* A new receiving image for .partial/name (data_fd owned from here). */
static struct image *receiving_create(struct relay *relay, const char *name, int data_fd,
				      const struct stat *status, const char *list, size_t list_length)
{
	struct image *image = calloc(1, sizeof(*image));
	struct image_relay *image_relay = calloc(1, sizeof(*image_relay));
	struct receiving *receiving = calloc(1, sizeof(*receiving));
	char why[128] = "";
	int result;

	if (image == NULL || image_relay == NULL || receiving == NULL)
		goto fail;
	result = receiving_init(receiving, list, list_length, why, sizeof(why));
	if (result < 0) {
		if (log_limit_allow(&scan_log, monotonic_ms()))
			log_warn("receiving %s: %s/%s/%s%s is not a usable piece list: %s", name, relay->directory,
				 RELAY_PARTIAL_FOLDER, name, RELAY_PIECES_SUFFIX, why);
		goto fail;
	}
	image_relay->receiving = receiving;
	receiving = NULL;
	image->relay = image_relay;
	image_relay = NULL;
	image->references = 1;
	image->fd = data_fd;
	image->size = image->relay->receiving->pieces.size;
	image->device = status->st_dev;
	image->inode = status->st_ino;
	image->send_method = IMAGE_SEND_FILE; /* the file grows: splice what is verified */
	if (image_set_identity(relay->store, image, name, image->relay->receiving->pieces.sha256) < 0) {
		image_release(image);
		return NULL;
	}
	return image;
fail:
	free(receiving);
	free(image_relay);
	free(image);
	close(data_fd);
	return NULL;
}

static bool same_file(const struct image *image, const struct stat *status, const char *list, size_t length)
{
	const struct receiving *state = image->relay->receiving;

	return image->device == status->st_dev && image->inode == status->st_ino && state->list_length == length &&
	       memcmp(state->list_text, list, length) == 0;
}

/* One ".partial/NAME.pieces" with its ".partial/NAME": found again, new,
 * or replacing an older file of that name. */
static void scan_one(struct relay *relay, int partial_fd, const char *name)
{
	char list_name[MANIFEST_NAME_MAX + sizeof(RELAY_PIECES_SUFFIX) + 1];
	char *list = NULL;
	size_t list_length = 0;
	struct stat status;
	struct image *image;
	unsigned int found = relay->count;
	int list_fd, data_fd, result;

	snprintf(list_name, sizeof(list_name), "%s%s", name, RELAY_PIECES_SUFFIX);
	list_fd = openat(partial_fd, list_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (list_fd < 0)
		return;
	result = read_whole_fd(list_fd, LIST_MAX_BYTES, &list, &list_length);
	close(list_fd);
	if (result < 0)
		return;
	data_fd = openat(partial_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (data_fd < 0 || fstat(data_fd, &status) != 0 || !S_ISREG(status.st_mode)) {
		if (data_fd >= 0)
			close(data_fd);
		free(list);
		return;
	}
	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count; i++) {
		if (relay->entries[i].announced && strcmp(relay->entries[i].image->name, name) == 0) {
			if (same_file(relay->entries[i].image, &status, list, list_length))
				found = i;
			break;
		}
	}
	if (found < relay->count)
		relay->entries[found].seen = true;
	pthread_mutex_unlock(&relay->lock);
	if (found < relay->count) {
		close(data_fd);
		free(list);
		return;
	}
	image = receiving_create(relay, name, data_fd, &status, list, list_length);
	free(list);
	if (image == NULL)
		return;
	pthread_mutex_lock(&relay->lock);
	prune_locked(relay);
	if (relay->count == RELAY_MAX_RECEIVING) {
		pthread_mutex_unlock(&relay->lock);
		log_warn("receiving %s: already following %d receiving images; not relaying it", name,
			 RELAY_MAX_RECEIVING);
		image_release(image);
		return;
	}
	/* An older file of the same name goes on for its readers only. */
	for (unsigned int i = 0; i < relay->count; i++)
		if (relay->entries[i].announced && strcmp(relay->entries[i].image->name, name) == 0)
			unannounce_locked(&relay->entries[i]);
	relay->entries[relay->count++] = (struct relay_entry){ image, true, true, 0 };
	pthread_mutex_unlock(&relay->lock);
	log_info("receiving %s: %" PRIu64 " bytes in %" PRIu32 " pieces of %" PRIu32
		 " bytes announced; relaying the pieces checked here",
		 name, image->size, image->relay->receiving->pieces.count, image->relay->receiving->pieces.piece_size);
}

/* Watches .partial once it exists (it may be created after the start). */
static void watch_partial(struct relay *relay)
{
	char path[sizeof(relay->directory) + sizeof(RELAY_PARTIAL_FOLDER) + 1];

	if (relay->inotify_fd < 0 || __atomic_load_n(&relay->partial_watch, __ATOMIC_RELAXED) >= 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", relay->directory, RELAY_PARTIAL_FOLDER);
	__atomic_store_n(&relay->partial_watch,
			 inotify_add_watch(relay->inotify_fd, path,
					   IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
						   IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW),
			 __ATOMIC_RELAXED);
}

/* Reads the names of .partial that end in ".pieces" (their image names). */
static size_t list_candidates(int partial_fd, char (*names)[MANIFEST_NAME_MAX + 1], size_t capacity)
{
	size_t suffix = strlen(RELAY_PIECES_SUFFIX), count = 0, seen = 0;
	int copy = dup(partial_fd);
	struct dirent *entry;
	DIR *folder;

	if (copy < 0)
		return 0;
	folder = fdopendir(copy);
	if (folder == NULL) {
		close(copy);
		return 0;
	}
	while ((entry = readdir(folder)) != NULL && seen++ < SCAN_MAX_ENTRIES && count < capacity) {
		size_t length = strlen(entry->d_name);

		if (length <= suffix || strcmp(entry->d_name + length - suffix, RELAY_PIECES_SUFFIX) != 0 ||
		    !manifest_name_is_valid(entry->d_name, length - suffix) || length - suffix > MANIFEST_NAME_MAX)
			continue;
		memcpy(names[count], entry->d_name, length - suffix);
		names[count][length - suffix] = '\0';
		count++;
	}
	closedir(folder);
	return count;
}

void relay_scan(struct relay *relay)
{
	char names[RELAY_MAX_RECEIVING][MANIFEST_NAME_MAX + 1];
	int directory_fd, partial_fd = -1;
	size_t count = 0;

	pthread_mutex_lock(&relay->scan_lock);
	__atomic_add_fetch(&relay->scans, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count; i++)
		relay->entries[i].seen = false;
	pthread_mutex_unlock(&relay->lock);
	watch_partial(relay);
	directory_fd = open(relay->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (directory_fd >= 0) {
		partial_fd = openat(directory_fd, RELAY_PARTIAL_FOLDER, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(directory_fd);
	}
	if (partial_fd >= 0) {
		count = list_candidates(partial_fd, names, RELAY_MAX_RECEIVING);
		for (size_t i = 0; i < count; i++)
			scan_one(relay, partial_fd, names[i]);
		close(partial_fd);
	}
	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count; i++) {
		if (relay->entries[i].announced && !relay->entries[i].seen) {
			unannounce_locked(&relay->entries[i]);
			log_info("receiving %s: no longer announced (published or given up)",
				 relay->entries[i].image->name);
		}
	}
	prune_locked(relay);
	pthread_mutex_unlock(&relay->lock);
	pthread_mutex_unlock(&relay->scan_lock);
}

struct image *relay_find_receiving(struct relay *relay, const char *name)
{
	struct image *found = NULL;

	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count && found == NULL; i++) {
		struct relay_entry *entry = &relay->entries[i];

		if (entry->announced && strcmp(entry->image->name, name) == 0 &&
		    !receiving_has_ended(entry->image->relay->receiving)) {
			found = entry->image;
			image_hold(found);
		}
	}
	pthread_mutex_unlock(&relay->lock);
	return found;
}

/* ---- the verifier thread -------------------------------------------------- */

/* Reads inotify events; true when a .pieces file (or the folder) changed. */
static bool read_events(struct relay *relay)
{
	char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool rescan = false;
	ssize_t length;

	while ((length = read(relay->inotify_fd, buffer, sizeof(buffer))) > 0) {
		for (char *cursor = buffer; cursor < buffer + length;) {
			struct inotify_event *event = (struct inotify_event *)cursor;
			size_t name_length = event->len ? strlen(event->name) : 0;
			size_t suffix = strlen(RELAY_PIECES_SUFFIX);

			if (event->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_DELETE_SELF))
				rescan = true;
			if (event->wd == relay->partial_watch && (event->mask & (IN_IGNORED | IN_DELETE_SELF)))
				__atomic_store_n(&relay->partial_watch, -1, __ATOMIC_RELAXED);
			if (event->wd == relay->folder_watch && name_length > 0 &&
			    strcmp(event->name, RELAY_PARTIAL_FOLDER) == 0)
				rescan = true;
			/* A list written, or a file created, moved or deleted. */
			if (event->wd == relay->partial_watch &&
			    ((event->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) ||
			     ((event->mask & IN_CLOSE_WRITE) && name_length > suffix &&
			      strcmp(event->name + name_length - suffix, RELAY_PIECES_SUFFIX) == 0)))
				rescan = true;
			cursor += sizeof(*event) + event->len;
		}
	}
	return rescan;
}

/* One turn over the receiving images; true when one has more to check now. */
static bool check_pieces(struct relay *relay, uint8_t **buffer, uint32_t *buffer_size, bool *incomplete)
{
	struct image *images[RELAY_MAX_RECEIVING];
	unsigned int count = 0;
	bool more = false;

	*incomplete = false;
	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count; i++) {
		if (!receiving_finished(relay->entries[i].image->relay->receiving)) {
			images[count] = relay->entries[i].image;
			image_hold(images[count++]);
		}
	}
	pthread_mutex_unlock(&relay->lock);
	for (unsigned int i = 0; i < count; i++) {
		struct receiving *receiving = images[i]->relay->receiving;
		struct receiving_pass pass;

		if (receiving->pieces.piece_size > *buffer_size) {
			free(*buffer);
			*buffer = malloc(receiving->pieces.piece_size);
			*buffer_size = *buffer ? receiving->pieces.piece_size : 0;
		}
		if (*buffer != NULL &&
		    receiving_advance(receiving, images[i]->fd, *buffer, PIECES_PER_TURN, monotonic_ms(), &pass) == 0) {
			if (pass.failed && !pass.failed_again && log_limit_allow(&piece_log, monotonic_ms()))
				log_warn("receiving %s: piece %" PRIu32 " does not match its list; not relaying it",
					 images[i]->name, receiving->failed_piece);
			if (pass.completed)
				log_info("receiving %s: all %" PRIu32 " pieces checked", images[i]->name,
					 receiving->pieces.count);
			if (pass.ended)
				log_info("receiving %s: the file was given up after %" PRIu64 " verified bytes; "
					 "its readers stop there", images[i]->name, receiving_verified_bytes(receiving));
			more |= pass.verified == PIECES_PER_TURN;
		}
		*incomplete |= !receiving_finished(receiving);
		image_release(images[i]);
	}
	pthread_mutex_lock(&relay->lock);
	prune_locked(relay);
	pthread_mutex_unlock(&relay->lock);
	return more;
}

static void *verifier_main(void *argument)
{
	struct relay *relay = argument;
	uint8_t *buffer = NULL;
	uint32_t buffer_size = 0;
	bool incomplete = false, more = false;

	for (;;) {
		struct pollfd descriptors[2] = { { relay->stop_fd, POLLIN, 0 }, { relay->inotify_fd, POLLIN, 0 } };
		int timeout = more ? 0 : incomplete ? BUSY_POLL_MS : IDLE_POLL_MS;

		if (poll(descriptors, relay->inotify_fd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			break;
		if (descriptors[0].revents & POLLIN)
			break;
		if (relay->inotify_fd >= 0 && (descriptors[1].revents & POLLIN) && read_events(relay))
			relay_scan(relay);
		more = check_pieces(relay, &buffer, &buffer_size, &incomplete);
	}
	free(buffer);
	return NULL;
}

int relay_start(struct relay *relay)
{
	int result = pthread_create(&relay->thread, NULL, verifier_main, relay);

	if (result != 0)
		return -result;
	relay->thread_started = true;
	return 0;
}

void relay_stop(struct relay *relay)
{
	uint64_t one = 1;

	if (!relay->thread_started)
		return;
	if (write(relay->stop_fd, &one, sizeof(one)) < 0)
		log_error("relay: cannot stop the verifier thread: %s", strerror(errno));
	pthread_join(relay->thread, NULL);
	relay->thread_started = false;
}

void relay_destroy(struct relay *relay)
{
	relay_stop(relay);
	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; i < relay->count; i++)
		entry_release(&relay->entries[i]);
	relay->count = 0;
	pthread_mutex_unlock(&relay->lock);
	if (relay->inotify_fd >= 0)
		close(relay->inotify_fd);
	if (relay->stop_fd >= 0)
		close(relay->stop_fd);
	relay->inotify_fd = -1;
	relay->stop_fd = -1;
	pthread_mutex_destroy(&relay->lock);
	pthread_mutex_destroy(&relay->scan_lock);
}
