/* The operator JSON API (libmicrohttpd, a thread per connection, jansson):
 *   GET  /api/devices[?group=N&offset=N&limit=N]   GET /api/groups
 *   GET  /api/campaigns          POST /api/campaigns  (JSON body)
 *   GET  /api/campaigns/ID[?devices=1]
 *   POST /api/campaigns/ID/pause|resume|cancel      GET /metrics
 * With a token configured every request needs "Authorization: Bearer TOKEN".
 * A change is made and committed with the controller lock held, so no
 * device session acts on it before it is durable; when the commit fails it
 * is undone (api_undo.h) and answered 500, so the model never holds what the
 * database refused. */
#include "acs/http.h"
#include "acs/api_json.h"
#include "acs/api_undo.h"
#include "acs/auth_limit.h"
#include "acs/http_log.h"
#include "acs/campaign.h"
#include "acs/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_buffer.h"
#include "common/clock.h"
#include "common/log.h"

#define API_BODY_LIMIT (64u << 10)

struct api_server {
	struct controller *controller;
	char *token;
};

struct api_request {
	struct byte_buffer body;
	bool too_large;
};

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

/* Submits the batch and blocks until it is committed; returns its result.
 * The caller may hold the controller lock: the writer never takes it. */
static int commit_and_wait(struct controller *controller, struct store_batch *batch)
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

static enum MHD_Result reply_json(struct MHD_Connection *connection, unsigned int status, json_t *document)
{
	char *text = document ? json_dumps(document, JSON_COMPACT) : NULL;
	enum MHD_Result result;
	size_t length;

	json_decref(document);
	if (!text)
		return http_reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "application/json",
				  "{\"error\":\"out of memory\"}\n", 25);
	length = strlen(text);
	text = realloc(text, length + 2);
	if (!text)
		return MHD_NO;
	text[length++] = '\n';
	text[length] = '\0';
	result = http_reply(connection, status, "application/json", text, length);
	free(text);
	return result;
}

static enum MHD_Result reply_error(struct MHD_Connection *connection, unsigned int status, const char *message)
{
	return reply_json(connection, status, json_pack("{s:s}", "error", message));
}

static bool token_matches(const char *expected, const char *header)
{
	const char *given;
	size_t expected_length, given_length;
	unsigned char difference = 0;

	if (!header || strncmp(header, "Bearer ", 7) != 0)
		return false;
	given = header + 7;
	expected_length = strlen(expected);
	given_length = strlen(given);
	for (size_t i = 0; i < expected_length; i++)
		difference |= (unsigned char)(expected[i] ^ (i < given_length ? given[i] : 0));
	return difference == 0 && given_length == expected_length;
}

static bool parse_id(const char *text, uint32_t *id, const char **rest)
{
	char *end;
	unsigned long value = strtoul(text, &end, 10);

	if (end == text || value == 0 || value > UINT32_MAX)
		return false;
	*id = (uint32_t)value;
	*rest = end;
	return true;
}

static size_t query_number(struct MHD_Connection *connection, const char *name, size_t fallback)
{
	const char *text = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, name);
	char *end;
	unsigned long long value;

	if (!text)
		return fallback;
	value = strtoull(text, &end, 10);
	return *end || end == text ? fallback : (size_t)value;
}

static enum MHD_Result start_campaign(struct controller *controller, struct MHD_Connection *connection,
				      const struct api_request *request)
{
	struct campaign_request wanted = { 0 };
	struct membership_snapshot before;
	struct campaign *campaign = NULL;
	struct store_batch *batch;
	json_error_t json_error;
	json_t *document;
	const char *mode = "url";
	char error[256];
	json_int_t size = 0, fanout = 0, group = 0;
	int result;

	document = json_loadb(request->body.data ? request->body.data : "", request->body.length, JSON_REJECT_DUPLICATES, &json_error);
	if (!document || !json_is_object(document)) {
		snprintf(error, sizeof(error), "body is not a JSON object: %s", document ? "not an object" : json_error.text);
		json_decref(document);
		return reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	}
	if (json_unpack_ex(document, &json_error, 0, "{s:s, s:s, s:s, s:I, s?s, s?I, s?I, s?s, s?s, s?s}", "image",
			   &wanted.image_name, "origin_url", &wanted.origin_url, "sha256", &wanted.sha256, "size", &size,
			   "mode", &mode, "fanout", &fanout, "group", &group, "selector", &wanted.selector, "signature",
			   &wanted.signature, "pieces_sha256", &wanted.pieces_sha256) < 0) {
		snprintf(error, sizeof(error), "campaign needs image, origin_url, sha256, size (optional mode, fanout, "
					       "group, selector, signature, pieces_sha256): %.120s",
			 json_error.text);
		json_decref(document);
		return reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	}
	if (strcmp(mode, "url") == 0) {
		wanted.mode = CAMPAIGN_MODE_URL;
	} else if (strcmp(mode, "spv") == 0) {
		wanted.mode = CAMPAIGN_MODE_SPV;
	} else {
		json_decref(document);
		return reply_error(connection, MHD_HTTP_BAD_REQUEST, "mode must be \"url\" or \"spv\"");
	}
	if (size <= 0 || fanout < 0 || fanout > 100000 || group < 0 || group > UINT32_MAX) {
		json_decref(document);
		return reply_error(connection, MHD_HTTP_BAD_REQUEST,
				   "size must be positive, fanout within 0..100000, group a group id");
	}
	wanted.image_size = (uint64_t)size;
	wanted.fanout = (unsigned int)fanout;
	wanted.group_id = (uint32_t)group;
	batch = store_batch_new();
	if (!batch) {
		json_decref(document);
		return MHD_NO;
	}
	pthread_mutex_lock(&controller->lock);
	if (membership_snapshot_take(controller, &before) < 0) {
		pthread_mutex_unlock(&controller->lock);
		store_batch_free(batch);
		json_decref(document);
		return reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	result = campaign_start(controller, &wanted, batch, &campaign, error, sizeof(error));
	json_decref(document);
	if (result < 0) {
		pthread_mutex_unlock(&controller->lock);
		membership_snapshot_free(&before);
		store_batch_free(batch);
		return reply_error(connection, result == -ENOENT ? MHD_HTTP_NOT_FOUND : MHD_HTTP_BAD_REQUEST, error);
	}
	result = commit_and_wait(controller, batch);
	if (result < 0) {
		api_undo_campaign_start(controller, campaign, &before);
		pthread_mutex_unlock(&controller->lock);
		membership_snapshot_free(&before);
		return reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   "campaign could not be saved: nothing was started");
	}
	membership_snapshot_free(&before);
	campaign->masters_queued_ms = monotonic_ms() - campaign->started_monotonic_ms;
	batch = store_batch_new();
	if (batch) {
		store_batch_campaign(batch, campaign);
		if (commit_and_wait(controller, batch) < 0)
			campaign->masters_queued_ms = 0; /* the figure was not saved: not shown either */
	}
	document = api_campaign_json(controller, campaign, true, false);
	pthread_mutex_unlock(&controller->lock);
	return reply_json(connection, MHD_HTTP_CREATED, document);
}

static enum MHD_Result control_campaign(struct controller *controller, struct MHD_Connection *connection,
					uint32_t id, const char *action)
{
	struct store_batch *batch = store_batch_new();
	struct campaign_snapshot before;
	struct campaign *campaign;
	json_t *document = NULL;
	char message[128];
	int result;

	if (!batch)
		return MHD_NO;
	pthread_mutex_lock(&controller->lock);
	campaign = campaign_by_id(controller, id);
	result = !campaign ? -ENOENT : campaign_snapshot_take(campaign, &before);
	if (result == 0) {
		result = campaign_control(controller, campaign, action, batch);
		if (result == 0) {
			int committed = commit_and_wait(controller, batch);

			batch = NULL; /* the store's now */
			if (committed < 0) {
				campaign_snapshot_restore(campaign, &before);
				result = -EIO;
			}
		}
		campaign_snapshot_free(&before);
	}
	snprintf(message, sizeof(message), "campaign %u is %s: cannot %s", id,
		 campaign ? campaign_state_name(campaign->state) : "?", action);
	if (result == 0)
		document = api_campaign_json(controller, campaign, false, false);
	pthread_mutex_unlock(&controller->lock);
	store_batch_free(batch);
	if (result == -ENOENT || result == -EINVAL)
		return reply_error(connection, MHD_HTTP_NOT_FOUND,
				   result == -ENOENT ? "no such campaign" : "no such action");
	if (result == -EALREADY)
		return reply_error(connection, MHD_HTTP_CONFLICT, message);
	if (result < 0)
		return reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR,
				   result == -ENOMEM ? "out of memory"
							   : "change could not be saved: nothing was changed");
	return reply_json(connection, MHD_HTTP_OK, document);
}

static enum MHD_Result route_campaign(struct controller *controller, struct MHD_Connection *connection,
				      const char *method, const char *path, const struct api_request *request)
{
	const char *rest;
	uint32_t id;
	json_t *document;
	struct campaign *campaign;

	if (!parse_id(path, &id, &rest))
		return reply_error(connection, MHD_HTTP_NOT_FOUND, "campaign id must be a positive number");
	if (*rest == '/' && strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return control_campaign(controller, connection, id, rest + 1);
	if (*rest || strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
	(void)request;
	pthread_mutex_lock(&controller->lock);
	campaign = campaign_by_id(controller, id);
	document = campaign ? api_campaign_json(controller, campaign, true, query_number(connection, "devices", 0) != 0)
			    : NULL;
	pthread_mutex_unlock(&controller->lock);
	if (!campaign)
		return reply_error(connection, MHD_HTTP_NOT_FOUND, "no such campaign");
	return reply_json(connection, MHD_HTTP_OK, document);
}

static enum MHD_Result route(struct controller *controller, struct MHD_Connection *connection, const char *url,
			     const char *method, const struct api_request *request)
{
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0, post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	json_t *document;

	if (get && strcmp(url, "/metrics") == 0) {
		size_t pending = store_pending(controller->store);
		char *text;
		enum MHD_Result result;

		pthread_mutex_lock(&controller->lock);
		text = api_metrics_text(controller, pending);
		pthread_mutex_unlock(&controller->lock);
		if (!text)
			return MHD_NO;
		result = http_reply(connection, MHD_HTTP_OK, "text/plain; version=0.0.4", text, strlen(text));
		free(text);
		return result;
	}
	if (get && strcmp(url, "/api/devices") == 0) {
		size_t group = query_number(connection, "group", 0);

		pthread_mutex_lock(&controller->lock);
		document = api_devices_json(controller, (uint32_t)group, query_number(connection, "offset", 0),
					    query_number(connection, "limit", 1000));
		pthread_mutex_unlock(&controller->lock);
		return reply_json(connection, MHD_HTTP_OK, document);
	}
	if (get && strcmp(url, "/api/groups") == 0) {
		pthread_mutex_lock(&controller->lock);
		document = api_groups_json(controller);
		pthread_mutex_unlock(&controller->lock);
		return reply_json(connection, MHD_HTTP_OK, document);
	}
	if (strcmp(url, "/api/campaigns") == 0) {
		if (post)
			return start_campaign(controller, connection, request);
		if (!get)
			return reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET or POST");
		pthread_mutex_lock(&controller->lock);
		document = api_campaigns_json(controller);
		pthread_mutex_unlock(&controller->lock);
		return reply_json(connection, MHD_HTTP_OK, document);
	}
	if (strncmp(url, "/api/campaigns/", 15) == 0)
		return route_campaign(controller, connection, method, url + 15, request);
	return reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
}

static enum MHD_Result handle_request(void *argument, struct MHD_Connection *connection, const char *url,
				      const char *method, const char *version, const char *upload_data,
				      size_t *upload_data_size, void **context)
{
	struct api_server *server = argument;
	struct api_request *request = *context;

	(void)version;
	if (!request) {
		if (server->token) {
			const char *authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
										MHD_HTTP_HEADER_AUTHORIZATION);
			enum MHD_Result queued;

			if (auth_limit_refuse(server->controller->api_logins, connection, &queued))
				return queued;
			if (!token_matches(server->token, authorization)) {
				if (authorization)
					auth_limit_failed(server->controller->api_logins, connection, "api");
				return reply_error(connection, MHD_HTTP_UNAUTHORIZED,
						   "missing or wrong API token (Authorization: Bearer ...)");
			}
		}
		request = calloc(1, sizeof(*request));
		if (!request)
			return MHD_NO;
		*context = request;
		return MHD_YES;
	}
	if (*upload_data_size) {
		int result = request->too_large ? 0
						 : byte_buffer_append(&request->body, upload_data, *upload_data_size,
								      API_BODY_LIMIT);

		if (result == -E2BIG)
			request->too_large = true;
		else if (result < 0)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (request->too_large)
		return reply_error(connection, MHD_HTTP_CONTENT_TOO_LARGE, "request body over 64 KiB");
	return route(server->controller, connection, url, method, request);
}

static void request_completed(void *argument, struct MHD_Connection *connection, void **context,
			      enum MHD_RequestTerminationCode code)
{
	struct api_request *request = *context;

	(void)argument;
	(void)connection;
	(void)code;
	if (request) {
		byte_buffer_free(&request->body);
		free(request);
		*context = NULL;
	}
}

int api_server_start(struct controller *controller, const char *token, struct MHD_Daemon **daemon, uint16_t *port)
{
	static struct api_server server;
	struct MHD_OptionItem options[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)http_log_limited, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, 256, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	server.controller = controller;
	server.token = token ? strdup(token) : NULL;
	*daemon = http_start_daemon(controller->config.api_address,
				    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG,
				    handle_request, &server, options, port);
	if (!*daemon) {
		free(server.token);
		server.token = NULL;
		return -EADDRNOTAVAIL;
	}
	return 0;
}
