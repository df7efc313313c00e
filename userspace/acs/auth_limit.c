/* Failed-login limiting on the ACS's listeners (see auth_limit.h). */
#include "acs/auth_limit.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"
#include "common/parse.h"

static const struct sockaddr *peer_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	return info ? info->client_addr : NULL;
}

bool auth_limit_refuse(struct login_limit *limit, struct MHD_Connection *connection, enum MHD_Result *queued)
{
	static const char text[] = "too many failed logins from this address; try again later\n";
	const struct sockaddr *peer = peer_of(connection);
	struct MHD_Response *response;
	unsigned int retry_after = 0;
	char seconds[16];

	if (!limit || !peer || !login_limit_blocked(limit, peer, monotonic_ms(), &retry_after))
		return false;
	*queued = MHD_NO;
	response = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!response)
		return true;
	snprintf(seconds, sizeof(seconds), "%u", retry_after);
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	*queued = MHD_queue_response(connection, MHD_HTTP_TOO_MANY_REQUESTS, response);
	MHD_destroy_response(response);
	return true;
}

void auth_limit_failed(struct login_limit *limit, struct MHD_Connection *connection, const char *listener)
{
	const struct sockaddr *peer = peer_of(connection);
	char address[64];

	if (!limit || !peer || !login_limit_failed(limit, peer, monotonic_ms()))
		return;
	format_socket_host(peer, address, sizeof(address));
	log_warn_limited("%s: %u failed logins from %s within %llu s: refusing that address for %llu s (429)", listener,
			 limit->max_failures, address, (unsigned long long)limit->window_ms / 1000,
			 (unsigned long long)limit->window_ms / 1000);
}
