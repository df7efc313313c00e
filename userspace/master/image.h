/* The images the master serves: each an open, verified file (plus a
 * read-only mapping when it is sent with send_zc), reference counted so a
 * transfer keeps its file after a reload replaced or removed it; and the
 * store holding the current table, rebuilt from the manifest on reload. */
#ifndef CASCADE_MASTER_IMAGE_H
#define CASCADE_MASTER_IMAGE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/manifest.h"
#include "master/config.h"
#include "master/http_response.h"

struct stats;
struct name_counters;
struct image_relay;
struct relay;

/* How an image's body is sent (chosen per image at load, docs/master.md). */
enum image_send_method {
	IMAGE_SEND_FILE,        /* splice or sendfile from the file, no mapping */
	IMAGE_SEND_COPY,        /* mapped: SENDMSG (copy) until --copy-until, then sendfile */
	IMAGE_SEND_ZERO_COPY,   /* mapped: SENDMSG_ZC */
};
const char *image_send_method_name(enum image_send_method method);
/* Images up to this size are never mapped in auto mode (= SMALL_BODY). */
#define SMALL_IMAGE (256u << 10)

struct image {
	int references;
	int fd;
	uint64_t size;
	dev_t device;
	ino_t inode;
	int64_t modified_ns;
	int64_t changed_ns;                          /* ctime at verification */
	int changed_on_disk;                         /* set once: overwritten in place */
	uint8_t sha256[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1];
	char etag[SHA256_HEX_LENGTH + 3];            /* quoted */
	size_t etag_length;
	char fields[HTTP_IMAGE_FIELDS_MAX];          /* ETag, digests, type */
	size_t fields_length;
	enum image_send_method send_method;
	const uint8_t *map;                          /* read-only mapping (copy, zc) or NULL */
	uint64_t copied_since_drop;                  /* copy bytes since the mapping's pages were dropped */
	struct name_counters *counters;              /* per-name statistics */
	struct image_relay *relay;                   /* piece list / receiving state (relay.h), or NULL */
	char name[MANIFEST_NAME_MAX + 1];
};

struct image_table {
	int references;
	uint64_t generation;
	size_t count;
	struct image **images;                       /* sorted by name */
};

struct reload_result {
	int error;                                   /* 0 or negative errno */
	uint64_t generation;
	size_t served;                               /* images in the table */
	size_t rejected;                             /* listed but not served */
	uint64_t hashed;                             /* files hashed this time */
};

struct image_store {
	pthread_mutex_t lock;                        /* guards current */
	struct image_table *current;
	/* Used by the reloading thread only. */
	struct manifest_cache *cache;
	char directory[4096];
	enum send_mode send_mode;
	uint64_t zc_max_size;
	uint64_t copy_max_size;
	uint64_t mapped_resident_max;                /* --mapped-resident-max */
	struct stats *stats;
	uint64_t generation;
	struct relay *relay;                         /* piece lists and receiving images, or NULL */
};

/* Counts BYTES sent by copy from IMAGE's mapping; every --mapped-resident-max
 * bytes the mapping's page-table entries are dropped (image.c). */
void image_count_copied(struct image_store *store, struct image *image, uint64_t bytes);

int image_store_init(struct image_store *store, const struct master_config *config,
		     struct stats *stats);
void image_store_destroy(struct image_store *store);
/* Re-reads the manifest and swaps in a new table; images whose file did
 * not change are kept (same fd and mapping), new ones are verified. On
 * error the current table stays. */
int image_store_reload(struct image_store *store, struct reload_result *result);
/* The image called name, with a reference the caller drops, or NULL. */
struct image *image_store_find(struct image_store *store, const char *name);
/* The current table with a reference (for listings). */
struct image_table *image_store_snapshot(struct image_store *store);

/* Name, hash, ETag, header fields and counters of a new image object. */
int image_set_identity(struct image_store *store, struct image *image, const char *name,
		       const uint8_t sha256[SHA256_DIGEST_BYTES]);

/* Whether the open file still holds the content that was verified. */
enum image_disk_state {
	IMAGE_AS_VERIFIED,
	IMAGE_CHANGED_NOW,      /* found changed by this call: log, re-verify */
	IMAGE_CHANGED_BEFORE,   /* already known to be changed */
};
/* Compares the open file with its verification record: size, modification
 * time, and the change time while the file is still linked (an unlink, or
 * a rename over it, changes only that, not the content the open file
 * holds). A difference marks the image changed for good; the first call
 * that finds it returns IMAGE_CHANGED_NOW and says what differs in why. */
enum image_disk_state image_check_on_disk(struct image *image, char *why, size_t why_size);

void image_hold(struct image *image);
void image_release(struct image *image);
void image_table_release(struct image_table *table);

#endif
