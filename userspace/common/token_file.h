/* Bearer tokens kept in files (the operator API token, cascade-master's
 * admin token): the file is read whole (at most 4 KiB), surrounding
 * whitespace and newlines are dropped, and what is left must be visible
 * ASCII (no spaces) that fits the caller's buffer. */
#ifndef CASCADE_COMMON_TOKEN_FILE_H
#define CASCADE_COMMON_TOKEN_FILE_H

#include <stddef.h>

/* Returns the token's length, or a negative errno with why filled
 * (unreadable, empty, too long, a character that is not visible ASCII). */
int token_file_read(const char *path, char *token, size_t size, char *why, size_t why_size);

#endif
