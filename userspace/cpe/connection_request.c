/* The Connection Request listener (see connection_request.h). */
#include "cpe/connection_request.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"
#include "common/parse.h"
#include "cpe/data_model.h"

#define REALM "cascade-cpe"

static enum MHD_Result reply(struct MHD_Connection *connection, unsigned int status, const char *text,
			     uint64_t retry_after_ms)
{
	struct MHD_Response *response =
		MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result result;
	char seconds[32];

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (retry_after_ms) {
		snprintf(seconds, sizeof(seconds), "%llu", (unsigned long long)(retry_after_ms + 999) / 1000);
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	}
	result = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return result;
}

/* 401 with a Digest challenge per algorithm (MD5 first: what ACSes
 * speak; SHA-256 for those that choose it), one fresh nonce. */
static enum MHD_Result challenge(struct connection_request_listener *listener, struct MHD_Connection *connection,
				 bool stale)
{
	static const enum digest_algorithm algorithms[] = { DIGEST_MD5, DIGEST_SHA256 };
	static const char text[] = "authentication required\n";
	struct MHD_Response *response =
		MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	char values[2][DIGEST_CHALLENGE_SIZE];
	enum MHD_Result result;
	int count;

	if (!response)
		return MHD_NO;
	count = digest_challenges(listener->nonces, REALM, algorithms, 2, stale, monotonic_ms(), values);
	for (int i = 0; i < count; i++)
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, values[i]);
	result = MHD_queue_response(connection, MHD_HTTP_UNAUTHORIZED, response);
	MHD_destroy_response(response);
	return result;
}

static const struct sockaddr *peer_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return info ? info->client_addr : NULL;
}

/* Wrong credentials: counted per address; logged when that blocks it. */
static void count_failure(struct connection_request_listener *listener, struct MHD_Connection *connection)
{
	const struct sockaddr *peer = peer_of(connection);
	char address[64];

	if (!peer || !login_limit_failed(&listener->failures, peer, monotonic_ms()))
		return;
	format_socket_host(peer, address, sizeof(address));
	log_warn_limited("connection requests: %d failed logins from %s within %d s: "
			 "refusing that address for %d s (429)",
			 CONNECTION_REQUEST_MAX_FAILURES, address, CONNECTION_REQUEST_FAILURE_WINDOW_MS / 1000,
			 CONNECTION_REQUEST_FAILURE_WINDOW_MS / 1000);
}

/* 1: authenticated, 0: a challenge was queued (result in *queued). */
static int authenticate(struct connection_request_listener *listener, struct MHD_Connection *connection,
			const char *url, enum MHD_Result *queued)
{
	char username[CPE_NAME_MAX], password[CPE_NAME_MAX];
	struct digest_authorization authorization;
	const char *header;
	enum digest_verdict verdict;

	/* Credentials that cannot be read (too long for the buffers) must not
	 * turn into an empty password: refuse everyone instead. */
	if (parameter_store_get(listener->parameters, PARAM_CONNECTION_REQUEST_USER, username, sizeof(username)) < 0 ||
	    parameter_store_get(listener->parameters, PARAM_CONNECTION_REQUEST_PASS, password, sizeof(password)) < 0) {
		log_warn_limited("connection request refused: the configured credentials cannot be read");
		*queued = challenge(listener, connection, false);
		return 0;
	}
	header = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!header) {
		*queued = challenge(listener, connection, false);
		return 0;
	}
	if (digest_parse_authorization(header, &authorization) < 0 || !username[0] ||
	    strcmp(authorization.username, username) != 0) {
		log_info_limited("connection request refused: unusable credentials or unknown user");
		count_failure(listener, connection);
		*queued = challenge(listener, connection, false);
		return 0;
	}
	verdict = digest_verify(listener->nonces, &authorization, MHD_HTTP_METHOD_GET, url, REALM,
				DIGEST_MD5 | DIGEST_SHA256, password, monotonic_ms());
	if (verdict == DIGEST_ACCEPTED)
		return 1;
	if (verdict == DIGEST_REFUSED) {
		log_info_limited("connection request refused: wrong password for \"%s\"", username);
		count_failure(listener, connection);
	} else {
		log_info_limited("connection request refused: stale or replayed nonce (a new one is offered)");
	}
	*queued = challenge(listener, connection, verdict == DIGEST_STALE);
	return 0;
}

static enum MHD_Result on_access(void *argument, struct MHD_Connection *connection, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **request_context)
{
	struct connection_request_listener *listener = argument;
	uint64_t retry_after_ms = 0;
	unsigned int blocked_seconds = 0;
	enum MHD_Result queued;

	(void)version;
	(void)upload_data;
	if (*request_context == NULL) { /* headers only so far */
		*request_context = listener;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a body is not expected: ignore it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "connection requests use GET\n", 0);
	if (strcmp(url, listener->path) != 0)
		return reply(connection, MHD_HTTP_NOT_FOUND, "not found\n", 0);
	if (peer_of(connection) &&
	    login_limit_blocked(&listener->failures, peer_of(connection), monotonic_ms(), &blocked_seconds))
		return reply(connection, MHD_HTTP_TOO_MANY_REQUESTS, "too many failed logins from this address\n",
			     (uint64_t)blocked_seconds * 1000);
	if (!authenticate(listener, connection, url, &queued)) {
		if (!rate_limit_take(&listener->challenged, monotonic_ms(), &retry_after_ms))
			return reply(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "too many attempts\n", retry_after_ms);
		return queued;
	}
	if (!rate_limit_take(&listener->accepted, monotonic_ms(), &retry_after_ms)) {
		log_info_limited("connection request refused: over the rate limit");
		return reply(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "too many connection requests\n",
			     retry_after_ms);
	}
	log_info("connection request accepted");
	listener->on_request(listener->context);
	return reply(connection, MHD_HTTP_OK, "", 0);
}

static void path_of(const char *url, char *path, size_t size)
{
	const char *start = strstr(url, "://");
	const char *slash = start ? strchr(start + 3, '/') : NULL;

	snprintf(path, size, "%.*s", slash ? (int)strcspn(slash, "?#") : 1, slash ? slash : "/");
}

static int bind_listener(struct connection_request_listener *listener, const struct cpe_config *config)
{
	struct sockaddr_storage address;
	socklen_t length;
	char bound[64];
	int one = 1;

	if (parse_socket_address(config->connection_request_address, &address, &length) < 0)
		return -EINVAL;
	listener->socket_fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener->socket_fd < 0)
		return -errno;
	setsockopt(listener->socket_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener->socket_fd, (struct sockaddr *)&address, length) < 0 ||
	    listen(listener->socket_fd, 16) < 0 ||
	    getsockname(listener->socket_fd, (struct sockaddr *)&address, &length) < 0)
		return -errno;
	format_socket_address((struct sockaddr *)&address, bound, sizeof(bound));
	if (config->connection_request_url[0])
		snprintf(listener->url, sizeof(listener->url), "%s", config->connection_request_url);
	else
		snprintf(listener->url, sizeof(listener->url), "http://%s/", bound);
	if (!config->connection_request_url[0] && (strncmp(bound, "0.0.0.0:", 8) == 0 || strncmp(bound, "[::]:", 5) == 0))
		log_warn("advertising %s: set --connection-request-url to an address the ACS can reach", listener->url);
	path_of(listener->url, listener->path, sizeof(listener->path));
	log_info("connection requests listening on %s (advertised as %s)", bound, listener->url);
	return 0;
}

int connection_request_start(struct connection_request_listener *listener, const struct cpe_config *config,
			     struct parameter_store *parameters, void (*on_request)(void *context), void *context)
{
	int result;

	memset(listener, 0, sizeof(*listener));
	listener->socket_fd = -1;
	listener->parameters = parameters;
	listener->on_request = on_request;
	listener->context = context;
	rate_limit_init(&listener->accepted, config->connection_request_burst, config->connection_request_refill_ms,
			monotonic_ms());
	rate_limit_init(&listener->challenged, 20, 500, monotonic_ms());
	if (login_limit_init(&listener->failures, CONNECTION_REQUEST_MAX_FAILURES,
			     CONNECTION_REQUEST_FAILURE_WINDOW_MS) < 0)
		return -ENOMEM;
	result = digest_nonces_new(CONNECTION_REQUEST_NONCES, CONNECTION_REQUEST_NONCE_LIFETIME_MS, &listener->nonces);
	if (result < 0) {
		connection_request_stop(listener);
		return result;
	}
	result = bind_listener(listener, config);
	if (result < 0) {
		log_error("cannot listen for connection requests on %s: %s", config->connection_request_address,
			  strerror(-result));
		connection_request_stop(listener);
		return result;
	}
	listener->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | (config->connection_request_address[0] == '['
									      ? MHD_USE_IPv6
									      : 0),
		0, NULL, NULL, on_access, listener, MHD_OPTION_LISTEN_SOCKET, listener->socket_fd,
		MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u, MHD_OPTION_CONNECTION_TIMEOUT,
		10u, MHD_OPTION_END);
	if (!listener->daemon) {
		log_error("cannot start the connection request listener (libmicrohttpd)");
		connection_request_stop(listener);
		return -EIO;
	}
	listener->socket_fd = -1; /* MHD_stop_daemon closes the listen socket it was given */
	parameter_store_set_internal(parameters, PARAM_CONNECTION_REQUEST_URL, listener->url);
	return 0;
}

void connection_request_stop(struct connection_request_listener *listener)
{
	if (listener->daemon)
		MHD_stop_daemon(listener->daemon);
	listener->daemon = NULL;
	if (listener->socket_fd >= 0)
		close(listener->socket_fd);
	listener->socket_fd = -1;
	rate_limit_destroy(&listener->accepted);
	rate_limit_destroy(&listener->challenged);
	login_limit_destroy(&listener->failures);
	digest_nonces_free(listener->nonces);
	listener->nonces = NULL;
}

