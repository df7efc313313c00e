/* Reading bearer tokens from files (see token_file.h). */
#include "common/token_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"

int token_file_read(const char *path, char *token, size_t size, char *why, size_t why_size)
{
	char *text = NULL;
	size_t length = 0, start = 0;
	int result = read_whole_file(path, 4096, &text, &length);

	if (size)
		token[0] = '\0';
	if (result < 0) {
		snprintf(why, why_size, "cannot read token file %s: %s", path, strerror(-result));
		return result;
	}
	while (start < length && strchr(" \t\r\n", text[start]))
		start++;
	while (length > start && strchr(" \t\r\n", text[length - 1]))
		length--;
	length -= start;
	result = -EINVAL;
	if (length == 0 || length >= size) {
		snprintf(why, why_size, "token file %s: the token must be 1 to %zu characters", path,
			 size ? size - 1 : 0);
		goto out;
	}
	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)text[start + i];

		if (c <= 0x20 || c >= 0x7f) {
			snprintf(why, why_size, "token file %s: the token has a character that is not visible ASCII",
				 path);
			goto out;
		}
	}
	memcpy(token, text + start, length);
	token[length] = '\0';
	result = (int)length;
out:
	free(text);
	return result;
}
