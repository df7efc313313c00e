/* Range header parsing: "bytes=a-b", "bytes=a-", "bytes=-n", lists of
 * them, optional whitespace around commas, numbers too large to hold
 * treated as larger than any image. */
#include "master/http_range.h"

#include <stdbool.h>
#include <strings.h>

enum spec_kind { SPEC_BAD, SPEC_OK, SPEC_UNSATISFIABLE };

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Reads digits at *cursor; saturates at UINT64_MAX; false when none. */
static bool read_number(const char **cursor, const char *end, uint64_t *number)
{
	const char *start = *cursor;
	uint64_t value = 0;

	while (*cursor < end && **cursor >= '0' && **cursor <= '9') {
		unsigned digit = (unsigned)(**cursor - '0');

		value = value > (UINT64_MAX - digit) / 10 ? UINT64_MAX : value * 10 + digit;
		(*cursor)++;
	}
	*number = value;
	return *cursor > start;
}

static enum spec_kind parse_spec(const char *cursor, const char *end, uint64_t size,
				 struct http_byte_range *range)
{
	uint64_t first;
	uint64_t last;

	if (cursor < end && *cursor == '-') {
		cursor++;
		if (!read_number(&cursor, end, &last) || cursor != end)
			return SPEC_BAD;
		if (last == 0 || size == 0)
			return SPEC_UNSATISFIABLE;
		range->first = last >= size ? 0 : size - last;
		range->last = size - 1;
		return SPEC_OK;
	}
	if (!read_number(&cursor, end, &first) || cursor == end || *cursor != '-')
		return SPEC_BAD;
	cursor++;
	last = UINT64_MAX;
	if (cursor < end && (!read_number(&cursor, end, &last) || last < first))
		return SPEC_BAD;
	if (cursor != end)
		return SPEC_BAD;
	if (first >= size)
		return SPEC_UNSATISFIABLE;
	range->first = first;
	range->last = last >= size ? size - 1 : last;
	return SPEC_OK;
}

enum http_range_result http_range_parse(struct http_string value, uint64_t size,
					struct http_byte_range *range)
{
	const char *cursor = value.data;
	const char *end = value.data + value.length;
	struct http_byte_range found = { 0, 0 };
	unsigned int specs = 0;
	unsigned int satisfiable = 0;

	if (value.length < 6 || strncasecmp(value.data, "bytes=", 6) != 0)
		return HTTP_RANGE_NONE;
	cursor += 6;
	while (cursor < end) {
		const char *spec_end = cursor;
		const char *trimmed_end;
		struct http_byte_range candidate;

		while (spec_end < end && *spec_end != ',')
			spec_end++;
		trimmed_end = spec_end;
		while (cursor < trimmed_end && is_space(*cursor))
			cursor++;
		while (trimmed_end > cursor && is_space(trimmed_end[-1]))
			trimmed_end--;
		if (cursor < trimmed_end) {
			specs++;
			switch (parse_spec(cursor, trimmed_end, size, &candidate)) {
			case SPEC_BAD:
				return HTTP_RANGE_NONE;
			case SPEC_OK:
				if (satisfiable++ == 0)
					found = candidate;
				break;
			case SPEC_UNSATISFIABLE:
				break;
			}
		}
		cursor = spec_end < end ? spec_end + 1 : end;
	}
	if (specs == 0)
		return HTTP_RANGE_NONE;
	if (satisfiable == 0)
		return HTTP_RANGE_UNSATISFIABLE;
	if (specs > 1)
		return HTTP_RANGE_NONE;
	*range = found;
	return HTTP_RANGE_PARTIAL;
}
