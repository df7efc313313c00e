/* Crash-safe whole-file writes (temp + fsync + rename + fsync of the folder)
 * and bounded whole-file reads. */
#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync_parent_directory(const char *path)
{
	char copy[PATH_MAX];
	int fd;
	int result = 0;

	if (snprintf(copy, sizeof(copy), "%s", path) >= (int)sizeof(copy))
		return -ENAMETOOLONG;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) != 0)
		result = -errno;
	close(fd);
	return result;
}

int atomic_file_write_all(int fd, const void *data, size_t length)
{
	const char *cursor = data;

	while (length > 0) {
		ssize_t written = write(fd, cursor, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written < 0)
			return -errno;
		if (written == 0)
			return -EIO; /* no progress: do not spin */
		cursor += written;
		length -= (size_t)written;
	}
	return 0;
}

int atomic_write_file(const char *path, const void *data, size_t length, unsigned int mode)
{
	char temporary[PATH_MAX];
	int fd;
	int result;

	if (snprintf(temporary, sizeof(temporary), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(temporary))
		return -ENAMETOOLONG;
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	result = atomic_file_write_all(fd, data, length);
	if (result == 0 && fsync(fd) != 0)
		result = -errno;
	if (close(fd) != 0 && result == 0)
		result = -errno;
	if (result == 0 && rename(temporary, path) != 0)
		result = -errno;
	if (result != 0) {
		unlink(temporary);
		return result;
	}
	return fsync_parent_directory(path);
}

int read_whole_fd(int fd, size_t max_length, char **data, size_t *length)
{
	struct stat status;
	char *buffer = NULL;
	size_t used = 0;
	int result = 0;

	if (fstat(fd, &status) != 0)
		return -errno;
	if (!S_ISREG(status.st_mode))
		return -EINVAL;
	if ((uint64_t)status.st_size > max_length)
		return -EFBIG;
	buffer = malloc((size_t)status.st_size + 1);
	if (buffer == NULL)
		return -ENOMEM;
	while (used < (size_t)status.st_size) {
		ssize_t got = read(fd, buffer + used, (size_t)status.st_size - used);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			result = -errno;
			goto out;
		}
		if (got == 0)
			break;
		used += (size_t)got;
	}
	buffer[used] = '\0';
	*data = buffer;
	*length = used;
	buffer = NULL;
out:
	free(buffer);
	return result;
}

int read_whole_file(const char *path, size_t max_length, char **data, size_t *length)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int result;

	if (fd < 0)
		return -errno;
	result = read_whole_fd(fd, max_length, data, length);
	close(fd);
	return result;
}
