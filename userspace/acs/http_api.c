/* The operator API and web console (libmicrohttpd, a thread per
 * connection, jansson), and the optional /metrics-only listener:
 *   GET  /, /console/NAME                  the web console (api_console.c)
 *   GET  /api/session  POST /api/login|logout
 *   GET  /api/devices[?...]  GET /api/devices/ID            (api_devices.c)
 *   GET  /api/groups[?...]                                 (api_groups.c)
 *   GET|POST /api/campaigns  GET /api/campaigns/ID[/report]
 *   POST /api/campaigns/ID/pause|resume|cancel             (api_campaigns.c)
 *   GET  /api/faults[?...]  POST /api/faults/clear|retry   (api_faults.c)
 *   GET  /metrics                                          (metrics_text.c)
 * Who may call what: api_access.c. */
#include "acs/http.h"
#include "acs/api_http.h"
#include "acs/http_log.h"
#include "acs/metrics_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum MHD_Result reply_metrics(struct controller *controller, struct MHD_Connection *connection)
{
	size_t pending = store_pending(controller->store);
	enum MHD_Result result;
	char *text;

	pthread_mutex_lock(&controller->lock);
	text = metrics_text(controller, pending);
	pthread_mutex_unlock(&controller->lock);
	if (!text)
		return MHD_NO;
	result = api_reply_bytes(connection, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text,
				 strlen(text), false, NULL);
	free(text);
	return result;
}

static enum MHD_Result route(struct api_server *server, struct MHD_Connection *connection, const char *url,
			     const char *method, const struct api_request *request)
{
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;

	if (strcmp(url, "/metrics") == 0)
		return get ? reply_metrics(server->controller, connection)
			   : api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	if (server->metrics_only)
		return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "this listener serves /metrics only");
	if (strncmp(url, "/api/devices", 12) == 0)
		return api_devices_route(server, connection, method, url + 12);
	if (strcmp(url, "/api/groups") == 0)
		return get ? api_groups_route(server, connection)
			   : api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET");
	if (strncmp(url, "/api/campaigns", 14) == 0)
		return api_campaigns_route(server, connection, method, url + 14, request);
	if (strncmp(url, "/api/faults", 11) == 0)
		return api_faults_route(server, connection, method, url + 11, request);
	return api_console_route(server, connection, method, url, request);
}

static enum MHD_Result handle_request(void *argument, struct MHD_Connection *connection, const char *url,
				      const char *method, const char *version, const char *upload_data,
				      size_t *upload_data_size, void **context)
{
	struct api_server *server = argument;
	struct api_request *request = *context;

	(void)version;
	if (!request) {
		enum MHD_Result queued;

		request = calloc(1, sizeof(*request));
		if (!request)
			return MHD_NO;
		if (!api_access_check(server, connection, url, method, request, &queued)) {
			free(request);
			return queued;
		}
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
		return api_reply_error(connection, MHD_HTTP_CONTENT_TOO_LARGE, "request body over 64 KiB");
	return route(server, connection, url, method, request);
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

static struct MHD_Daemon *start(struct api_server *server, const char *address, uint16_t *port)
{
	struct MHD_OptionItem options[] = {
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)http_log_limited, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, 30, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, 256, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, 64, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	return http_start_daemon(address,
				 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
					 MHD_USE_ERROR_LOG,
				 handle_request, server, options, port);
}

int api_server_start(struct controller *controller, const char *token, struct MHD_Daemon **daemon, uint16_t *port)
{
	static struct api_server server;

	server.controller = controller;
	server.token = token ? strdup(token) : NULL;
	console_sessions_init(&server.sessions, controller->config.console_session_lifetime_ms);
	*daemon = start(&server, controller->config.api_address, port);
	if (!*daemon) {
		free(server.token);
		server.token = NULL;
		return -EADDRNOTAVAIL;
	}
	return 0;
}

int metrics_server_start(struct controller *controller, struct MHD_Daemon **daemon, uint16_t *port)
{
	static struct api_server server;

	server.controller = controller;
	server.metrics_only = true;
	*daemon = start(&server, controller->config.metrics_address, port);
	return *daemon ? 0 : -EADDRNOTAVAIL;
}
