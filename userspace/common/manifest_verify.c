/* Checking that a manifest entry names a regular file whose content has the
 * listed SHA-256, and the cache of file hashes (by device, inode, size,
 * modification and change time) that lets a reload skip unchanged files. */
#include "common/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cache_slot {
	bool used;
	bool seen;
	dev_t device;
	ino_t inode;
	uint64_t size;
	int64_t modified_ns;
	int64_t changed_ns;
	uint8_t sha256[SHA256_DIGEST_BYTES];
};

/* Open addressing with linear probing; capacity is a power of two and at
 * most half full. */
struct manifest_cache {
	struct cache_slot *slots;
	size_t capacity;
	size_t count;
	uint64_t hashed_files;
};

struct manifest_cache *manifest_cache_new(void)
{
	struct manifest_cache *cache = calloc(1, sizeof(*cache));

	if (cache == NULL)
		return NULL;
	cache->capacity = 64;
	cache->slots = calloc(cache->capacity, sizeof(cache->slots[0]));
	if (cache->slots == NULL) {
		free(cache);
		return NULL;
	}
	return cache;
}

void manifest_cache_free(struct manifest_cache *cache)
{
	if (cache == NULL)
		return;
	free(cache->slots);
	free(cache);
}

uint64_t manifest_cache_hashed_files(const struct manifest_cache *cache)
{
	return cache->hashed_files;
}

static size_t slot_index(const struct manifest_cache *cache, dev_t device, ino_t inode)
{
	uint64_t mixed = ((uint64_t)device * 0x9e3779b97f4a7c15ull) ^ (uint64_t)inode;

	mixed ^= mixed >> 29;
	mixed *= 0xbf58476d1ce4e5b9ull;
	mixed ^= mixed >> 32;
	return (size_t)mixed & (cache->capacity - 1);
}

static struct cache_slot *find_slot(struct manifest_cache *cache, dev_t device, ino_t inode)
{
	size_t index = slot_index(cache, device, inode);

	for (size_t probes = 0; probes < cache->capacity; probes++) {
		struct cache_slot *slot = &cache->slots[index];

		if (!slot->used || (slot->device == device && slot->inode == inode))
			return slot;
		index = (index + 1) & (cache->capacity - 1);
	}
	return NULL;
}

/* Rebuilds the table with the given capacity; with only_seen, drops the
 * slots not looked up since the last rebuild. */
static int rebuild(struct manifest_cache *cache, size_t capacity, bool only_seen)
{
	struct cache_slot *old = cache->slots;
	size_t old_capacity = cache->capacity;

	cache->slots = calloc(capacity, sizeof(cache->slots[0]));
	if (cache->slots == NULL) {
		cache->slots = old;
		return -ENOMEM;
	}
	cache->capacity = capacity;
	cache->count = 0;
	for (size_t i = 0; i < old_capacity; i++) {
		struct cache_slot *slot;

		if (!old[i].used || (only_seen && !old[i].seen))
			continue;
		slot = find_slot(cache, old[i].device, old[i].inode);
		*slot = old[i];
		slot->seen = false;
		cache->count++;
	}
	free(old);
	return 0;
}

void manifest_cache_prune(struct manifest_cache *cache)
{
	if (cache != NULL)
		rebuild(cache, cache->capacity, true);
}

static void cache_store(struct manifest_cache *cache, const struct manifest_file *file,
			const uint8_t sha256[SHA256_DIGEST_BYTES])
{
	struct cache_slot *slot;

	if ((cache->count + 1) * 2 > cache->capacity && rebuild(cache, cache->capacity * 2, false) != 0)
		return;
	slot = find_slot(cache, file->device, file->inode);
	if (slot == NULL)
		return;
	if (!slot->used)
		cache->count++;
	slot->used = true;
	slot->seen = true;
	slot->device = file->device;
	slot->inode = file->inode;
	slot->size = file->size;
	slot->modified_ns = file->modified_ns;
	slot->changed_ns = file->changed_ns;
	memcpy(slot->sha256, sha256, SHA256_DIGEST_BYTES);
}

static bool cache_lookup(struct manifest_cache *cache, const struct manifest_file *file,
			 uint8_t sha256[SHA256_DIGEST_BYTES])
{
	struct cache_slot *slot = find_slot(cache, file->device, file->inode);

	if (slot == NULL || !slot->used || slot->size != file->size ||
	    slot->modified_ns != file->modified_ns || slot->changed_ns != file->changed_ns)
		return false;
	slot->seen = true;
	memcpy(sha256, slot->sha256, SHA256_DIGEST_BYTES);
	return true;
}

static void describe(const struct stat *status, int fd, struct manifest_file *file)
{
	file->fd = fd;
	file->size = (uint64_t)status->st_size;
	file->device = status->st_dev;
	file->inode = status->st_ino;
	file->modified_ns = (int64_t)status->st_mtim.tv_sec * 1000000000ll + status->st_mtim.tv_nsec;
	file->changed_ns = (int64_t)status->st_ctim.tv_sec * 1000000000ll + status->st_ctim.tv_nsec;
}

int manifest_open_verified(int directory_fd, const struct manifest_entry *entry,
			   struct manifest_cache *cache, struct manifest_file *file)
{
	struct manifest_file found;
	struct manifest_file after;
	struct stat status;
	uint8_t actual[SHA256_DIGEST_BYTES];
	uint64_t hashed_size = 0;
	int result;
	int fd;

	if (!manifest_name_is_valid(entry->name, strlen(entry->name)))
		return -EINVAL;
	/* O_NONBLOCK: opening a FIFO planted in the folder must not hang. */
	fd = openat(directory_fd, entry->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &status) != 0) {
		result = -errno;
		goto fail;
	}
	if (!S_ISREG(status.st_mode)) {
		result = -EINVAL;
		goto fail;
	}
	describe(&status, fd, &found);
	if (cache == NULL || !cache_lookup(cache, &found, actual)) {
		result = sha256_fd(fd, actual, &hashed_size);
		if (result != 0)
			goto fail;
		if (cache != NULL)
			cache->hashed_files++;
		if (fstat(fd, &status) != 0) {
			result = -errno;
			goto fail;
		}
		describe(&status, fd, &after);
		if (hashed_size != found.size || after.size != found.size ||
		    after.modified_ns != found.modified_ns || after.changed_ns != found.changed_ns) {
			result = -EAGAIN;
			goto fail;
		}
		if (cache != NULL)
			cache_store(cache, &found, actual);
	}
	if (memcmp(actual, entry->sha256, SHA256_DIGEST_BYTES) != 0) {
		result = -EBADMSG;
		goto fail;
	}
	*file = found;
	return 0;
fail:
	close(fd);
	return result;
}
