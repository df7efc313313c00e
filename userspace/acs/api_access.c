/* Who may use the operator API (see api_http.h):
 *   - Authorization: Bearer TOKEN (cascadectl, scripts, Prometheus) when a
 *     token is configured; a wrong one is a failed login (auth_limit.h);
 *   - the web console's session cookie, and for a change (any method but
 *     GET and HEAD) also its CSRF token in X-CSRF-Token and an Origin (or
 *     Sec-Fetch-Site) of this server: another site's page cannot make the
 *     operator's browser change anything;
 *   - without a token configured anyone who reaches the port, but a change
 *     coming from another site's page is refused all the same.
 * The console's files and its login endpoints need nothing (they hold no
 * data; login checks the token itself). */
#include "acs/api_http.h"
#include "acs/auth_limit.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/clock.h"

static bool token_matches(const char *expected, const char *header)
{
	if (!header || strncmp(header, "Bearer ", 7) != 0)
		return false;
	return console_secret_equal(expected, header + 7);
}

bool api_same_origin(struct MHD_Connection *connection)
{
	const char *origin = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Origin");
	const char *site = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Sec-Fetch-Site");
	const char *host = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *authority;

	if (origin) {
		authority = strstr(origin, "://");
		return authority && host && strcasecmp(authority + 3, host) == 0;
	}
	/* no Origin (an old browser, or not a browser): Sec-Fetch-Site, when sent, must agree */
	return !site || strcasecmp(site, "same-origin") == 0 || strcasecmp(site, "none") == 0;
}

static bool reads_only(const char *method)
{
	return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static bool refuse(struct MHD_Connection *connection, unsigned int status, const char *message,
		   enum MHD_Result *queued)
{
	*queued = api_reply_error(connection, status, message);
	return false;
}

bool api_access_check(struct api_server *server, struct MHD_Connection *connection, const char *url,
		      const char *method, struct api_request *request, enum MHD_Result *queued)
{
	const char *authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(connection, MHD_COOKIE_KIND, CONSOLE_COOKIE_NAME);
	char csrf[CONSOLE_TOKEN_SIZE];

	request->caller = API_CALLER_OPEN;
	if (server->metrics_only || api_console_public(url))
		return true;
	if (!server->token) {
		if (!reads_only(method) && !api_same_origin(connection))
			return refuse(connection, MHD_HTTP_FORBIDDEN, "a change from another site's page is refused",
				      queued);
		return true;
	}
	if (auth_limit_refuse(server->controller->api_logins, connection, queued))
		return false;
	if (authorization) {
		if (!token_matches(server->token, authorization)) {
			auth_limit_failed(server->controller->api_logins, connection, "api");
			return refuse(connection, MHD_HTTP_UNAUTHORIZED,
				      "missing or wrong API token (Authorization: Bearer ...)", queued);
		}
		request->caller = API_CALLER_TOKEN;
		return true;
	}
	if (cookie && console_session_find(&server->sessions, cookie, monotonic_ms(), csrf)) {
		request->caller = API_CALLER_CONSOLE;
		snprintf(request->console_session, sizeof(request->console_session), "%s", cookie);
		if (reads_only(method))
			return true;
		if (!console_secret_equal(csrf, MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "X-CSRF-Token")))
			return refuse(connection, MHD_HTTP_FORBIDDEN,
				      "the console's CSRF token (X-CSRF-Token) is missing or wrong", queued);
		if (!api_same_origin(connection))
			return refuse(connection, MHD_HTTP_FORBIDDEN, "a change from another site's page is refused",
				      queued);
		return true;
	}
	return refuse(connection, MHD_HTTP_UNAUTHORIZED,
		      cookie ? "the console session has expired: log in again"
			     : "missing or wrong API token (Authorization: Bearer ...)",
		      queued);
}
