/* String-keyed open-addressing hash table with FNV-1a hashing; grows at
 * 70% load, deletes leave tombstones that a growth sweeps away. */
#include "acs/hashmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char tombstone[] = "";

static uint64_t hash_key(const char *key)
{
	uint64_t hash = 1469598103934665603ull;

	for (; *key; key++) {
		hash ^= (unsigned char)*key;
		hash *= 1099511628211ull;
	}
	return hash;
}

int hashmap_init(struct hashmap *map, size_t expected)
{
	size_t capacity = 16;

	while (capacity < expected * 2)
		capacity <<= 1;
	map->slots = calloc(capacity, sizeof(*map->slots));
	if (!map->slots)
		return -ENOMEM;
	map->capacity = capacity;
	map->used = 0;
	map->count = 0;
	return 0;
}

void hashmap_destroy(struct hashmap *map)
{
	free(map->slots);
	memset(map, 0, sizeof(*map));
}

static struct hashmap_slot *find_slot(const struct hashmap *map, const char *key)
{
	size_t mask = map->capacity - 1, index = (size_t)hash_key(key) & mask;

	for (size_t probes = 0; probes < map->capacity; probes++, index = (index + 1) & mask) {
		struct hashmap_slot *slot = &map->slots[index];

		if (!slot->key)
			return NULL;
		if (slot->key != tombstone && strcmp(slot->key, key) == 0)
			return slot;
	}
	return NULL;
}

void *hashmap_get(const struct hashmap *map, const char *key)
{
	struct hashmap_slot *slot = find_slot(map, key);

	return slot ? slot->value : NULL;
}

static int grow(struct hashmap *map)
{
	struct hashmap bigger;
	size_t wanted = map->count * 2 > 16 ? map->count * 2 : 16;

	if (hashmap_init(&bigger, wanted) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < map->capacity; i++) {
		struct hashmap_slot *slot = &map->slots[i];

		if (slot->key && slot->key != tombstone)
			hashmap_put(&bigger, slot->key, slot->value);
	}
	free(map->slots);
	*map = bigger;
	return 0;
}

int hashmap_put(struct hashmap *map, const char *key, void *value)
{
	struct hashmap_slot *slot = find_slot(map, key);
	size_t mask, index;

	if (slot) {
		slot->key = key;
		slot->value = value;
		return 0;
	}
	if ((map->used + 1) * 10 > map->capacity * 7 && grow(map) < 0)
		return -ENOMEM;
	mask = map->capacity - 1;
	index = (size_t)hash_key(key) & mask;
	while (map->slots[index].key && map->slots[index].key != tombstone)
		index = (index + 1) & mask;
	if (!map->slots[index].key)
		map->used++;
	map->slots[index].key = key;
	map->slots[index].value = value;
	map->count++;
	return 0;
}

void *hashmap_remove(struct hashmap *map, const char *key)
{
	struct hashmap_slot *slot = find_slot(map, key);
	void *value;

	if (!slot)
		return NULL;
	value = slot->value;
	slot->key = tombstone;
	slot->value = NULL;
	map->count--;
	return value;
}

void *hashmap_next(const struct hashmap *map, size_t *cursor, const char **key)
{
	for (; *cursor < map->capacity; (*cursor)++) {
		const struct hashmap_slot *slot = &map->slots[*cursor];

		if (slot->key && slot->key != tombstone) {
			(*cursor)++;
			if (key)
				*key = slot->key;
			return slot->value;
		}
	}
	return NULL;
}
