/* SHA256SUMS text: parsing (strict names, duplicates resolved), lookup,
 * rendering, and reading the file from an image directory. */
#include "common/manifest.h"

#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool manifest_name_is_valid(const char *name, size_t length)
{
	if (length == 0 || length > MANIFEST_NAME_MAX)
		return false;
	if ((length == 1 && name[0] == '.') || (length == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
			return false;
	}
	return true;
}

static int compare_entries(const void *left, const void *right)
{
	const struct manifest_entry *a = left;
	const struct manifest_entry *b = right;

	return strcmp(a->name, b->name);
}

/* Parses one line (without its newline) into entry; false when malformed. */
static bool parse_line(const char *line, size_t length, struct manifest_entry *entry)
{
	char hex[SHA256_HEX_LENGTH + 1];
	const char *name;
	size_t name_length;

	if (length > 0 && line[length - 1] == '\r')
		length--;
	/* "<64 hex><space><space or *><name>" */
	if (length < SHA256_HEX_LENGTH + 3 || line[SHA256_HEX_LENGTH] != ' ')
		return false;
	if (line[SHA256_HEX_LENGTH + 1] != ' ' && line[SHA256_HEX_LENGTH + 1] != '*')
		return false;
	memcpy(hex, line, SHA256_HEX_LENGTH);
	hex[SHA256_HEX_LENGTH] = '\0';
	if (sha256_from_hex(hex, entry->sha256) != 0)
		return false;
	name = line + SHA256_HEX_LENGTH + 2;
	name_length = length - SHA256_HEX_LENGTH - 2;
	if (memchr(name, '\0', name_length) != NULL || !manifest_name_is_valid(name, name_length))
		return false;
	memcpy(entry->name, name, name_length);
	entry->name[name_length] = '\0';
	return true;
}

static void note_rejected(struct manifest *manifest, size_t line_number)
{
	manifest->rejected_lines++;
	if (manifest->first_rejected_line == 0)
		manifest->first_rejected_line = line_number;
}

/* Sorts by name and removes duplicates: equal hashes keep one entry,
 * different hashes drop the name entirely. */
static void resolve_duplicates(struct manifest *manifest)
{
	size_t kept = 0;
	size_t i = 0;

	if (manifest->count > 1) /* an empty manifest has no array: qsort(NULL) is undefined */
		qsort(manifest->entries, manifest->count, sizeof(manifest->entries[0]), compare_entries);
	while (i < manifest->count) {
		size_t run = i + 1;
		bool agree = true;

		while (run < manifest->count &&
		       strcmp(manifest->entries[run].name, manifest->entries[i].name) == 0) {
			if (memcmp(manifest->entries[run].sha256, manifest->entries[i].sha256,
				   SHA256_DIGEST_BYTES) != 0)
				agree = false;
			run++;
		}
		if (agree) {
			if (kept != i)
				manifest->entries[kept] = manifest->entries[i];
			kept++;
		}
		manifest->rejected_lines += run - i - (agree ? 1 : 0);
		i = run;
	}
	manifest->count = kept;
}

int manifest_parse(const char *text, size_t length, struct manifest *manifest)
{
	size_t capacity = 0;
	size_t line_number = 0;
	const char *cursor = text;
	const char *end = text + length;

	memset(manifest, 0, sizeof(*manifest));
	while (cursor < end) {
		const char *newline = memchr(cursor, '\n', (size_t)(end - cursor));
		size_t line_length = (size_t)((newline ? newline : end) - cursor);

		line_number++;
		if (line_length == 0 || cursor[0] == '#' ||
		    (line_length == 1 && cursor[0] == '\r')) {
			cursor += line_length + 1;
			continue;
		}
		if (manifest->count == capacity) {
			size_t grown = capacity ? capacity * 2 : 16;
			struct manifest_entry *entries;

			if (capacity >= MANIFEST_MAX_ENTRIES) {
				manifest_free(manifest);
				return -E2BIG;
			}
			entries = realloc(manifest->entries, grown * sizeof(*entries));
			if (entries == NULL) {
				manifest_free(manifest);
				return -ENOMEM;
			}
			manifest->entries = entries;
			capacity = grown;
		}
		if (parse_line(cursor, line_length, &manifest->entries[manifest->count]))
			manifest->count++;
		else
			note_rejected(manifest, line_number);
		cursor += line_length + 1;
	}
	resolve_duplicates(manifest);
	return 0;
}

void manifest_free(struct manifest *manifest)
{
	free(manifest->entries);
	memset(manifest, 0, sizeof(*manifest));
}

const struct manifest_entry *manifest_find(const struct manifest *manifest, const char *name)
{
	struct manifest_entry key;

	if (strlen(name) > MANIFEST_NAME_MAX || manifest->count == 0)
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, manifest->entries, manifest->count, sizeof(key), compare_entries);
}

int manifest_set_entry(struct manifest *manifest, const char *name,
		       const uint8_t sha256[SHA256_DIGEST_BYTES])
{
	struct manifest_entry *existing;
	struct manifest_entry *entries;

	if (!manifest_name_is_valid(name, strlen(name)))
		return -EINVAL;
	existing = (struct manifest_entry *)manifest_find(manifest, name);
	if (existing != NULL) {
		memcpy(existing->sha256, sha256, SHA256_DIGEST_BYTES);
		return 0;
	}
	if (manifest->count >= MANIFEST_MAX_ENTRIES)
		return -E2BIG;
	entries = realloc(manifest->entries, (manifest->count + 1) * sizeof(*entries));
	if (entries == NULL)
		return -ENOMEM;
	manifest->entries = entries;
	strcpy(entries[manifest->count].name, name);
	memcpy(entries[manifest->count].sha256, sha256, SHA256_DIGEST_BYTES);
	manifest->count++;
	qsort(entries, manifest->count, sizeof(*entries), compare_entries);
	return 0;
}

int manifest_format(const struct manifest *manifest, char **text, size_t *length)
{
	size_t capacity = 1;
	size_t used = 0;
	char *buffer;

	for (size_t i = 0; i < manifest->count; i++)
		capacity += SHA256_HEX_LENGTH + 3 + strlen(manifest->entries[i].name);
	buffer = malloc(capacity);
	if (buffer == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < manifest->count; i++) {
		char hex[SHA256_HEX_LENGTH + 1];

		sha256_to_hex(manifest->entries[i].sha256, hex);
		used += (size_t)snprintf(buffer + used, capacity - used, "%s  %s\n", hex,
					 manifest->entries[i].name);
	}
	buffer[used] = '\0';
	*text = buffer;
	*length = used;
	return 0;
}

int manifest_read(int directory_fd, struct manifest *manifest)
{
	char *text = NULL;
	size_t length = 0;
	int result;
	int fd = openat(directory_fd, MANIFEST_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		memset(manifest, 0, sizeof(*manifest));
		return 0;
	}
	if (fd < 0)
		return -errno;
	result = read_whole_fd(fd, MANIFEST_MAX_BYTES, &text, &length);
	close(fd);
	if (result == 0)
		result = manifest_parse(text, length, manifest);
	free(text);
	return result;
}
