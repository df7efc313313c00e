/* Publishing an image into an image directory: the finished temp file is
 * renamed to its name, then SHA256SUMS is rewritten atomically to list it.
 * A reader of the directory (cascade-master) sees the old manifest or the
 * new one, and a listed file is always whole; publishers serialize on an
 * flock of the directory's lock file. */
#include "common/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"

static int lock_directory(int directory_fd)
{
	int fd = openat(directory_fd, MANIFEST_LOCK_NAME,
			O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int error = -errno;

			close(fd);
			return error;
		}
	}
	return fd;
}

/* The temp file must be a regular file on the directory's filesystem;
 * fsyncs it once more so the rename never exposes unwritten blocks. */
static int check_temp_file(const char *path, int directory_fd)
{
	struct stat file_status;
	struct stat directory_status;
	int result = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &file_status) != 0 || fstat(directory_fd, &directory_status) != 0)
		result = -errno;
	else if (!S_ISREG(file_status.st_mode))
		result = -EINVAL;
	else if (file_status.st_dev != directory_status.st_dev)
		result = -EXDEV;
	else if (fsync(fd) != 0)
		result = -errno;
	close(fd);
	return result;
}

static int write_manifest(const char *image_dir, const struct manifest *manifest)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t length = 0;
	int result;

	if (snprintf(path, sizeof(path), "%s/%s", image_dir, MANIFEST_FILE_NAME) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	result = manifest_format(manifest, &text, &length);
	if (result == 0)
		result = atomic_write_file(path, text, length, 0644);
	free(text);
	return result;
}

int manifest_publish_image(const char *image_dir, const char *name,
			   const char *verified_temp_path, const uint8_t sha256[32])
{
	struct manifest manifest = { 0 };
	int directory_fd;
	int lock_fd = -1;
	int result;

	if (name == NULL || !manifest_name_is_valid(name, strlen(name)) ||
	    strcmp(name, MANIFEST_FILE_NAME) == 0 || strcmp(name, MANIFEST_LOCK_NAME) == 0)
		return -EINVAL;
	directory_fd = open(image_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (directory_fd < 0)
		return -errno;
	lock_fd = lock_directory(directory_fd);
	if (lock_fd < 0) {
		result = lock_fd;
		goto out;
	}
	result = check_temp_file(verified_temp_path, directory_fd);
	if (result != 0)
		goto out;
	result = manifest_read(directory_fd, &manifest);
	if (result != 0)
		goto out;
	result = manifest_set_entry(&manifest, name, sha256);
	if (result != 0)
		goto out;
	if (renameat(AT_FDCWD, verified_temp_path, directory_fd, name) != 0) {
		result = -errno;
		goto out;
	}
	if (fsync(directory_fd) != 0) {
		result = -errno;
		goto out;
	}
	result = write_manifest(image_dir, &manifest);
out:
	manifest_free(&manifest);
	if (lock_fd >= 0)
		close(lock_fd);
	close(directory_fd);
	return result;
}
