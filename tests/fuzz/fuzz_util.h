/* Helpers shared by the libFuzzer harnesses: fuzz input as a file (a
 * memfd named by /proc/self/fd/N, so loaders that take a path read it
 * without touching the disk), and as an argv of NUL- or newline-separated
 * words for command-line parsers. Header-only: each harness is one
 * translation unit. */
#ifndef CASCADE_FUZZ_UTIL_H
#define CASCADE_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct fuzz_file {
	int fd;
	char path[64];
};

/* Writes data into a fresh memfd; returns 0 or -1. */
static inline int fuzz_file_open(struct fuzz_file *file, const uint8_t *data, size_t size)
{
	size_t written = 0;

	file->fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	if (file->fd < 0)
		return -1;
	while (written < size) {
		ssize_t result = write(file->fd, data + written, size - written);

		if (result <= 0) {
			close(file->fd);
			return -1;
		}
		written += (size_t)result;
	}
	snprintf(file->path, sizeof(file->path), "/proc/self/fd/%d", file->fd);
	return 0;
}

static inline void fuzz_file_close(struct fuzz_file *file)
{
	close(file->fd);
}

#define FUZZ_ARGV_MAX 24

/* Splits data at '\n' into at most FUZZ_ARGV_MAX - 1 arguments after
 * argv[0] = program; *storage is malloc'd (free it). Returns argc. */
static inline int fuzz_argv(const uint8_t *data, size_t size, const char *program, char **argv,
			    char **storage)
{
	int argc = 0;
	char *text = malloc(size + 1), *cursor;

	*storage = text;
	argv[argc++] = (char *)program;
	if (!text) {
		argv[argc] = NULL;
		return argc;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	cursor = text;
	while (argc < FUZZ_ARGV_MAX - 1 && cursor != NULL) {
		char *newline = strchr(cursor, '\n');

		if (newline)
			*newline = '\0';
		argv[argc++] = cursor;
		cursor = newline ? newline + 1 : NULL;
	}
	argv[argc] = NULL;
	return argc;
}

/* true when an argument mentions "config": harnesses skip such command
 * lines, since --config FILE would read arbitrary paths of this machine
 * (a FIFO or /dev/zero would hang the run). */
static inline int fuzz_argv_names_config(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strstr(argv[i], "config") != NULL)
			return 1;
	return 0;
}

#endif
