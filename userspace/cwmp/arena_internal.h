/* A bump allocator that owns every string and array of a decoded CWMP
 * message, so the whole message is freed in one call. Internal to the codec. */
#ifndef CASCADE_CWMP_ARENA_INTERNAL_H
#define CASCADE_CWMP_ARENA_INTERNAL_H

#include <stddef.h>

struct cwmp_arena;

struct cwmp_arena *cwmp_arena_new(void);
void cwmp_arena_free(struct cwmp_arena *arena);
/* Zeroed memory aligned for any type, or NULL. */
void *cwmp_arena_alloc(struct cwmp_arena *arena, size_t size);
/* A NUL-terminated copy of length bytes of text, or NULL. */
char *cwmp_arena_strndup(struct cwmp_arena *arena, const char *text, size_t length);

#endif
