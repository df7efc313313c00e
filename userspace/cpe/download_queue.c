/* DATA_DIR/downloads.json and the worker's wake-ups (see download_queue.h). */
#include "cpe/download_queue.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/manifest.h"
#include "cpe/json_file.h"

static json_t *request_json(const struct download_request *request)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:s, s:s}", "command_key",
			 request->command_key, "url", request->url, "username", request->username, "password",
			 request->password, "file_size", (json_int_t)request->file_size, "target_name",
			 request->target_name, "sha256", request->sha256, "accepted_at", (json_int_t)request->accepted_at,
			 "not_before", (json_int_t)request->not_before, "started_at", (json_int_t)request->started_at,
			 "signature", request->signature, "pieces_sha256", request->pieces_sha256);
}

static bool copy_member(char *out, size_t size, const json_t *object, const char *key)
{
	const char *value = json_member_string(object, key, "");

	return snprintf(out, size, "%s", value) < (int)size;
}

static bool request_from_json(const json_t *object, struct download_request *request)
{
	memset(request, 0, sizeof(*request));
	if (!copy_member(request->command_key, sizeof(request->command_key), object, "command_key") ||
	    !copy_member(request->url, sizeof(request->url), object, "url") ||
	    !copy_member(request->username, sizeof(request->username), object, "username") ||
	    !copy_member(request->password, sizeof(request->password), object, "password") ||
	    !copy_member(request->target_name, sizeof(request->target_name), object, "target_name") ||
	    !copy_member(request->sha256, sizeof(request->sha256), object, "sha256") ||
	    !copy_member(request->signature, sizeof(request->signature), object, "signature") ||
	    !copy_member(request->pieces_sha256, sizeof(request->pieces_sha256), object, "pieces_sha256"))
		return false;
	request->file_size = json_member_unsigned(object, "file_size", 0);
	request->accepted_at = json_member_unsigned(object, "accepted_at", 0);
	request->not_before = json_member_unsigned(object, "not_before", 0);
	request->started_at = json_member_unsigned(object, "started_at", 0);
	/* The image name and the hash become file names (images/NAME,
	 * downloads/HASH.part): refuse what the agent would never write. */
	return request->url[0] && manifest_name_is_valid(request->target_name, strlen(request->target_name)) &&
	       (!request->sha256[0] || (strlen(request->sha256) == 64 &&
					strspn(request->sha256, "0123456789abcdef") == 64)) &&
	       (!request->pieces_sha256[0] || (strlen(request->pieces_sha256) == 64 &&
					       strspn(request->pieces_sha256, "0123456789abcdef") == 64));
}

static int save_locked(struct download_queue *queue)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < queue->count; i++) {
		if (json_array_append_new(list, request_json(&queue->records[i])) < 0) {
			json_decref(list);
			return -ENOMEM;
		}
	}
	return json_file_save_member(queue->path, "downloads", list);
}

int download_queue_open(struct download_queue *queue, const char *data_dir)
{
	json_t *document = NULL, *entry;
	size_t index;
	int result;

	memset(queue, 0, sizeof(*queue));
	pthread_mutex_init(&queue->lock, NULL);
	monotonic_condition_init(&queue->changed);
	result = json_file_open_state(data_dir, "downloads.json", queue->path, sizeof(queue->path), &document);
	if (result < 0 || !document)
		return result;
	json_array_foreach(json_object_get(document, "downloads"), index, entry)
	{
		if (queue->count == DOWNLOAD_QUEUE_MAX)
			break;
		if (request_from_json(entry, &queue->records[queue->count]))
			queue->count++;
		else
			log_warn("%s: skipping a malformed download entry", queue->path);
	}
	json_decref(document);
	if (queue->count)
		log_info("%zu download(s) from an earlier run to carry on with", queue->count);
	return 0;
}

void download_queue_close(struct download_queue *queue)
{
	pthread_cond_destroy(&queue->changed);
	pthread_mutex_destroy(&queue->lock);
}

int download_queue_push(struct download_queue *queue, const struct download_request *request)
{
	int result;

	pthread_mutex_lock(&queue->lock);
	if (queue->count == DOWNLOAD_QUEUE_MAX) {
		pthread_mutex_unlock(&queue->lock);
		return -EBUSY;
	}
	queue->records[queue->count++] = *request;
	result = save_locked(queue);
	if (result < 0) {
		queue->count--;
	} else {
		const struct download_request *first = &queue->records[0];

		if (queue->count > 1 && first->started_at && first->sha256[0] &&
		    strcmp(first->sha256, request->sha256) == 0 &&
		    strcmp(first->command_key, request->command_key) != 0) {
			queue->first_superseded = true;
			snprintf(queue->superseded_by, sizeof(queue->superseded_by), "%s", request->command_key);
		}
		pthread_cond_broadcast(&queue->changed);
	}
	pthread_mutex_unlock(&queue->lock);
	return result;
}

bool download_queue_first(struct download_queue *queue, struct download_request *request)
{
	bool found;

	pthread_mutex_lock(&queue->lock);
	found = queue->count > 0;
	if (found)
		*request = queue->records[0];
	pthread_mutex_unlock(&queue->lock);
	return found;
}

int download_queue_update(struct download_queue *queue, const struct download_request *request)
{
	int result = -ENOENT;

	pthread_mutex_lock(&queue->lock);
	for (size_t i = 0; i < queue->count; i++) {
		if (strcmp(queue->records[i].command_key, request->command_key) == 0) {
			queue->records[i] = *request;
			result = save_locked(queue);
			break;
		}
	}
	pthread_mutex_unlock(&queue->lock);
	return result;
}

static int remove_locked(struct download_queue *queue, const char *command_key)
{
	for (size_t i = 0; i < queue->count; i++) {
		if (strcmp(queue->records[i].command_key, command_key) == 0) {
			memmove(&queue->records[i], &queue->records[i + 1],
				(queue->count - i - 1) * sizeof(queue->records[0]));
			queue->count--;
			return save_locked(queue);
		}
	}
	return -ENOENT;
}

int download_queue_remove(struct download_queue *queue, const char *command_key)
{
	int result;

	pthread_mutex_lock(&queue->lock);
	result = remove_locked(queue, command_key);
	pthread_mutex_unlock(&queue->lock);
	return result;
}

size_t download_queue_count(struct download_queue *queue)
{
	size_t count;

	pthread_mutex_lock(&queue->lock);
	count = queue->count;
	pthread_mutex_unlock(&queue->lock);
	return count;
}

size_t download_queue_list(struct download_queue *queue, struct download_request requests[DOWNLOAD_QUEUE_MAX])
{
	size_t count;

	pthread_mutex_lock(&queue->lock);
	count = queue->count;
	memcpy(requests, queue->records, count * sizeof(queue->records[0]));
	pthread_mutex_unlock(&queue->lock);
	return count;
}

void download_queue_reconcile(struct download_queue *queue, struct transfer_store *transfers)
{
	pthread_mutex_lock(&queue->lock);
	for (size_t i = 0; i < queue->count;) {
		if (transfer_store_contains(transfers, queue->records[i].command_key)) {
			log_info("download %s already finished before the restart", queue->records[i].command_key);
			remove_locked(queue, queue->records[i].command_key);
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&queue->lock);
}

bool download_queue_wait(struct download_queue *queue, uint64_t timeout_ms)
{
	struct timespec deadline;
	bool ready;

	monotonic_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&queue->lock);
	while (!queue->stopping && queue->count == 0)
		if (pthread_cond_timedwait(&queue->changed, &queue->lock, &deadline) == ETIMEDOUT)
			break;
	ready = !queue->stopping && queue->count > 0;
	pthread_mutex_unlock(&queue->lock);
	return ready;
}

bool download_queue_sleep(struct download_queue *queue, uint64_t timeout_ms)
{
	struct timespec deadline;
	bool stopping;

	monotonic_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&queue->lock);
	while (!queue->stopping)
		if (pthread_cond_timedwait(&queue->changed, &queue->lock, &deadline) == ETIMEDOUT)
			break;
	stopping = queue->stopping;
	pthread_mutex_unlock(&queue->lock);
	return !stopping;
}

void download_queue_stop(struct download_queue *queue)
{
	pthread_mutex_lock(&queue->lock);
	queue->stopping = true;
	pthread_cond_broadcast(&queue->changed);
	pthread_mutex_unlock(&queue->lock);
}

bool download_queue_stopping(struct download_queue *queue)
{
	bool stopping;

	pthread_mutex_lock(&queue->lock);
	stopping = queue->stopping;
	pthread_mutex_unlock(&queue->lock);
	return stopping;
}

bool download_queue_superseded(struct download_queue *queue, char *by, bool clear)
{
	bool superseded;

	pthread_mutex_lock(&queue->lock);
	superseded = queue->first_superseded;
	if (superseded && by)
		snprintf(by, COMMAND_KEY_MAX + 1, "%s", queue->superseded_by);
	if (clear)
		queue->first_superseded = false;
	pthread_mutex_unlock(&queue->lock);
	return superseded;
}

bool download_queue_stopping_or_superseded(struct download_queue *queue)
{
	bool stop;

	pthread_mutex_lock(&queue->lock);
	stop = queue->stopping || queue->first_superseded;
	pthread_mutex_unlock(&queue->lock);
	return stop;
}
