/* Crash-safe file replacement: write a temporary file in the same folder,
 * fsync it, rename it over the target and fsync the folder, so a reader (or
 * a restart after kill -9) sees either the old content or the new, whole. */
#ifndef CASCADE_COMMON_ATOMIC_FILE_H
#define CASCADE_COMMON_ATOMIC_FILE_H

#include <stddef.h>

int atomic_write_file(const char *path, const void *data, size_t length, unsigned int mode);
/* Writes all length bytes to fd (retrying short writes and EINTR). */
int atomic_file_write_all(int fd, const void *data, size_t length);
/* fsyncs the folder holding path, making a rename or create in it durable. */
int fsync_parent_directory(const char *path);
/* Reads a whole file into a NUL-terminated malloc'd buffer (at most max_length bytes). */
int read_whole_file(const char *path, size_t max_length, char **data, size_t *length);
/* The same from an open file descriptor (a regular file; position must be 0). */
int read_whole_fd(int fd, size_t max_length, char **data, size_t *length);

#endif
