/* Pin paths, the pin directory's lock, pinned-map opening and removal, and
 * the exporter lease of the eBPF meters. */
#include "meter/meter_pins.h"
#include "common/clock.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_POLL_NS 5000000L   /* 5 ms between tries while another process holds it */
#define LOCK_REOPEN_TRIES 20    /* the folder removed and made again under us */

const char *meter_pin_dir(const char *pin_dir)
{
	return pin_dir != NULL && pin_dir[0] != '\0' ? pin_dir : METER_DEFAULT_PIN_DIR;
}

int meter_pin_path(const char *pin_dir, const char *name, char *out, size_t size)
{
	int length = snprintf(out, size, "%s/%s", meter_pin_dir(pin_dir), name);

	return length < 0 || (size_t)length >= size ? -ENAMETOOLONG : 0;
}

int meter_prepare_pin_dir(const char *pin_dir, struct meter_error *error)
{
	int result = meter_check_bpffs(meter_pin_dir(pin_dir), error);

	if (result < 0)
		return result;
	if (mkdir(meter_pin_dir(pin_dir), 0700) < 0 && errno != EEXIST) {
		result = -errno;
		if (result == -EACCES || result == -EPERM)
			return meter_error_set(error, result, "not root: cannot create %s; run as root",
					       meter_pin_dir(pin_dir));
		return meter_error_set(error, result, "cannot create pin directory %s: %s",
				       meter_pin_dir(pin_dir), strerror(-result));
	}
	return 0;
}

static int not_attached(const char *pin_dir, struct meter_error *error)
{
	return meter_error_set(error, -ENOENT,
			       "not attached: nothing pinned at %s; run 'cascade-meter --bpf-pin-dir %s attach --interface IF'",
			       pin_dir, pin_dir);
}

/* True when fd is still the folder the path names (not removed under us). */
static bool still_the_folder(int fd, const char *path)
{
	struct stat held, named;

	return fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
	       held.st_ino == named.st_ino;
}

/* flock, polling until the deadline so that the wait is bounded. */
static int flock_until(int fd, int operation, uint64_t deadline_ns)
{
	struct timespec pause = { 0, LOCK_POLL_NS };

	for (;;) {
		if (flock(fd, operation | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (monotonic_ns() >= deadline_ns)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}

int meter_pin_dir_lock(const char *pin_dir, bool exclusive, bool create, int *lock_fd,
		       struct meter_error *error)
{
	const char *path = meter_pin_dir(pin_dir);
	uint64_t deadline = monotonic_ns() + (uint64_t)METER_LOCK_TIMEOUT_MS * 1000000ull;
	int result;

	*lock_fd = -1;
	if ((result = meter_check_bpffs(path, error)) < 0)
		return result;
	for (int attempt = 0; attempt < LOCK_REOPEN_TRIES; attempt++) {
		if (create && (result = meter_prepare_pin_dir(path, error)) < 0)
			return result;
		int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			result = -errno;
			if (result == -ENOENT && !create)
				return not_attached(path, error);
			if (result == -ENOENT)
				continue;   /* removed between mkdir and open */
			if (result == -EACCES || result == -EPERM)
				return meter_error_set(error, result, "not root: cannot open %s; run as root", path);
			return meter_error_set(error, result, "cannot open %s: %s", path, strerror(-result));
		}
		result = flock_until(fd, exclusive ? LOCK_EX : LOCK_SH, deadline);
		if (result < 0) {
			close(fd);
			if (result == -ETIMEDOUT)
				return meter_error_set(error, result,
						       "busy: another process has held the lock on %s for %d s "
						       "(an attach or detach that hangs?); see 'fuser -v %s'",
						       path, METER_LOCK_TIMEOUT_MS / 1000, path);
			return meter_error_set(error, result, "cannot lock %s: %s", path, strerror(-result));
		}
		if (still_the_folder(fd, path)) {
			*lock_fd = fd;
			return 0;
		}
		close(fd);   /* detach --unpin removed it while we waited */
		if (!create)
			return not_attached(path, error);
	}
	return meter_error_set(error, -EAGAIN, "%s keeps being removed and created; try again", path);
}

void meter_pin_dir_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd);   /* closing the last descriptor releases the flock */
}

int meter_open_pinned(const char *pin_dir, const char *name, int *fd, struct meter_error *error)
{
	char path[512];
	int result = meter_pin_path(pin_dir, name, path, sizeof(path));

	if (result < 0)
		return meter_error_set(error, result, "pin directory name too long: %s", meter_pin_dir(pin_dir));
	result = bpf_obj_get(path);
	if (result >= 0) {
		*fd = result;
		return 0;
	}
	result = -errno;
	if (result == -ENOENT)
		return not_attached(meter_pin_dir(pin_dir), error);
	if (result == -EPERM || result == -EACCES)
		return meter_error_set(error, result, "not root: reading %s needs root (CAP_BPF); run as root", path);
	return meter_error_set(error, result, "cannot open %s: %s", path, strerror(-result));
}

void meter_unpin(const char *pin_dir, const char *name)
{
	char path[512];

	if (meter_pin_path(pin_dir, name, path, sizeof(path)) == 0)
		unlink(path);
}

void meter_pin_dir_remove_if_empty(const char *pin_dir)
{
	DIR *folder = opendir(meter_pin_dir(pin_dir));
	struct dirent *entry;
	bool other = false;
	char path[512];

	if (folder == NULL)
		return;
	/* The exporter folder alone does not keep a pin directory. */
	while (!other && (entry = readdir(folder)) != NULL)
		other = strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 &&
			strcmp(entry->d_name, METER_EXPORTER_DIR) != 0;
	closedir(folder);
	if (other)
		return;
	if (meter_pin_path(pin_dir, METER_EXPORTER_DIR, path, sizeof(path)) == 0)
		rmdir(path);
	rmdir(meter_pin_dir(pin_dir));
}

bool meter_exporter_lease(const char *pin_dir, int *lease_fd)
{
	char path[512];
	int fd;

	if (meter_pin_path(pin_dir, METER_EXPORTER_DIR, path, sizeof(path)) < 0)
		return false;
	if (*lease_fd >= 0) {
		if (still_the_folder(*lease_fd, path))
			return true;
		meter_exporter_release(lease_fd);
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return false;   /* no pin directory (yet): nobody can export */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || !still_the_folder(fd, path)) {
		close(fd);
		return false;
	}
	*lease_fd = fd;
	return true;
}

void meter_exporter_release(int *lease_fd)
{
	if (*lease_fd >= 0)
		close(*lease_fd);
	*lease_fd = -1;
}
