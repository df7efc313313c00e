/* The web console on the API port: its files (web_assets.h) and its login
 * (console_session.h):
 *   GET  /, /console/NAME   the page and its scripts, styles and icon
 *   GET  /api/session       {token_required, authenticated, csrf, version}
 *   POST /api/login         {"token": "..."} -> session cookie + {csrf}
 *   POST /api/logout        ends the session (CSRF-checked like any change)
 * A failed login counts like a wrong bearer token (auth_limit.h). */
#include "acs/api_http.h"
#include "acs/auth_limit.h"
#include "acs/web_assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/settings.h"

/* Scripts and styles only from this server, no inline code, no framing. */
static const char content_security_policy[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

static const struct web_asset *asset_for(const char *url)
{
	for (size_t i = 0; i < web_asset_count; i++)
		if (strcmp(web_assets[i].path, url) == 0)
			return &web_assets[i];
	return NULL;
}

bool api_console_public(const char *url)
{
	return strcmp(url, "/api/session") == 0 || strcmp(url, "/api/login") == 0 || asset_for(url) != NULL;
}

static enum MHD_Result reply_session(struct api_server *server, struct MHD_Connection *connection)
{
	const char *cookie = MHD_lookup_connection_value(connection, MHD_COOKIE_KIND, CONSOLE_COOKIE_NAME);
	char csrf[CONSOLE_TOKEN_SIZE];
	bool logged_in = server->token && cookie && console_session_find(&server->sessions, cookie, monotonic_ms(), csrf);

	return api_reply_json(connection, MHD_HTTP_OK,
			      json_pack("{s:b, s:b, s:s?, s:s}", "token_required", server->token != NULL,
					"authenticated", !server->token || logged_in, "csrf", logged_in ? csrf : NULL,
					"version", settings_version()));
}

static enum MHD_Result login(struct api_server *server, struct MHD_Connection *connection,
			     const struct api_request *request)
{
	char id[CONSOLE_TOKEN_SIZE], csrf[CONSOLE_TOKEN_SIZE], error[160], cookie[160], age[24];
	const char *given;
	enum MHD_Result queued;
	json_t *body, *answer;
	char *text;

	if (!api_same_origin(connection))
		return api_reply_error(connection, MHD_HTTP_FORBIDDEN, "a login from another site's page is refused");
	if (!server->token)
		return api_reply_json(connection, MHD_HTTP_OK,
				      json_pack("{s:b, s:b}", "authenticated", 1, "token_required", 0));
	if (auth_limit_refuse(server->controller->api_logins, connection, &queued))
		return queued;
	body = api_body_object(request, error, sizeof(error));
	if (!body)
		return api_reply_error(connection, MHD_HTTP_BAD_REQUEST, error);
	given = json_string_value(json_object_get(body, "token"));
	if (!given || !console_secret_equal(server->token, given)) {
		json_decref(body);
		auth_limit_failed(server->controller->api_logins, connection, "api");
		return api_reply_error(connection, MHD_HTTP_UNAUTHORIZED, "wrong API token");
	}
	json_decref(body);
	if (console_session_open(&server->sessions, monotonic_ms(), id, csrf) < 0)
		return api_reply_error(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "no randomness for a session");
	snprintf(age, sizeof(age), "%llu", (unsigned long long)(server->sessions.lifetime_ms / 1000));
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%s", CONSOLE_COOKIE_NAME,
		 id, age);
	answer = json_pack("{s:b, s:b, s:s}", "authenticated", 1, "token_required", 1, "csrf", csrf);
	text = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
	json_decref(answer);
	if (!text)
		return MHD_NO;
	{
		const char *headers[] = { MHD_HTTP_HEADER_SET_COOKIE, cookie, NULL };

		queued = api_reply_bytes(connection, MHD_HTTP_OK, "application/json", text, strlen(text), false,
					 headers);
	}
	free(text);
	return queued;
}

static enum MHD_Result logout(struct api_server *server, struct MHD_Connection *connection,
			      const struct api_request *request)
{
	static const char body[] = "{\"authenticated\":false}\n";
	const char *headers[] = { MHD_HTTP_HEADER_SET_COOKIE,
				  CONSOLE_COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0", NULL };

	if (request->caller == API_CALLER_CONSOLE)
		console_session_close(&server->sessions, request->console_session);
	return api_reply_bytes(connection, MHD_HTTP_OK, "application/json", body, sizeof(body) - 1, true, headers);
}

enum MHD_Result api_console_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				  const char *url, const struct api_request *request)
{
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	const struct web_asset *asset;

	if (strcmp(url, "/api/session") == 0 && get)
		return reply_session(server, connection);
	if (strcmp(url, "/api/login") == 0 && post)
		return login(server, connection, request);
	if (strcmp(url, "/api/logout") == 0 && post)
		return logout(server, connection, request);
	asset = asset_for(url);
	if (asset && get) {
		const char *headers[] = { "Content-Security-Policy", content_security_policy, NULL };

		return api_reply_bytes(connection, MHD_HTTP_OK, asset->content_type, asset->data, asset->size, true,
				       headers);
	}
	if (asset || strncmp(url, "/api/log", 8) == 0 || strcmp(url, "/api/session") == 0)
		return api_reply_error(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "wrong method");
	return api_reply_error(connection, MHD_HTTP_NOT_FOUND, "no such resource");
}
