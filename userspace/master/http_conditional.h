/* Conditional requests (RFC 9110 13) against the image's strong ETag:
 * If-Match, If-None-Match and If-Range. Pure functions. */
#ifndef CASCADE_MASTER_HTTP_CONDITIONAL_H
#define CASCADE_MASTER_HTTP_CONDITIONAL_H

#include <stdbool.h>

#include "master/http_request.h"

enum http_condition {
	HTTP_CONDITION_PROCEED,
	HTTP_CONDITION_NOT_MODIFIED,        /* 304 */
	HTTP_CONDITION_PRECONDITION_FAILED, /* 412 */
};

/* true when the entity-tag list (or "*") contains etag (quoted, e.g.
 * "\"abc\""); weak comparison ignores W/ prefixes, strong comparison never
 * matches a weak tag. A malformed list matches nothing. */
bool http_etag_list_matches(struct http_string list, struct http_string etag, bool weak);

/* Evaluates If-Match and If-None-Match in RFC order. */
enum http_condition http_evaluate_preconditions(const struct http_request *request,
						struct http_string etag);

/* true when the request's Range header should be honoured: a GET with a
 * Range and either no If-Range or an If-Range that strongly matches etag. */
bool http_range_applies(const struct http_request *request, struct http_string etag);

#endif
