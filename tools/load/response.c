/* Response head parsing for the load generator. */
#include "response.h"

#include <string.h>
#include <strings.h>

#define HEAD_LIMIT 16384

static bool parse_number(const char *text, size_t length, uint64_t *value)
{
	uint64_t number = 0;

	if (length == 0 || length > 19)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		number = number * 10 + (uint64_t)(text[i] - '0');
	}
	*value = number;
	return true;
}

/* "bytes 0-99/1000" or "bytes * /1000" (without the space). */
static bool parse_content_range(const char *value, size_t length, struct response_head *head)
{
	const char *slash = memchr(value, '/', length);
	const char *dash;

	if (length < 7 || strncasecmp(value, "bytes ", 6) != 0 || slash == NULL)
		return false;
	if (!parse_number(slash + 1, length - (size_t)(slash + 1 - value), &head->range_size))
		return false;
	if (value[6] == '*')
		head->range_first = 0;
	else {
		dash = memchr(value + 6, '-', (size_t)(slash - value - 6));
		if (dash == NULL || !parse_number(value + 6, (size_t)(dash - value - 6),
						  &head->range_first))
			return false;
	}
	head->has_content_range = true;
	return true;
}

int response_head_parse(const char *data, size_t length, struct response_head *head)
{
	const char *end = NULL;
	const char *line;
	const char *line_end;

	memset(head, 0, sizeof(*head));
	for (size_t i = 3; i < length; i++) {
		if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' && data[i - 3] == '\r') {
			end = data + i + 1;
			break;
		}
	}
	if (end == NULL)
		return length > HEAD_LIMIT ? -1 : 0;
	head->head_length = (size_t)(end - data);
	if (head->head_length < 16 || memcmp(data, "HTTP/1.", 7) != 0 || data[8] != ' ')
		return -1;
	if (data[9] < '1' || data[9] > '5' || data[10] < '0' || data[10] > '9' ||
	    data[11] < '0' || data[11] > '9')
		return -1;
	head->status = (data[9] - '0') * 100 + (data[10] - '0') * 10 + (data[11] - '0');
	line = memchr(data, '\n', head->head_length) + 1;
	while (line < end - 2) {
		const char *colon;
		const char *value;
		size_t value_length;

		line_end = memchr(line, '\r', (size_t)(end - line));
		if (line_end == NULL || line_end[1] != '\n')
			return -1;
		colon = memchr(line, ':', (size_t)(line_end - line));
		if (colon == NULL)
			return -1;
		value = colon + 1;
		while (value < line_end && (*value == ' ' || *value == '\t'))
			value++;
		value_length = (size_t)(line_end - value);
		if ((size_t)(colon - line) == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
			if (!parse_number(value, value_length, &head->content_length))
				return -1;
			head->has_content_length = true;
		} else if ((size_t)(colon - line) == 13 && strncasecmp(line, "Content-Range", 13) == 0) {
			if (!parse_content_range(value, value_length, head))
				return -1;
		}
		line = line_end + 2;
	}
	return 1;
}
