/* The image directory's manifest: a SHA256SUMS file in the format sha256sum
 * writes ("<64 hex>  NAME" or "<64 hex> *NAME", one per line). Parsing and
 * writing it, checking that a listed file is a regular file (never through a
 * symlink) whose content has the listed hash, with a cache so a reload does
 * not rehash unchanged files, and publishing a new image into the directory
 * (rename + atomic manifest rewrite, serialized by a lock file).
 *
 * Names are plain file names inside the directory: never "/", NUL, "." or
 * "..", no control characters or backslashes, at most MANIFEST_NAME_MAX
 * bytes. A line that breaks these rules is rejected, never served. */
#ifndef CASCADE_COMMON_MANIFEST_H
#define CASCADE_COMMON_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/sha256.h"

#define MANIFEST_FILE_NAME   "SHA256SUMS"
#define MANIFEST_LOCK_NAME   ".SHA256SUMS.lock"
#define MANIFEST_NAME_MAX    255
#define MANIFEST_MAX_BYTES   (4u << 20)
#define MANIFEST_MAX_ENTRIES 65536

struct manifest_entry {
	char name[MANIFEST_NAME_MAX + 1];
	uint8_t sha256[SHA256_DIGEST_BYTES];
};

struct manifest {
	struct manifest_entry *entries;
	size_t count;
	/* Lines that were not accepted (bad syntax, bad name, duplicate). */
	size_t rejected_lines;
	/* 1-based number of the first rejected line, 0 when none. */
	size_t first_rejected_line;
};

/* true when name may appear in a manifest and in /images/NAME. */
bool manifest_name_is_valid(const char *name, size_t length);

/* Parses manifest text. Bad lines are counted in rejected_lines and
 * skipped; a name listed twice with different hashes is dropped entirely
 * (ambiguous), twice with the same hash is kept once. Returns 0, -ENOMEM,
 * or -E2BIG past MANIFEST_MAX_ENTRIES. */
int manifest_parse(const char *text, size_t length, struct manifest *manifest);
void manifest_free(struct manifest *manifest);
/* The entry called name, or NULL. */
const struct manifest_entry *manifest_find(const struct manifest *manifest, const char *name);
/* Adds name with this hash, or changes the hash of the entry already there. */
int manifest_set_entry(struct manifest *manifest, const char *name,
		       const uint8_t sha256[SHA256_DIGEST_BYTES]);
/* Renders the manifest as sha256sum would (two spaces, text mode), sorted
 * by name; *text is malloc'd and NUL-terminated. */
int manifest_format(const struct manifest *manifest, char **text, size_t *length);
/* Reads and parses SHA256SUMS in the directory; a missing file is an empty
 * manifest. The file itself must be a regular file (no symlink). */
int manifest_read(int directory_fd, struct manifest *manifest);

/* Remembers the hashes of files already read, by device, inode, size,
 * modification time and inode change time, so a reload rehashes only what
 * changed (the change time catches an overwrite in place whose writer put
 * size and modification time back). */
struct manifest_cache;
struct manifest_cache *manifest_cache_new(void);
void manifest_cache_free(struct manifest_cache *cache);
/* Drops entries not looked up since the last call (files gone or changed). */
void manifest_cache_prune(struct manifest_cache *cache);
/* Number of files hashed (cache misses) since the cache was created. */
uint64_t manifest_cache_hashed_files(const struct manifest_cache *cache);

/* What manifest_open_verified found out about a file it accepted. */
struct manifest_file {
	int fd;                 /* open read-only; the caller closes it */
	uint64_t size;
	dev_t device;
	ino_t inode;
	int64_t modified_ns;
	int64_t changed_ns;     /* inode change time (ctime) */
};

/* Opens entry->name relative to directory_fd without following symlinks,
 * checks it is a regular file and that its SHA-256 (from cache when the
 * file is unchanged; cache may be NULL) equals the entry's. Returns 0 and
 * fills *file, or -ENOENT, -ELOOP (symlink), -EINVAL (not a regular file),
 * -EBADMSG (content does not match), -EAGAIN (changed while hashing). */
int manifest_open_verified(int directory_fd, const struct manifest_entry *entry,
			   struct manifest_cache *cache, struct manifest_file *file);

/* Publishes an image: renames verified_temp_path (fully written and
 * fsynced, on the same filesystem) to image_dir/name, then rewrites
 * SHA256SUMS atomically (temp + fsync + rename + fsync of the directory)
 * with name's hash set to sha256. Concurrent publishers serialize on an
 * flock of image_dir/.SHA256SUMS.lock. Returns 0 or a negative errno
 * (-EINVAL for a bad name, -EXDEV when the temp file is elsewhere). */
int manifest_publish_image(const char *image_dir, const char *name,
			   const char *verified_temp_path, const uint8_t sha256[32]);

#endif
