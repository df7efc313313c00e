/* What the operator API's handlers share (http_api.c routes to them): the
 * request being read, the replies (JSON, errors, files) with the headers
 * every answer carries, commits that wait, and query-string values. The
 * handlers take the controller lock themselves. */
#ifndef CASCADE_ACS_API_HTTP_H
#define CASCADE_ACS_API_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acs/console_session.h"
#include "acs/model.h"
#include "acs/store.h"
#include "common/byte_buffer.h"

#define API_BODY_LIMIT (64u << 10)

struct api_server {
	struct controller *controller;
	char *token;                      /* NULL: the API is open to whoever reaches it */
	struct console_sessions sessions; /* web console logins */
	bool metrics_only;                /* the [acs] metrics listener: /metrics and nothing else */
};

/* How a request was let in (api_access.c). */
enum api_caller {
	API_CALLER_OPEN = 0, /* no token configured */
	API_CALLER_TOKEN,    /* Authorization: Bearer */
	API_CALLER_CONSOLE,  /* the web console's session cookie */
};

struct api_request {
	struct byte_buffer body;
	bool too_large;
	enum api_caller caller;
	char console_session[CONSOLE_TOKEN_SIZE]; /* API_CALLER_CONSOLE: the session's id */
};

/* Replies with document (taken over; NULL: out of memory). */
enum MHD_Result api_reply_json(struct MHD_Connection *connection, unsigned int status, json_t *document);
enum MHD_Result api_reply_error(struct MHD_Connection *connection, unsigned int status, const char *message);
/* Replies with bytes that outlive the reply (persistent) or are copied;
 * headers: name, value, ..., NULL (may be NULL). */
enum MHD_Result api_reply_bytes(struct MHD_Connection *connection, unsigned int status, const char *content_type,
				const void *data, size_t length, bool persistent, const char *const *headers);

/* Submits the batch and blocks until it is committed; returns its result.
 * The caller may hold the controller lock: the writer never takes it. */
int api_commit_and_wait(struct controller *controller, struct store_batch *batch);

/* A query-string number; fallback when absent or not a whole number. */
size_t api_query_number(struct MHD_Connection *connection, const char *name, size_t fallback);
const char *api_query_text(struct MHD_Connection *connection, const char *name);
/* A positive decimal id at text; *rest points after it. */
bool api_parse_id(const char *text, uint32_t *id, const char **rest);
/* The request body as a JSON object (NULL with error filled when it is not one). */
json_t *api_body_object(const struct api_request *request, char *error, size_t error_size);
/* A device named by its id (a JSON integer or digits) or its key; NULL when none. */
struct device *api_device_named(struct controller *controller, json_t *value);
struct device *api_device_from_text(struct controller *controller, const char *text);

/* A device as the API shows it (api_devices.c); lock held. */
json_t *api_device_json(const struct device *device);

/* The handlers (one file each): */
enum MHD_Result api_devices_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				  const char *path);
enum MHD_Result api_groups_route(struct api_server *server, struct MHD_Connection *connection);
enum MHD_Result api_campaigns_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				    const char *path, const struct api_request *request);
enum MHD_Result api_faults_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				 const char *path, const struct api_request *request);
/* /api/session, /api/login, /api/logout, and the console's own files. */
enum MHD_Result api_console_route(struct api_server *server, struct MHD_Connection *connection, const char *method,
				  const char *url, const struct api_request *request);
/* Whether url is one of the console's files or login endpoints (served
 * without credentials). */
bool api_console_public(const char *url);

/* api_access.c: decides whether the request may go on; when not, the
 * refusal is queued (*queued) and false returned. */
bool api_access_check(struct api_server *server, struct MHD_Connection *connection, const char *url,
		      const char *method, struct api_request *request, enum MHD_Result *queued);
/* Whether the request's Origin (or Sec-Fetch-Site) says it comes from a
 * page of this server (absent headers: true). */
bool api_same_origin(struct MHD_Connection *connection);

#endif
