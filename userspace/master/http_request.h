/* HTTP/1.x request heads: a pure parser (no I/O, no allocation) that reads
 * a request line and header block from a buffer and says whether it is
 * complete, needs more bytes, or is malformed (with the status to answer).
 * The parsed strings point into the caller's buffer. Unit tests and fuzz
 * harnesses call it directly. */
#ifndef CASCADE_MASTER_HTTP_REQUEST_H
#define CASCADE_MASTER_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest request head (request line + headers + blank line) accepted. */
#define HTTP_HEAD_LIMIT 8192

struct http_string {
	const char *data;
	size_t length;
};

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_OTHER_KNOWN,   /* PUT, DELETE, ...: answered 405 */
	HTTP_METHOD_UNKNOWN,       /* any other token: answered 501 */
};

enum http_parse_result {
	HTTP_PARSE_ERROR = -1,
	HTTP_PARSE_INCOMPLETE = 0,
	HTTP_PARSE_COMPLETE = 1,
};

struct http_request {
	enum http_method method;
	struct http_string method_name;
	struct http_string target;      /* as sent */
	struct http_string path;        /* target up to '?', still percent-encoded */
	struct http_string query;       /* after '?', empty when none */
	int version_minor;              /* HTTP/1.<minor> */
	bool has_host;
	bool keep_alive;                /* after the version default and Connection */
	bool has_body;                  /* Content-Length > 0 or Transfer-Encoding */
	uint64_t content_length;
	struct http_string host;
	struct http_string range;
	struct http_string if_range;
	struct http_string if_none_match;
	struct http_string if_match;
	struct http_string authorization; /* admin operations (admin_token.h) */
	size_t head_length;             /* bytes of the head, blank line included */
	int error_status;               /* on HTTP_PARSE_ERROR: 400, 414, 431, 501, 505 */
	const char *error_reason;       /* on HTTP_PARSE_ERROR: for the log */
};

/* Parses the head at the start of data. COMPLETE fills request (head_length
 * tells where the next request starts); INCOMPLETE means wait for more bytes
 * (a bad prefix is already reported as ERROR); ERROR sets error_status and
 * error_reason. Never reads past length. */
enum http_parse_result http_request_parse(const char *data, size_t length,
					  struct http_request *request);

/* true when a header value (comma-separated list) contains token, ignoring
 * case, e.g. http_list_contains("keep-alive, Upgrade", "upgrade"). */
bool http_list_contains(struct http_string list, const char *token);

/* Percent-decodes text into out (at most out_size - 1 bytes, NUL-terminated);
 * returns the decoded length, -EINVAL for a bad escape or a decoded NUL,
 * -ENAMETOOLONG when it does not fit. '+' stays '+'. */
int http_percent_decode(struct http_string text, char *out, size_t out_size);

/* Reads group=N (decimal 1..16777215) from a query string; returns the
 * group or 0 when there is none or it is malformed. */
uint32_t http_query_group(struct http_string query);

#endif
