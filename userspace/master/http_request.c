/* HTTP/1.x request head parser (RFC 9112): strict request line, header
 * fields with no whitespace before the colon and no obsolete folding,
 * CRLF (or bare LF) line ends, the head limited to HTTP_HEAD_LIMIT bytes.
 * Only the fields the master acts on are kept. */
#include "master/http_request.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "meter_mark.h"

#define MAX_LEADING_EMPTY_LINES 4

/* tchar from RFC 9110 5.6.2 */
static bool is_token_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field value bytes: visible ASCII, space, tab, obs-text. */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* Request-target bytes: visible ASCII but no space; no obs-text. */
static bool is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static bool equals_ignore_case(struct http_string text, const char *word)
{
	size_t length = strlen(word);

	return text.length == length && strncasecmp(text.data, word, length) == 0;
}

static enum http_parse_result fail(struct http_request *request, int status, const char *reason)
{
	request->error_status = status;
	request->error_reason = reason;
	return HTTP_PARSE_ERROR;
}

/* Finds the end of the line starting at offset: returns the index of its
 * '\n' or -1; a bare '\r' inside a line is left for the caller to reject. */
static long find_line_end(const char *data, size_t length, size_t offset)
{
	const char *newline = memchr(data + offset, '\n', length - offset);

	return newline ? (long)(newline - data) : -1;
}

/* The line [start, newline) without its '\r'. */
static struct http_string line_at(const char *data, size_t start, size_t newline)
{
	struct http_string line = { data + start, newline - start };

	if (line.length > 0 && line.data[line.length - 1] == '\r')
		line.length--;
	return line;
}

static void classify_method(struct http_request *request)
{
	static const char *const others[] = { "PUT", "DELETE", "OPTIONS", "PATCH",
					      "TRACE", "CONNECT" };
	struct http_string name = request->method_name;

	request->method = HTTP_METHOD_UNKNOWN;
	if (name.length == 3 && memcmp(name.data, "GET", 3) == 0)
		request->method = HTTP_METHOD_GET;
	else if (name.length == 4 && memcmp(name.data, "HEAD", 4) == 0)
		request->method = HTTP_METHOD_HEAD;
	else if (name.length == 4 && memcmp(name.data, "POST", 4) == 0)
		request->method = HTTP_METHOD_POST;
	for (size_t i = 0; request->method == HTTP_METHOD_UNKNOWN && i < 6; i++) {
		if (name.length == strlen(others[i]) && memcmp(name.data, others[i], name.length) == 0)
			request->method = HTTP_METHOD_OTHER_KNOWN;
	}
}

/* Checks a request line that has not ended yet, so garbage is refused at
 * once instead of after the timeout: the method must be a token. */
static enum http_parse_result check_partial_line(struct http_string line,
						 struct http_request *request)
{
	for (size_t i = 0; i < line.length; i++) {
		unsigned char c = (unsigned char)line.data[i];

		if (c == ' ' && i > 0)
			return HTTP_PARSE_INCOMPLETE;
		if (!is_token_char(c))
			return fail(request, 400, "request line does not start with a method");
	}
	return HTTP_PARSE_INCOMPLETE;
}

static enum http_parse_result parse_version(struct http_string version,
					    struct http_request *request)
{
	const char *v = version.data;

	if (version.length != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return fail(request, 400, "malformed HTTP version");
	if (v[5] != '1')
		return fail(request, 505, "unsupported HTTP major version");
	request->version_minor = v[7] - '0';
	return HTTP_PARSE_COMPLETE;
}

static enum http_parse_result parse_request_line(struct http_string line,
						 struct http_request *request)
{
	const char *first_space = memchr(line.data, ' ', line.length);
	const char *second_space;
	const char *end = line.data + line.length;
	const char *question;

	if (first_space == NULL || first_space == line.data)
		return fail(request, 400, "malformed request line");
	request->method_name = (struct http_string){ line.data, (size_t)(first_space - line.data) };
	for (size_t i = 0; i < request->method_name.length; i++) {
		if (!is_token_char((unsigned char)line.data[i]))
			return fail(request, 400, "bad character in method");
	}
	second_space = memchr(first_space + 1, ' ', (size_t)(end - first_space - 1));
	if (second_space == NULL || second_space == first_space + 1)
		return fail(request, 400, "malformed request line");
	request->target = (struct http_string){ first_space + 1,
						(size_t)(second_space - first_space - 1) };
	for (size_t i = 0; i < request->target.length; i++) {
		if (!is_target_char((unsigned char)request->target.data[i]))
			return fail(request, 400, "bad character in request target");
	}
	if (parse_version((struct http_string){ second_space + 1,
						(size_t)(end - second_space - 1) },
			  request) != HTTP_PARSE_COMPLETE)
		return HTTP_PARSE_ERROR;
	classify_method(request);

	request->path = request->target;
	/* absolute-form: http://authority/path */
	if (request->path.length > 7 && strncasecmp(request->path.data, "http://", 7) == 0) {
		const char *slash = memchr(request->path.data + 7, '/', request->path.length - 7);

		if (slash == NULL)
			request->path = (struct http_string){ "/", 1 };
		else
			request->path = (struct http_string){
				slash, request->path.length - (size_t)(slash - request->path.data) };
	}
	if (request->path.data[0] != '/' && !(request->path.length == 1 && request->path.data[0] == '*'))
		return fail(request, 400, "request target is not a path");
	question = memchr(request->path.data, '?', request->path.length);
	if (question != NULL) {
		const char *path_end = request->path.data + request->path.length;

		request->query = (struct http_string){ question + 1, (size_t)(path_end - question - 1) };
		request->path.length = (size_t)(question - request->path.data);
	}
	if (memchr(request->path.data, '#', request->path.length) != NULL)
		return fail(request, 400, "fragment in request target");
	return HTTP_PARSE_COMPLETE;
}

static enum http_parse_result parse_content_length(struct http_string value,
						   struct http_request *request,
						   bool *seen)
{
	uint64_t number = 0;

	if (value.length == 0 || value.length > 18)
		return fail(request, 400, "bad Content-Length");
	for (size_t i = 0; i < value.length; i++) {
		if (value.data[i] < '0' || value.data[i] > '9')
			return fail(request, 400, "bad Content-Length");
		number = number * 10 + (uint64_t)(value.data[i] - '0');
	}
	if (*seen && number != request->content_length)
		return fail(request, 400, "conflicting Content-Length headers");
	*seen = true;
	request->content_length = number;
	return HTTP_PARSE_COMPLETE;
}

struct header_state {
	bool content_length_seen;
	bool transfer_encoding_seen;
	bool connection_close;
	bool connection_keep_alive;
};

/* Keeps a single-valued header; a second copy is a malformed request. */
static enum http_parse_result keep_single(struct http_string *slot, struct http_string value,
					  struct http_request *request, const char *reason)
{
	if (slot->data != NULL)
		return fail(request, 400, reason);
	*slot = value;
	return HTTP_PARSE_COMPLETE;
}

static enum http_parse_result parse_header(struct http_string line, struct http_request *request,
					   struct header_state *state)
{
	const char *colon = memchr(line.data, ':', line.length);
	struct http_string name;
	struct http_string value;

	if (line.data[0] == ' ' || line.data[0] == '\t')
		return fail(request, 400, "obsolete header folding");
	if (colon == NULL || colon == line.data)
		return fail(request, 400, "header line without a name");
	name = (struct http_string){ line.data, (size_t)(colon - line.data) };
	for (size_t i = 0; i < name.length; i++) {
		if (!is_token_char((unsigned char)name.data[i]))
			return fail(request, 400, "bad character in header name");
	}
	value = (struct http_string){ colon + 1, line.length - name.length - 1 };
	for (size_t i = 0; i < value.length; i++) {
		if (!is_value_char((unsigned char)value.data[i]))
			return fail(request, 400, "bad character in header value");
	}
	while (value.length > 0 && (value.data[0] == ' ' || value.data[0] == '\t')) {
		value.data++;
		value.length--;
	}
	while (value.length > 0 &&
	       (value.data[value.length - 1] == ' ' || value.data[value.length - 1] == '\t'))
		value.length--;

	if (equals_ignore_case(name, "host")) {
		request->has_host = true;
		return keep_single(&request->host, value, request, "more than one Host header");
	}
	if (equals_ignore_case(name, "range"))
		return keep_single(&request->range, value, request, "more than one Range header");
	if (equals_ignore_case(name, "if-range"))
		return keep_single(&request->if_range, value, request, "more than one If-Range header");
	if (equals_ignore_case(name, "if-none-match"))
		return keep_single(&request->if_none_match, value, request,
				   "more than one If-None-Match header");
	if (equals_ignore_case(name, "if-match"))
		return keep_single(&request->if_match, value, request, "more than one If-Match header");
	if (equals_ignore_case(name, "authorization"))
		return keep_single(&request->authorization, value, request,
				   "more than one Authorization header");
	if (equals_ignore_case(name, "content-length"))
		return parse_content_length(value, request, &state->content_length_seen);
	if (equals_ignore_case(name, "transfer-encoding"))
		state->transfer_encoding_seen = true;
	if (equals_ignore_case(name, "connection")) {
		state->connection_close |= http_list_contains(value, "close");
		state->connection_keep_alive |= http_list_contains(value, "keep-alive");
	}
	return HTTP_PARSE_COMPLETE;
}

static enum http_parse_result finish_request(struct http_request *request,
					     const struct header_state *state)
{
	if (state->transfer_encoding_seen && state->content_length_seen)
		return fail(request, 400, "both Transfer-Encoding and Content-Length");
	if (request->version_minor >= 1 && !request->has_host)
		return fail(request, 400, "HTTP/1.1 request without Host");
	request->has_body = state->transfer_encoding_seen || request->content_length > 0;
	if (request->version_minor >= 1)
		request->keep_alive = !state->connection_close;
	else
		request->keep_alive = state->connection_keep_alive && !state->connection_close;
	return HTTP_PARSE_COMPLETE;
}

enum http_parse_result http_request_parse(const char *data, size_t length,
					  struct http_request *request)
{
	struct header_state state = { 0 };
	size_t offset = 0;
	size_t limit = length < HTTP_HEAD_LIMIT ? length : HTTP_HEAD_LIMIT;
	long newline;
	int empty_lines = 0;

	memset(request, 0, sizeof(*request));
	if (length > 0 && memchr(data, '\0', limit) != NULL)
		return fail(request, 400, "NUL byte in request head");
	/* Tolerate a few empty lines before the request line (RFC 9112 2.2). */
	for (;;) {
		newline = find_line_end(data, limit, offset);
		if (newline < 0) {
			if (length > HTTP_HEAD_LIMIT)
				return fail(request, 414, "request line longer than the head limit");
			return check_partial_line(line_at(data, offset, limit), request);
		}
		if (line_at(data, offset, (size_t)newline).length > 0)
			break;
		if (++empty_lines > MAX_LEADING_EMPTY_LINES)
			return fail(request, 400, "too many empty lines before the request");
		offset = (size_t)newline + 1;
	}
	if (parse_request_line(line_at(data, offset, (size_t)newline), request) != HTTP_PARSE_COMPLETE)
		return HTTP_PARSE_ERROR;
	offset = (size_t)newline + 1;

	for (;;) {
		struct http_string line;

		newline = find_line_end(data, limit, offset);
		if (newline < 0) {
			if (length > HTTP_HEAD_LIMIT)
				return fail(request, 431, "request head larger than 8 KiB");
			return HTTP_PARSE_INCOMPLETE;
		}
		line = line_at(data, offset, (size_t)newline);
		offset = (size_t)newline + 1;
		if (line.length == 0)
			break;
		if (parse_header(line, request, &state) != HTTP_PARSE_COMPLETE)
			return HTTP_PARSE_ERROR;
	}
	request->head_length = offset;
	return finish_request(request, &state);
}

bool http_list_contains(struct http_string list, const char *token)
{
	size_t token_length = strlen(token);
	size_t start = 0;

	while (start < list.length) {
		size_t end = start;
		size_t first;
		size_t last;

		while (end < list.length && list.data[end] != ',')
			end++;
		first = start;
		last = end;
		while (first < last && (list.data[first] == ' ' || list.data[first] == '\t'))
			first++;
		while (last > first && (list.data[last - 1] == ' ' || list.data[last - 1] == '\t'))
			last--;
		if (last - first == token_length &&
		    strncasecmp(list.data + first, token, token_length) == 0)
			return true;
		start = end + 1;
	}
	return false;
}

static int hex_digit(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

int http_percent_decode(struct http_string text, char *out, size_t out_size)
{
	size_t used = 0;

	for (size_t i = 0; i < text.length; i++) {
		char c = text.data[i];

		if (c == '%') {
			int high;
			int low;

			if (text.length - i < 3)
				return -EINVAL;
			high = hex_digit(text.data[i + 1]);
			low = hex_digit(text.data[i + 2]);
			if (high < 0 || low < 0 || (high == 0 && low == 0))
				return -EINVAL;
			c = (char)(high << 4 | low);
			i += 2;
		}
		if (used + 1 >= out_size)
			return -ENAMETOOLONG;
		out[used++] = c;
	}
	out[used] = '\0';
	return (int)used;
}

uint32_t http_query_group(struct http_string query)
{
	size_t start = 0;

	while (start < query.length) {
		size_t end = start;

		while (end < query.length && query.data[end] != '&')
			end++;
		if (end - start > 6 && memcmp(query.data + start, "group=", 6) == 0) {
			uint32_t group = 0;
			size_t digits = end - start - 6;
			const char *number = query.data + start + 6;

			if (digits > 8 || number[0] == '0')
				return 0;
			for (size_t i = 0; i < digits; i++) {
				if (number[i] < '0' || number[i] > '9')
					return 0;
				group = group * 10 + (uint32_t)(number[i] - '0');
			}
			return group <= METER_GROUP_MAX ? group : 0;
		}
		start = end + 1;
	}
	return 0;
}
