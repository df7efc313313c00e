/* Moving a verified image into place, publishing it to cascade-master on a
 * master, and installing it (see download_install.h). */
#include "cpe/download_install.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "common/manifest.h"
#include "common/sha256.h"
#include "cpe/faults.h"

/* Copies source into a hidden temp file of image_dir, fsynced, and checks
 * the copy's hash: for an image folder on another filesystem. */
static int copy_into(const char *source, const char *image_dir, const char *name, const uint8_t digest[32],
		     char *copy_path, size_t copy_size)
{
	uint8_t copied[SHA256_DIGEST_BYTES];
	char buffer[65536];
	int input, output, result = 0;

	if (snprintf(copy_path, copy_size, "%s/.%s.cascade-cpe.tmp", image_dir, name) >= (int)copy_size)
		return -ENAMETOOLONG;
	input = open(source, O_RDONLY | O_CLOEXEC);
	if (input < 0)
		return -errno;
	unlink(copy_path);
	output = open(copy_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (output < 0) {
		result = -errno;
		close(input);
		return result;
	}
	/* To the end of a regular file: bounded by its size, like sha256_fd. */
	while (result == 0) {
		ssize_t got = read(input, buffer, sizeof(buffer));

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			result = got < 0 ? -errno : 0;
			break;
		}
		result = atomic_file_write_all(output, buffer, (size_t)got);
	}
	if (result == 0 && fsync(output) < 0)
		result = -errno;
	close(input);
	close(output);
	if (result == 0) {
		result = sha256_file(copy_path, copied, NULL);
		if (result == 0 && memcmp(copied, digest, SHA256_DIGEST_BYTES) != 0)
			result = -EIO;
	}
	if (result < 0)
		unlink(copy_path);
	return result;
}

static unsigned int publish(const struct cpe_config *config, const struct download_request *request,
			    const char *verified_path, const char *announced_list, const char *sha256_hex,
			    char *final_path, size_t final_size, char *why, size_t why_size)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char copy_path[CPE_PATH_MAX + 300], reason[300] = "";
	int result;

	if (sha256_from_hex(sha256_hex, digest) < 0) {
		snprintf(why, why_size, "internal error: bad hash");
		return FAULT_INTERNAL_ERROR;
	}
	result = manifest_publish_image(config->image_dir, request->target_name, verified_path, digest);
	if (result == -EXDEV) {
		result = copy_into(verified_path, config->image_dir, request->target_name, digest, copy_path,
				   sizeof(copy_path));
		if (result == 0)
			result = manifest_publish_image(config->image_dir, request->target_name, copy_path, digest);
		if (result == 0)
			unlink(verified_path);
		else
			unlink(copy_path);
	}
	if (result < 0) {
		if (result == -ENOSPC || result == -EDQUOT)
			log_error("no space left in %s to publish %s", config->image_dir, request->target_name);
		snprintf(why, why_size, "cannot publish %s into %s: %s", request->target_name, config->image_dir,
			 strerror(-result));
		return result == -ENOSPC || result == -EDQUOT ? FAULT_DOWNLOAD_FAILURE : FAULT_INTERNAL_ERROR;
	}
	snprintf(final_path, final_size, "%s/%s", config->image_dir, request->target_name);
	log_info("published %s (sha256 %.16s...) into %s", request->target_name, sha256_hex, config->image_dir);
	/* Served whole from the next reload on: no longer a receiving image. */
	if (announced_list != NULL)
		unlink(announced_list);
	for (unsigned int attempt = 0; attempt < 3; attempt++) {
		if (attempt)
			sleep(1);
		result = master_reload(config->file_server_url, config->ca_file, config->master_admin_token_file,
				       reason, sizeof(reason));
		if (result == 0) {
			log_info("cascade-master at %s reloaded: serving %s", config->file_server_url,
				 request->target_name);
			return 0;
		}
		log_warn("cascade-master reload failed: %s", reason);
	}
	snprintf(why, why_size, "image published but cascade-master did not reload: %s", reason);
	return FAULT_DOWNLOAD_FAILURE;
}

static unsigned int place(const struct cpe_config *config, const struct download_request *request,
			  const char *verified_path, char *final_path, size_t final_size, char *why, size_t why_size)
{
	char folder[CPE_PATH_MAX + 16];
	int result = 0;

	snprintf(folder, sizeof(folder), "%s/images", config->data_dir);
	if (mkdir(folder, 0755) < 0 && errno != EEXIST)
		result = -errno;
	if (result == 0 && snprintf(final_path, final_size, "%s/%s", folder, request->target_name) >= (int)final_size)
		result = -ENAMETOOLONG;
	if (result == 0 && rename(verified_path, final_path) < 0)
		result = -errno;
	if (result == 0)
		result = fsync_parent_directory(final_path);
	if (result < 0) {
		snprintf(why, why_size, "cannot move the image into %s: %s", folder, strerror(-result));
		return FAULT_INTERNAL_ERROR;
	}
	return 0;
}

unsigned int download_install(const struct cpe_config *config, bool publish_it, const struct download_request *request,
			      const char *verified_path, const char *announced_list, const char *sha256_hex,
			      char *final_path, size_t final_size, char *why, size_t why_size)
{
	unsigned int fault;

	if (publish_it)
		fault = publish(config, request, verified_path, announced_list, sha256_hex, final_path, final_size,
				why, why_size);
	else
		fault = place(config, request, verified_path, final_path, final_size, why, why_size);
	if (fault)
		return fault;
	if (!config->install_command[0])
		return 0;
	return install_command_run(config->install_command, final_path, sha256_hex, request->command_key,
				   config->install_timeout_ms, why, why_size);
}
