/* The swarm's own HTTP server (libmicrohttpd driven from the swarm's epoll
 * loop, no thread): GET /cr/N is device N's ConnectionRequestURL (Digest
 * auth with cascade's nonces when configured, common/digest_auth.h);
 * /d/N/images/NAME, /d/N/pieces/NAME and /d/N/-/stats are device N's file
 * server when it is one (serve.c); GET /-/stats is the summary so far
 * (tests watch the slaves' progress). */
#include "swarm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define CR_REALM "cascade-swarm"
#include "common/parse.h"

enum MHD_Result swarm_server_reply(struct MHD_Connection *connection, unsigned int status)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result result = MHD_queue_response(connection, status, response);

	MHD_destroy_response(response);
	return result;
}

static struct swarm_device *device_from(struct swarm *swarm, const char *text, const char **rest)
{
	char *end;
	unsigned long index = strtoul(text, &end, 10);

	if (end == text || index >= swarm->options.devices)
		return NULL;
	*rest = end;
	return &swarm->devices[index];
}

/* 401 with a Digest challenge (MD5, then SHA-256) and a fresh nonce. */
static enum MHD_Result challenge(struct swarm *swarm, struct MHD_Connection *connection, bool stale)
{
	static const enum digest_algorithm algorithms[] = { DIGEST_MD5, DIGEST_SHA256 };
	struct MHD_Response *response = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	char values[2][DIGEST_CHALLENGE_SIZE];
	enum MHD_Result result;
	int count;

	if (!response)
		return MHD_NO;
	count = digest_challenges(swarm->nonces, CR_REALM, algorithms, 2, stale, monotonic_ms(), values);
	for (int i = 0; i < count; i++)
		MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE, values[i]);
	result = MHD_queue_response(connection, MHD_HTTP_UNAUTHORIZED, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result connection_request(struct swarm *swarm, struct MHD_Connection *connection, const char *url,
					  struct swarm_device *device)
{
	if (swarm->options.cr_username) {
		const char *header = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
		struct digest_authorization authorization;
		enum digest_verdict verdict = DIGEST_REFUSED;

		if (header && digest_parse_authorization(header, &authorization) == 0 &&
		    strcmp(authorization.username, swarm->options.cr_username) == 0)
			verdict = digest_verify(swarm->nonces, &authorization, MHD_HTTP_METHOD_GET, url, CR_REALM,
						DIGEST_MD5 | DIGEST_SHA256, swarm->options.cr_password, monotonic_ms());
		if (verdict != DIGEST_ACCEPTED)
			return challenge(swarm, connection, verdict == DIGEST_STALE);
	}
	swarm->stats.connection_requests++;
	device->connection_requested = true;
	swarm_device_want_session(swarm, device);
	return swarm_server_reply(connection, MHD_HTTP_OK);
}

enum MHD_Result swarm_server_reply_text(struct MHD_Connection *connection, const char *text, size_t length,
				  const char *content_type)
{
	struct MHD_Response *response = MHD_create_response_from_buffer(length, (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result result;

	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	result = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return result;
}

static enum MHD_Result stats(struct swarm *swarm, struct MHD_Connection *connection)
{
	char text[8192];
	int length = swarm_stats_format(swarm, (double)(monotonic_ms() - swarm->started_ms) / 1000.0, text, sizeof(text));

	if (length < 0)
		return swarm_server_reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR);
	return swarm_server_reply_text(connection, text, (size_t)length, "application/json");
}

static enum MHD_Result handle(void *argument, struct MHD_Connection *connection, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **context)
{
	struct swarm *swarm = argument;
	struct swarm_device *device;
	const char *rest;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)context;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return swarm_server_reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED);
	if (strcmp(url, "/-/stats") == 0)
		return stats(swarm, connection);
	if (strncmp(url, "/cr/", 4) == 0 && (device = device_from(swarm, url + 4, &rest)) && *rest == '\0')
		return connection_request(swarm, connection, url, device);
	if (strncmp(url, "/d/", 3) == 0 && (device = device_from(swarm, url + 3, &rest))) {
		if (strncmp(rest, "/images/", 8) == 0 && rest[8] && !strchr(rest + 8, '/'))
			return swarm_serve_image(swarm, connection, device, rest + 8);
		if (strncmp(rest, "/pieces/", 8) == 0 && rest[8] && !strchr(rest + 8, '/'))
			return swarm_serve_pieces(connection, device, rest + 8);
		if (strcmp(rest, "/-/stats") == 0)
			return swarm_serve_device_stats(connection, device);
	}
	return swarm_server_reply(connection, MHD_HTTP_NOT_FOUND);
}

int swarm_server_start(struct swarm *swarm)
{
	unsigned int nonce_slots;
	struct sockaddr_storage address;
	socklen_t length;
	const union MHD_DaemonInfo *info;
	char host[96];

	if (parse_socket_address(swarm->options.listen, &address, &length) < 0) {
		log_error("invalid --listen address \"%s\" (expected HOST:PORT)", swarm->options.listen);
		return -EINVAL;
	}
	/* a slot per outstanding Digest nonce: with too few, thousands of
	 * connection requests evict each other's nonces (stale) */
	nonce_slots = swarm->options.devices < 2048 ? 4096 : 2 * swarm->options.devices;
	if (swarm->options.cr_username && digest_nonces_new(nonce_slots, 300000, &swarm->nonces) < 0)
		return -ENOMEM;
	swarm->server = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
						 (address.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
					 0, NULL, NULL, handle, swarm, MHD_OPTION_SOCK_ADDR, &address,
					 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SWARM_MAX_STREAMS,
					 MHD_OPTION_CONNECTION_TIMEOUT, 60, MHD_OPTION_END);
	if (!swarm->server) {
		log_error("cannot listen on %s: %s", swarm->options.listen, strerror(errno));
		return -EADDRNOTAVAIL;
	}
	info = MHD_get_daemon_info(swarm->server, MHD_DAEMON_INFO_BIND_PORT);
	swarm->server_port = info ? info->port : 0;
	if (swarm->options.advertise_host) {
		snprintf(host, sizeof(host), "%s", swarm->options.advertise_host);
	} else {
		snprintf(host, sizeof(host), "%s", swarm->options.listen);
		*strrchr(host, ':') = '\0';
	}
	snprintf(swarm->base_url, sizeof(swarm->base_url), "http://%s:%u", host, swarm->server_port);
	log_info("swarm server listening on %s (connection requests at /cr/N, images at /d/N/images/NAME)",
		 swarm->base_url);
	return 0;
}

void swarm_server_stop(struct swarm *swarm)
{
	if (swarm->server) {
		swarm_serve_resume_all(swarm); /* no connection may stay suspended */
		MHD_run(swarm->server);
		MHD_stop_daemon(swarm->server);
	}
	swarm->server = NULL;
	digest_nonces_free(swarm->nonces);
	swarm->nonces = NULL;
}
