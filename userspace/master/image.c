/* Image objects and the store: reload from the manifest (verify, reuse
 * unchanged images, map those sent with send_zc), lookup by exact name.
 * Names from requests are only compared with the table; no request path is
 * ever opened. */
#include "master/image.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "master/relay.h"
#include "master/stats.h"

void image_hold(struct image *image)
{
	__atomic_add_fetch(&image->references, 1, __ATOMIC_RELAXED);
}

void image_release(struct image *image)
{
	if (image == NULL || __atomic_sub_fetch(&image->references, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (image->map != NULL)
		munmap((void *)image->map, image->size);
	image_relay_free(image->relay);
	close(image->fd);
	free(image);
}

static int64_t nanoseconds(const struct timespec *time)
{
	return (int64_t)time->tv_sec * 1000000000ll + time->tv_nsec;
}

enum image_disk_state image_check_on_disk(struct image *image, char *why, size_t why_size)
{
	struct stat status;

	if (__atomic_load_n(&image->changed_on_disk, __ATOMIC_ACQUIRE))
		return IMAGE_CHANGED_BEFORE;
	/* A receiving image grows: its pieces are checked as they land, and
	 * only checked ones are sent (relay.h). */
	if (image->relay != NULL && image->relay->receiving != NULL)
		return IMAGE_AS_VERIFIED;
	if (fstat(image->fd, &status) != 0)
		snprintf(why, why_size, "fstat failed: %s", strerror(errno));
	else if ((uint64_t)status.st_size != image->size)
		snprintf(why, why_size, "size %" PRIu64 " is now %" PRIu64, image->size,
			 (uint64_t)status.st_size);
	else if (nanoseconds(&status.st_mtim) != image->modified_ns)
		snprintf(why, why_size, "modification time changed");
	else if (status.st_nlink > 0 && nanoseconds(&status.st_ctim) != image->changed_ns)
		snprintf(why, why_size, "inode change time changed (modification time put back?)");
	else
		return IMAGE_AS_VERIFIED;
	return __atomic_exchange_n(&image->changed_on_disk, 1, __ATOMIC_ACQ_REL) ? IMAGE_CHANGED_BEFORE
										   : IMAGE_CHANGED_NOW;
}

void image_table_release(struct image_table *table)
{
	if (table == NULL || __atomic_sub_fetch(&table->references, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (size_t i = 0; i < table->count; i++)
		image_release(table->images[i]);
	free(table->images);
	free(table);
}

static int compare_names(const void *key, const void *element)
{
	const struct image *const *image = element;

	return strcmp(key, (*image)->name);
}

static struct image *table_find(struct image_table *table, const char *name)
{
	struct image **found;

	if (table == NULL || table->count == 0)
		return NULL;
	found = bsearch(name, table->images, table->count, sizeof(table->images[0]), compare_names);
	return found ? *found : NULL;
}

int image_store_init(struct image_store *store, const struct master_config *config,
		     struct stats *stats)
{
	memset(store, 0, sizeof(*store));
	pthread_mutex_init(&store->lock, NULL);
	snprintf(store->directory, sizeof(store->directory), "%s", config->images);
	store->send_mode = config->send_mode;
	store->zc_max_size = config->zc_max_size;
	store->copy_max_size = config->copy_max_size;
	store->mapped_resident_max = config->mapped_resident_max;
	store->stats = stats;
	store->cache = manifest_cache_new();
	return store->cache ? 0 : -ENOMEM;
}

void image_store_destroy(struct image_store *store)
{
	image_table_release(store->current);
	store->current = NULL;
	manifest_cache_free(store->cache);
	store->cache = NULL;
	pthread_mutex_destroy(&store->lock);
}

const char *image_send_method_name(enum image_send_method method)
{
	switch (method) {
	case IMAGE_SEND_COPY: return "copy";
	case IMAGE_SEND_ZERO_COPY: return "zc";
	default: return "file";
	}
}

/* Whether an image is mapped, and for what (the decision table of
 * docs/master.md; request.c chooses per response): send_zc up to
 * --zc-max-size, copy for images over SMALL_BODY up to --copy-max-size,
 * the file itself (sendfile or splice) otherwise. */
static enum image_send_method choose_send_method(const struct image_store *store, uint64_t size)
{
	if (size == 0)
		return IMAGE_SEND_FILE; /* no body; nothing to map */
	switch (store->send_mode) {
	case SEND_MODE_SPLICE:
	case SEND_MODE_SENDFILE: return IMAGE_SEND_FILE;
	case SEND_MODE_ZC: return IMAGE_SEND_ZERO_COPY;
	case SEND_MODE_COPY: return IMAGE_SEND_COPY;
	case SEND_MODE_AUTO: break;
	}
	if (size <= store->zc_max_size)
		return IMAGE_SEND_ZERO_COPY;
	if (size > SMALL_IMAGE && size <= store->copy_max_size)
		return IMAGE_SEND_COPY;
	return IMAGE_SEND_FILE;
}

int image_set_identity(struct image_store *store, struct image *image, const char *name,
		       const uint8_t sha256[SHA256_DIGEST_BYTES])
{
	int length;

	memcpy(image->sha256, sha256, sizeof(image->sha256));
	snprintf(image->name, sizeof(image->name), "%s", name);
	sha256_to_hex(image->sha256, image->hex);
	image->etag_length = (size_t)snprintf(image->etag, sizeof(image->etag), "\"%s\"", image->hex);
	length = http_format_image_fields(image->sha256, image->fields, sizeof(image->fields));
	if (length < 0)
		return length;
	image->fields_length = (size_t)length;
	image->counters = stats_image_counters(store->stats, image->name);
	return 0;
}

/* A new image object for a verified file; takes ownership of file->fd. */
static struct image *image_create(struct image_store *store, const struct manifest_entry *entry,
				  const struct manifest_file *file)
{
	struct image *image = calloc(1, sizeof(*image));

	if (image == NULL)
		goto fail;
	image->references = 1;
	image->fd = file->fd;
	image->size = file->size;
	image->device = file->device;
	image->inode = file->inode;
	image->modified_ns = file->modified_ns;
	image->changed_ns = file->changed_ns;
	if (image_set_identity(store, image, entry->name, entry->sha256) < 0)
		goto fail;
	image->send_method = choose_send_method(store, image->size);
	if (image->send_method != IMAGE_SEND_FILE) {
		void *map = mmap(NULL, image->size, PROT_READ, MAP_SHARED, image->fd, 0);

		if (map == MAP_FAILED) {
			log_warn("image %s: mmap failed (%s); sending it from the file", image->name,
				 strerror(errno));
			image->send_method = IMAGE_SEND_FILE;
		} else {
			image->map = map;
		}
	}
	if (store->relay != NULL)
		relay_attach_list(store->relay, image);
	return image;
fail:
	free(image);
	close(file->fd);
	return NULL;
}

/* A copy faults the image's pages into this process's page tables, and
 * they stay there: after a few downloads a 64 MiB image is 64 MiB of the
 * master's RSS, although every page is the page cache that sendfile reads
 * as well. So after every --mapped-resident-max bytes copied from a larger
 * image the mapping's entries are dropped (MADV_DONTNEED on a shared file
 * mapping: the pages stay cached, the next copy maps them again, a whole
 * page-cache folio of up to 2 MiB per fault on this kernel). A send still copying from the
 * mapping just faults its pages in again. */
void image_count_copied(struct image_store *store, struct image *image, uint64_t bytes)
{
	uint64_t limit = store->mapped_resident_max;
	uint64_t copied;

	if (limit == 0 || image->map == NULL || image->size <= limit)
		return;
	copied = __atomic_add_fetch(&image->copied_since_drop, bytes, __ATOMIC_RELAXED);
	if (copied < limit ||
	    !__atomic_compare_exchange_n(&image->copied_since_drop, &copied, 0, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return; /* under the limit, or another loop drops them now */
	if (madvise((void *)image->map, image->size, MADV_DONTNEED) == 0)
		stats_add(&store->stats->mapping_drops, 1);
}

static const char *verify_error_text(int error)
{
	switch (error) {
	case -ENOENT: return "file missing";
	case -ELOOP: return "is a symlink";
	case -EINVAL: return "not a regular file";
	case -EBADMSG: return "content does not match its SHA-256 (incomplete or corrupt)";
	case -EAGAIN: return "changed while being hashed";
	default: return strerror(-error);
	}
}

/* Verifies (or reuses) one manifest entry; NULL when it cannot be served. */
static struct image *load_entry(struct image_store *store, int directory_fd,
				const struct manifest_entry *entry, struct image_table *old)
{
	struct manifest_file file;
	struct image *previous = table_find(old, entry->name);
	int result = manifest_open_verified(directory_fd, entry, store->cache, &file);

	if (result != 0) {
		log_warn("image %s not served: %s", entry->name, verify_error_text(result));
		return NULL;
	}
	/* An image found changed on disk is never reused: its file was
	 * verified again above (the cache keys on the change time too). */
	if (previous != NULL && !__atomic_load_n(&previous->changed_on_disk, __ATOMIC_ACQUIRE) &&
	    previous->device == file.device && previous->inode == file.inode &&
	    previous->size == file.size && previous->modified_ns == file.modified_ns &&
	    previous->changed_ns == file.changed_ns &&
	    memcmp(previous->sha256, entry->sha256, sizeof(previous->sha256)) == 0) {
		close(file.fd);
		image_hold(previous);
		return previous;
	}
	log_info("image %s: %" PRIu64 " bytes, sha256 %02x%02x%02x%02x..., verified", entry->name,
		 file.size, entry->sha256[0], entry->sha256[1], entry->sha256[2], entry->sha256[3]);
	return image_create(store, entry, &file);
}

static struct image_table *build_table(struct image_store *store, int directory_fd,
				       const struct manifest *manifest, struct image_table *old,
				       struct reload_result *result)
{
	struct image_table *table = calloc(1, sizeof(*table));

	if (table == NULL)
		return NULL;
	table->references = 1;
	table->images = calloc(manifest->count ? manifest->count : 1, sizeof(table->images[0]));
	if (table->images == NULL) {
		free(table);
		return NULL;
	}
	/* Manifest entries are sorted by name, so the table is too. */
	for (size_t i = 0; i < manifest->count; i++) {
		struct image *image = load_entry(store, directory_fd, &manifest->entries[i], old);

		if (image != NULL)
			table->images[table->count++] = image;
		else
			result->rejected++;
	}
	return table;
}

int image_store_reload(struct image_store *store, struct reload_result *result)
{
	struct manifest manifest;
	struct image_table *old;
	struct image_table *table;
	uint64_t hashed_before = manifest_cache_hashed_files(store->cache);
	int directory_fd;
	int error;

	memset(result, 0, sizeof(*result));
	directory_fd = open(store->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (directory_fd < 0) {
		result->error = -errno;
		return result->error;
	}
	error = manifest_read(directory_fd, &manifest);
	if (error != 0) {
		close(directory_fd);
		result->error = error;
		return error;
	}
	if (manifest.rejected_lines > 0)
		log_warn("%s/%s: %zu lines rejected (first: line %zu): bad format, bad name or "
			 "conflicting duplicate", store->directory, MANIFEST_FILE_NAME,
			 manifest.rejected_lines, manifest.first_rejected_line);
	result->rejected = manifest.rejected_lines;
	old = image_store_snapshot(store);
	table = build_table(store, directory_fd, &manifest, old, result);
	image_table_release(old);
	manifest_free(&manifest);
	close(directory_fd);
	if (table == NULL) {
		result->error = -ENOMEM;
		return result->error;
	}
	manifest_cache_prune(store->cache);
	table->generation = ++store->generation;
	pthread_mutex_lock(&store->lock);
	old = store->current;
	store->current = table;
	pthread_mutex_unlock(&store->lock);
	image_table_release(old);
	result->generation = table->generation;
	result->served = table->count;
	result->hashed = manifest_cache_hashed_files(store->cache) - hashed_before;
	/* Receiving images (.partial) are announced with the same reload. */
	if (store->relay != NULL)
		relay_scan(store->relay);
	return 0;
}

struct image *image_store_find(struct image_store *store, const char *name)
{
	struct image *image;

	pthread_mutex_lock(&store->lock);
	image = table_find(store->current, name);
	if (image != NULL)
		image_hold(image);
	pthread_mutex_unlock(&store->lock);
	return image;
}

struct image_table *image_store_snapshot(struct image_store *store)
{
	struct image_table *table;

	pthread_mutex_lock(&store->lock);
	table = store->current;
	if (table != NULL)
		__atomic_add_fetch(&table->references, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&store->lock);
	return table;
}
