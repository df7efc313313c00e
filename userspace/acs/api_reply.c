/* The operator API's shared helpers (see api_http.h): replies with the
 * headers every answer carries, commits the API waits for, query strings,
 * JSON bodies and device references. */
#include "acs/api_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result api_reply_bytes(struct MHD_Connection *connection, unsigned int status, const char *content_type,
				const void *data, size_t length, bool persistent, const char *const *headers)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(
		length, (void *)(data ? data : ""), persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	enum MHD_Result result;

	if (!response)
		return MHD_NO;
	if (content_type)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	/* operator data: never cached, never sniffed into another type, never framed */
	MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(response, "X-Frame-Options", "DENY");
	MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
	for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
		MHD_add_response_header(response, headers[i], headers[i + 1]);
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

enum MHD_Result api_reply_json(struct MHD_Connection *connection, unsigned int status, json_t *document)
{
	char *text = document ? json_dumps(document, JSON_COMPACT) : NULL;
	enum MHD_Result result;
	size_t length;

	json_decref(document);
	if (!text) {
		static const char out_of_memory[] = "{\"error\":\"out of memory\"}\n";

		return api_reply_bytes(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json", out_of_memory,
				       sizeof(out_of_memory) - 1, true, NULL);
	}
	length = strlen(text);
	text = realloc(text, length + 2);
	if (!text)
		return MHD_NO;
	text[length++] = '\n';
	text[length] = '\0';
	result = api_reply_bytes(connection, status, "application/json", text, length, false, NULL);
	free(text);
	return result;
}

enum MHD_Result api_reply_error(struct MHD_Connection *connection, unsigned int status, const char *message)
{
	return api_reply_json(connection, status, json_pack("{s:s}", "error", message));
}

struct commit_wait {
	pthread_mutex_t lock;
	pthread_cond_t done_signal;
	bool done;
	int result;
};

static void commit_done(void *argument, int result)
{
	struct commit_wait *wait = argument;

	pthread_mutex_lock(&wait->lock);
	wait->done = true;
	wait->result = result;
	pthread_cond_signal(&wait->done_signal);
	pthread_mutex_unlock(&wait->lock);
}

int api_commit_and_wait(struct controller *controller, struct store_batch *batch)
{
	struct commit_wait wait = { .done = false };
	int result;

	pthread_mutex_init(&wait.lock, NULL);
	pthread_cond_init(&wait.done_signal, NULL);
	store_submit(controller->store, batch, commit_done, &wait);
	pthread_mutex_lock(&wait.lock);
	while (!wait.done)
		pthread_cond_wait(&wait.done_signal, &wait.lock);
	result = wait.result;
	pthread_mutex_unlock(&wait.lock);
	pthread_mutex_destroy(&wait.lock);
	pthread_cond_destroy(&wait.done_signal);
	return result;
}

const char *api_query_text(struct MHD_Connection *connection, const char *name)
{
	const char *text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);

	return text && *text ? text : NULL;
}

size_t api_query_number(struct MHD_Connection *connection, const char *name, size_t fallback)
{
	const char *text = api_query_text(connection, name);
	char *end;
	unsigned long long value;

	if (!text || *text == '-')
		return fallback;
	value = strtoull(text, &end, 10);
	return *end || end == text ? fallback : (size_t)value;
}

bool api_parse_id(const char *text, uint32_t *id, const char **rest)
{
	char *end;
	unsigned long value;

	if (*text < '0' || *text > '9')
		return false;
	value = strtoul(text, &end, 10);
	if (end == text || value == 0 || value > UINT32_MAX)
		return false;
	*id = (uint32_t)value;
	*rest = end;
	return true;
}

json_t *api_body_object(const struct api_request *request, char *error, size_t error_size)
{
	json_error_t json_error;
	json_t *document = json_loadb(request->body.data ? request->body.data : "", request->body.length,
				      JSON_REJECT_DUPLICATES, &json_error);

	if (document && json_is_object(document))
		return document;
	snprintf(error, error_size, "body is not a JSON object: %s", document ? "not an object" : json_error.text);
	json_decref(document);
	return NULL;
}

struct device *api_device_from_text(struct controller *controller, const char *text)
{
	const char *rest;
	uint32_t id;

	if (!text)
		return NULL;
	if (api_parse_id(text, &id, &rest) && *rest == '\0')
		return device_by_id(controller, id);
	return device_find(controller, text);
}

struct device *api_device_named(struct controller *controller, json_t *value)
{
	if (json_is_integer(value))
		return json_integer_value(value) > 0 && json_integer_value(value) <= UINT32_MAX
			       ? device_by_id(controller, (uint32_t)json_integer_value(value))
			       : NULL;
	return json_is_string(value) ? api_device_from_text(controller, json_string_value(value)) : NULL;
}
