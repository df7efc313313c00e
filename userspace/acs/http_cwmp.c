/* The CWMP HTTP server: libmicrohttpd with an epoll thread pool. Each POST
 * body is collected (size-capped), authenticated (Basic/Digest, once per
 * session), handed to the session engine, and - when the request changed
 * durable state - the connection is suspended until the store has committed
 * the change, so an acknowledged Inform or TransferComplete survives a
 * kill -9. */
#include "acs/http.h"
#include "acs/auth.h"
#include "acs/auth_limit.h"
#include "acs/connection_guard.h"
#include "acs/http_log.h"
#include "acs/session.h"
#include "acs/store.h"
#include "acs/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_buffer.h"
#include "common/log.h"
#include "common/parse.h"

enum request_stage { STAGE_RECEIVING = 0, STAGE_WAITING_COMMIT, STAGE_READY };

struct connection_state {
	struct session *session;
	struct guarded_connection *guard; /* request deadline (connection_guard.h) */
};

struct cwmp_request {
	struct controller *controller;
	struct MHD_Connection *connection;
	struct byte_buffer body;
	bool too_large;
	const char *device_key;
	bool session_authenticated; /* see struct cwmp_exchange */
	struct cwmp_reply reply;
	int stage;
	int commit_result;
};

static void on_commit(void *argument, int result)
{
	struct cwmp_request *request = argument;

	request->commit_result = result;
	__atomic_sub_fetch(&request->controller->metrics.replies_waiting, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&request->stage, STAGE_READY, __ATOMIC_RELEASE);
	MHD_resume_connection(request->connection);
}

static enum MHD_Result send_reply(struct cwmp_request *request)
{
	struct cwmp_reply *reply = &request->reply;
	struct MHD_Response *response;
	enum MHD_Result result;
	char header[128];

	if (request->commit_result < 0) { /* nothing was acknowledged: let the device retry */
		free(reply->body);
		reply->body = NULL;
		reply->length = 0;
		reply->http_status = 503;
		reply->retry_after = request->controller->config.retry_after_seconds;
		reply->cookie[0] = '\0';
	}
	response = MHD_create_response_from_buffer(reply->length, reply->body ? reply->body : (void *)"",
						   MHD_RESPMEM_PERSISTENT);
	if (!response)
		return MHD_NO;
	if (reply->body)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/xml; charset=\"utf-8\"");
	if (reply->cookie[0]) {
		snprintf(header, sizeof(header), "%s=%s; Path=/; HttpOnly", SESSION_COOKIE_NAME, reply->cookie);
		MHD_add_response_header(response, MHD_HTTP_HEADER_SET_COOKIE, header);
	}
	if (reply->http_status == 503) {
		snprintf(header, sizeof(header), "%u", reply->retry_after ? reply->retry_after : 5);
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, header);
	}
	result = MHD_queue_response(request->connection, (unsigned int)reply->http_status, response);
	MHD_destroy_response(response);
	return result;
}

static void peer_address(struct MHD_Connection *connection, char *text, size_t size)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	text[0] = '\0';
	if (info && info->client_addr)
		format_socket_host(info->client_addr, text, size);
}

static struct connection_state *state_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return info ? info->socket_context : NULL;
}

static enum MHD_Result start_request(struct controller *controller, struct MHD_Connection *connection,
				     const char *url, const char *method, void **context)
{
	struct connection_state *state = state_of(connection);
	struct cwmp_request *request;
	const char *device_key = NULL;
	bool session_authenticated = false;

	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		static const char text[] = "CWMP wants POST\n";

		return http_reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", text, sizeof(text) - 1);
	}
	if (controller->config.auth_mode != ACS_AUTH_NONE)
		session_authenticated =
			session_known(controller, state ? state->session : NULL,
				      MHD_lookup_connection_value(connection, MHD_COOKIE_KIND, SESSION_COOKIE_NAME));
	if (controller->config.auth_mode != ACS_AUTH_NONE && !session_authenticated) {
		enum MHD_Result queued;
		enum auth_result result;

		if (auth_limit_refuse(controller->cwmp_logins, connection, &queued))
			return queued;
		result = auth_check(&controller->config, controller->credentials, controller->digest_nonces, connection,
				    method, url, &device_key);
		if (result == AUTH_BAD_CREDENTIALS)
			auth_limit_failed(controller->cwmp_logins, connection, "cwmp");
		if (result == AUTH_REJECTED || result == AUTH_BAD_CREDENTIALS) {
			__atomic_add_fetch(&controller->metrics.auth_failures, 1, __ATOMIC_RELAXED);
			return MHD_YES;
		}
		if (result == AUTH_ERROR)
			return MHD_NO;
	}
	request = calloc(1, sizeof(*request));
	if (!request)
		return MHD_NO;
	request->controller = controller;
	request->connection = connection;
	request->device_key = device_key;
	request->session_authenticated = session_authenticated;
	*context = request;
	return MHD_YES;
}

static void append_body(struct cwmp_request *request, const char *data, size_t size)
{
	if (!request->too_large &&
	    byte_buffer_append(&request->body, data, size, request->controller->config.max_request_bytes) != 0)
		request->too_large = true;
}

static enum MHD_Result handle_request(void *argument, struct MHD_Connection *connection, const char *url,
				      const char *method, const char *version, const char *upload_data,
				      size_t *upload_data_size, void **context)
{
	struct controller *controller = argument;
	struct cwmp_request *request = *context;
	struct connection_state *state;
	struct store_batch *batch = NULL;
	struct cwmp_exchange exchange;
	char address[80];
	int stage;

	(void)version;
	if (!request)
		return start_request(controller, connection, url, method, context);
	stage = __atomic_load_n(&request->stage, __ATOMIC_ACQUIRE);
	if (stage == STAGE_READY)
		return send_reply(request);
	if (stage == STAGE_WAITING_COMMIT)
		return MHD_YES;
	if (*upload_data_size) {
		append_body(request, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (request->too_large) {
		static const char text[] = "CWMP envelope too large\n";

		return http_reply(connection, MHD_HTTP_CONTENT_TOO_LARGE, "text/plain", text, sizeof(text) - 1);
	}
	state = state_of(connection);
	if (!state)
		return MHD_NO;
	connection_guard_request_received(controller->guard, state->guard);
	peer_address(connection, address, sizeof(address));
	exchange = (struct cwmp_exchange){
		.body = request->body.data ? request->body.data : "",
		.length = request->body.length,
		.cookie = MHD_lookup_connection_value(connection, MHD_COOKIE_KIND, SESSION_COOKIE_NAME),
		.address = address,
		.bound_device_key = request->device_key,
		.session_authenticated = request->session_authenticated,
		.connection_session = &state->session,
	};
	if (session_handle(controller, &exchange, &request->reply, &batch) < 0)
		return MHD_NO;
	if (!batch)
		return send_reply(request);
	if (!store_batch_must_wait(batch)) { /* timeline rows only: they never hold a reply back */
		store_submit(controller->store, batch, NULL, NULL);
		return send_reply(request);
	}
	request->stage = STAGE_WAITING_COMMIT;
	__atomic_add_fetch(&controller->metrics.replies_waiting, 1, __ATOMIC_RELAXED);
	MHD_suspend_connection(connection);
	store_submit(controller->store, batch, on_commit, request);
	return MHD_YES;
}

static void request_completed(void *argument, struct MHD_Connection *connection, void **context,
			      enum MHD_RequestTerminationCode code)
{
	struct controller *controller = argument;
	struct cwmp_request *request = *context;
	struct connection_state *state = state_of(connection);

	(void)code;
	if (state)
		connection_guard_reply_sent(controller->guard, state->guard);
	if (!request)
		return;
	byte_buffer_free(&request->body);
	free(request->reply.body);
	free(request);
	*context = NULL;
}

static void connection_notified(void *argument, struct MHD_Connection *connection, void **socket_context,
				enum MHD_ConnectionNotificationCode code)
{
	struct controller *controller = argument;
	struct connection_state *state = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *peer =
			MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		state = calloc(1, sizeof(struct connection_state));
		if (state && fd && controller->guard)
			state->guard = connection_guard_open(controller->guard, fd->connect_fd,
							     peer ? peer->client_addr : NULL);
		*socket_context = state;
		return;
	}
	if (state) {
		connection_guard_close(controller->guard, state->guard);
		session_release(controller, state->session);
		free(state);
		*socket_context = NULL;
	}
}

int cwmp_server_start(struct controller *controller, struct MHD_Daemon **daemon, uint16_t *port)
{
	const struct acs_config *config = &controller->config;
	struct MHD_OptionItem options[16] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)http_log_limited, NULL },
		{ MHD_OPTION_THREAD_POOL_SIZE, config->threads, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, config->max_connections, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)((config->connection_timeout_ms + 999) / 1000), NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)config->max_header_bytes, NULL },
		{ MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, controller },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)connection_notified, controller },
	};
	size_t count = 8;
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;

	if ((config->auth_mode & ACS_AUTH_DIGEST) && !controller->digest_nonces &&
	    digest_nonces_new(config->digest_nonces, config->digest_nonce_lifetime_ms, &controller->digest_nonces) < 0)
		return -ENOMEM;
	if (config->max_connections_per_address)
		options[count++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
							    config->max_connections_per_address, NULL };
	if (acs_tls_options(config, options, &count, sizeof(options) / sizeof(options[0]) - 1, &flags) < 0)
		return -EINVAL;
	options[count] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	*daemon = http_start_daemon(config->cwmp_address, flags, handle_request, controller, options, port);
	return *daemon ? 0 : -EADDRNOTAVAIL;
}
