/* Bump allocator for decoded CWMP messages: chunks of at least 4 KiB,
 * freed together. */
#include "cwmp/arena_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK_BYTES 4096
#define ARENA_ALIGN       16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct cwmp_arena {
	struct arena_chunk *chunks;
};

struct cwmp_arena *cwmp_arena_new(void)
{
	return calloc(1, sizeof(struct cwmp_arena));
}

void cwmp_arena_free(struct cwmp_arena *arena)
{
	struct arena_chunk *chunk, *next;

	if (!arena)
		return;
	for (chunk = arena->chunks; chunk; chunk = next) {
		next = chunk->next;
		free(chunk);
	}
	free(arena);
}

void *cwmp_arena_alloc(struct cwmp_arena *arena, size_t size)
{
	struct arena_chunk *chunk = arena->chunks;
	size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *memory;

	if (size == 0)
		rounded = ARENA_ALIGN;
	if (rounded < size)
		return NULL;
	if (!chunk || chunk->size - chunk->used < rounded) {
		size_t capacity = rounded > ARENA_CHUNK_BYTES ? rounded : ARENA_CHUNK_BYTES;

		if (capacity > SIZE_MAX - sizeof(*chunk))
			return NULL;
		chunk = malloc(sizeof(*chunk) + capacity);
		if (!chunk)
			return NULL;
		chunk->size = capacity;
		chunk->used = 0;
		chunk->next = arena->chunks;
		arena->chunks = chunk;
	}
	memory = chunk->data + chunk->used;
	chunk->used += rounded;
	memset(memory, 0, rounded);
	return memory;
}

char *cwmp_arena_strndup(struct cwmp_arena *arena, const char *text, size_t length)
{
	char *copy;

	if (length == SIZE_MAX)
		return NULL;
	copy = cwmp_arena_alloc(arena, length + 1);
	if (!copy)
		return NULL;
	memcpy(copy, text, length);
	copy[length] = '\0';
	return copy;
}
