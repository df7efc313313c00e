/* Bounded JSON reads and atomic JSON writes (see json_file.h). */
#include "cpe/json_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/log_limit.h"

int json_file_path(char *out, size_t size, const char *directory, const char *name)
{
	return snprintf(out, size, "%s/%s", directory, name) >= (int)size ? -ENAMETOOLONG : 0;
}

int json_file_load(const char *path, json_t **document)
{
	json_error_t error;
	char *text = NULL;
	size_t length = 0;
	int result;

	*document = NULL;
	result = read_whole_file(path, JSON_FILE_MAX_BYTES, &text, &length);
	if (result < 0)
		return result;
	*document = json_loadb(text, length, JSON_REJECT_DUPLICATES, &error);
	free(text);
	if (!*document || !json_is_object(*document)) {
		log_error("%s is not a JSON object (%s at line %d); ignoring it", path,
			  *document ? "not an object" : error.text, error.line);
		json_decref(*document);
		*document = NULL;
		return -EINVAL;
	}
	return 0;
}

int json_file_save(const char *path, const json_t *document)
{
	char *text = json_dumps(document, JSON_INDENT(1) | JSON_SORT_KEYS);
	int result;

	if (!text)
		return -ENOMEM;
	result = atomic_write_file(path, text, strlen(text), 0600);
	free(text);
	return result;
}

const char *json_member_string(const json_t *object, const char *key, const char *fallback)
{
	const json_t *member = json_object_get(object, key);

	return json_is_string(member) ? json_string_value(member) : fallback;
}

unsigned long long json_member_unsigned(const json_t *object, const char *key, unsigned long long fallback)
{
	const json_t *member = json_object_get(object, key);

	if (!json_is_integer(member) || json_integer_value(member) < 0)
		return fallback;
	return (unsigned long long)json_integer_value(member);
}

int json_file_save_member(const char *path, const char *key, json_t *value)
{
	json_t *document = json_pack("{s:i, s:o}", "format", 1, key, value);
	int result;

	if (!document)
		return -ENOMEM;
	result = json_file_save(path, document);
	json_decref(document);
	if (result < 0)
		log_error_limited("cannot save %s: %s", path, strerror(-result));
	return result;
}

int json_file_open_state(const char *data_dir, const char *name, char *path, size_t path_size, json_t **document)
{
	int result;

	*document = NULL;
	result = json_file_path(path, path_size, data_dir, name);
	if (result < 0)
		return result;
	result = json_file_load(path, document);
	return result == -ENOENT || result == -EINVAL ? 0 : result;
}
