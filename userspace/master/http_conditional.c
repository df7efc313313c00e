/* If-Match / If-None-Match / If-Range evaluation against a strong ETag. */
#include "master/http_conditional.h"

#include <string.h>

static bool is_etag_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80;
}

static void skip_spaces(const char **cursor, const char *end)
{
	while (*cursor < end && (**cursor == ' ' || **cursor == '\t'))
		(*cursor)++;
}

bool http_etag_list_matches(struct http_string list, struct http_string etag, bool weak)
{
	const char *cursor = list.data;
	const char *end = list.data + list.length;
	bool matched = false;

	skip_spaces(&cursor, end);
	if (end - cursor >= 1 && *cursor == '*') {
		cursor++;
		skip_spaces(&cursor, end);
		return cursor == end;
	}
	while (cursor < end) {
		bool is_weak = false;
		const char *opening;

		if (end - cursor >= 2 && cursor[0] == 'W' && cursor[1] == '/') {
			is_weak = true;
			cursor += 2;
		}
		if (cursor >= end || *cursor != '"')
			return false;
		opening = cursor++;
		while (cursor < end && is_etag_char((unsigned char)*cursor))
			cursor++;
		if (cursor >= end || *cursor != '"')
			return false;
		cursor++;
		if ((size_t)(cursor - opening) == etag.length &&
		    memcmp(opening, etag.data, etag.length) == 0 && (weak || !is_weak))
			matched = true;
		skip_spaces(&cursor, end);
		if (cursor < end && *cursor != ',')
			return false;
		while (cursor < end && (*cursor == ',' || *cursor == ' ' || *cursor == '\t'))
			cursor++;
	}
	return matched;
}

enum http_condition http_evaluate_preconditions(const struct http_request *request,
						struct http_string etag)
{
	bool safe = request->method == HTTP_METHOD_GET || request->method == HTTP_METHOD_HEAD;

	if (request->if_match.data != NULL &&
	    !http_etag_list_matches(request->if_match, etag, false))
		return HTTP_CONDITION_PRECONDITION_FAILED;
	if (request->if_none_match.data != NULL &&
	    http_etag_list_matches(request->if_none_match, etag, true))
		return safe ? HTTP_CONDITION_NOT_MODIFIED : HTTP_CONDITION_PRECONDITION_FAILED;
	return HTTP_CONDITION_PROCEED;
}

bool http_range_applies(const struct http_request *request, struct http_string etag)
{
	struct http_string if_range = request->if_range;

	if (request->method != HTTP_METHOD_GET || request->range.data == NULL)
		return false;
	if (if_range.data == NULL)
		return true;
	/* An If-Range date never matches: images carry no Last-Modified. */
	return if_range.length == etag.length && memcmp(if_range.data, etag.data, etag.length) == 0;
}
