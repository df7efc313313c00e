/* DATA_DIR/transfers.json (see transfer_store.h). */
#include "cpe/transfer_store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/log_limit.h"
#include "cpe/json_file.h"

static int save_locked(struct transfer_store *store)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < store->count; i++) {
		const struct transfer_record *record = &store->records[i];

		if (json_array_append_new(list, json_pack("{s:s, s:i, s:s, s:I, s:I}", "command_key",
							  record->command_key, "fault_code",
							  (json_int_t)record->fault_code, "fault_string",
							  record->fault_string, "start_time",
							  (json_int_t)record->start_time, "complete_time",
							  (json_int_t)record->complete_time)) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	}
	return json_file_save_member(store->path, "transfers", list);
}

int transfer_store_open(struct transfer_store *store, const char *data_dir)
{
	json_t *document = NULL, *entry;
	size_t index;
	int result;

	memset(store, 0, sizeof(*store));
	pthread_mutex_init(&store->lock, NULL);
	result = json_file_open_state(data_dir, "transfers.json", store->path, sizeof(store->path), &document);
	if (result < 0 || !document)
		return result;
	json_array_foreach(json_object_get(document, "transfers"), index, entry)
	{
		struct transfer_record *record = &store->records[store->count];
		const char *key = json_member_string(entry, "command_key", NULL);

		if (store->count == TRANSFER_STORE_MAX)
			break;
		if (!key || strlen(key) > COMMAND_KEY_MAX)
			continue;
		memset(record, 0, sizeof(*record));
		snprintf(record->command_key, sizeof(record->command_key), "%s", key);
		record->fault_code = (unsigned int)json_member_unsigned(entry, "fault_code", 9002);
		snprintf(record->fault_string, sizeof(record->fault_string), "%s",
			 json_member_string(entry, "fault_string", ""));
		record->start_time = json_member_unsigned(entry, "start_time", 0);
		record->complete_time = json_member_unsigned(entry, "complete_time", 0);
		store->count++;
	}
	json_decref(document);
	if (store->count)
		log_info("%zu TransferComplete(s) from an earlier run still to deliver", store->count);
	return 0;
}

void transfer_store_close(struct transfer_store *store)
{
	pthread_mutex_destroy(&store->lock);
}

static ssize_t find_locked(struct transfer_store *store, const char *command_key)
{
	for (size_t i = 0; i < store->count; i++)
		if (strcmp(store->records[i].command_key, command_key) == 0)
			return (ssize_t)i;
	return -1;
}

int transfer_store_add(struct transfer_store *store, const struct transfer_record *record)
{
	ssize_t index;
	int result;

	pthread_mutex_lock(&store->lock);
	index = find_locked(store, record->command_key);
	if (index < 0) {
		if (store->count == TRANSFER_STORE_MAX) {
			log_warn_limited("dropping the undelivered TransferComplete of %s: more than %d pending",
					 store->records[0].command_key, TRANSFER_STORE_MAX);
			memmove(&store->records[0], &store->records[1], (store->count - 1) * sizeof(store->records[0]));
			store->count--;
		}
		index = (ssize_t)store->count++;
	}
	store->records[index] = *record;
	result = save_locked(store);
	pthread_mutex_unlock(&store->lock);
	return result;
}

int transfer_store_remove(struct transfer_store *store, const char *command_key)
{
	ssize_t index;
	int result = -ENOENT;

	pthread_mutex_lock(&store->lock);
	index = find_locked(store, command_key);
	if (index >= 0) {
		memmove(&store->records[index], &store->records[index + 1],
			(store->count - (size_t)index - 1) * sizeof(store->records[0]));
		store->count--;
		result = save_locked(store);
	}
	pthread_mutex_unlock(&store->lock);
	return result;
}

size_t transfer_store_snapshot(struct transfer_store *store, struct transfer_record *records, size_t max)
{
	size_t count;

	pthread_mutex_lock(&store->lock);
	count = store->count < max ? store->count : max;
	memcpy(records, store->records, count * sizeof(records[0]));
	pthread_mutex_unlock(&store->lock);
	return count;
}

bool transfer_store_contains(struct transfer_store *store, const char *command_key)
{
	bool found;

	pthread_mutex_lock(&store->lock);
	found = find_locked(store, command_key) >= 0;
	pthread_mutex_unlock(&store->lock);
	return found;
}
