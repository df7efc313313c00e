/* The agent's small state files (parameters, download queue, pending
 * TransferCompletes, bootstrap state): JSON documents read with a size cap
 * and replaced atomically (temp + fsync + rename + fsync of the folder), so
 * a kill -9 leaves the old document or the new one, never half of one. */
#ifndef CASCADE_CPE_JSON_FILE_H
#define CASCADE_CPE_JSON_FILE_H

#include <jansson.h>

#define JSON_FILE_MAX_BYTES (4u << 20)

/* Loads path into *document (an object). -ENOENT when missing, -EINVAL
 * (logged with the reason) when not a JSON object. */
int json_file_load(const char *path, json_t **document);
/* Writes document to path atomically, mode 0600. */
int json_file_save(const char *path, const json_t *document);
/* Saves {"format": 1, key: value} atomically; always takes the reference
 * to value. Logs a failure. */
int json_file_save_member(const char *path, const char *key, json_t *value);
/* Builds DATA_DIR/NAME into path and loads it: 0 with *document NULL when
 * the file is missing or corrupt (a first start, logged), 0 with the
 * document, or a negative errno. */
int json_file_open_state(const char *data_dir, const char *name, char *path, size_t path_size, json_t **document);
/* "dir/name" into out; -ENAMETOOLONG when it does not fit. */
int json_file_path(char *out, size_t size, const char *directory, const char *name);
/* A string member, or fallback when absent or not a string. */
const char *json_member_string(const json_t *object, const char *key, const char *fallback);
/* An integer member >= 0, or fallback. */
unsigned long long json_member_unsigned(const json_t *object, const char *key, unsigned long long fallback);

#endif
