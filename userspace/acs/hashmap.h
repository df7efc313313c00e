/* A string-keyed hash table (open addressing, linear probing) mapping keys
 * the caller owns to pointers: devices by OUI-ProductClass-Serial, groups by
 * key, sessions by cookie token. Not thread-safe: the controller lock
 * guards every table. */
#ifndef CASCADE_ACS_HASHMAP_H
#define CASCADE_ACS_HASHMAP_H

#include <stddef.h>

struct hashmap_slot {
	const char *key; /* NULL: empty; tombstones use hashmap_tombstone */
	void *value;
};

struct hashmap {
	struct hashmap_slot *slots;
	size_t capacity; /* power of two */
	size_t used;     /* live entries plus tombstones */
	size_t count;    /* live entries */
};

int hashmap_init(struct hashmap *map, size_t expected);
void hashmap_destroy(struct hashmap *map);
void *hashmap_get(const struct hashmap *map, const char *key);
/* Inserts or replaces; key must outlive the entry. Returns 0 or -ENOMEM. */
int hashmap_put(struct hashmap *map, const char *key, void *value);
void *hashmap_remove(struct hashmap *map, const char *key);
/* Walks the live entries: start with *cursor = 0; each call returns the
 * next entry's value (and key) and advances, NULL at the end (so values
 * must not be NULL). The table must not change during the walk. */
void *hashmap_next(const struct hashmap *map, size_t *cursor, const char **key);

#endif
