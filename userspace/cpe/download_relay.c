/* Announcing a download in progress to the local cascade-master (see
 * download_relay.h). */
#include "cpe/download_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "cpe/download_install.h"

#define PIECES_SUFFIX ".pieces"

int download_relay_paths(const struct cpe_config *config, const struct download_request *request, char *partial,
			 size_t partial_size, char *list_path, size_t list_size)
{
	char folder[CPE_PATH_MAX + 16];

	if (snprintf(folder, sizeof(folder), "%s/%s", config->image_dir, RELAY_PARTIAL_FOLDER) >= (int)sizeof(folder))
		return -ENAMETOOLONG;
	if (mkdir(folder, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (snprintf(partial, partial_size, "%s/%s", folder, request->target_name) >= (int)partial_size ||
	    snprintf(list_path, list_size, "%s/%s%s", folder, request->target_name, PIECES_SUFFIX) >= (int)list_size)
		return -ENAMETOOLONG;
	return 0;
}

/* true when path already holds exactly list. */
static bool holds(const char *path, const char *list, size_t list_length)
{
	char *text = NULL;
	size_t length = 0;
	bool same;

	if (read_whole_file(path, list_length, &text, &length) < 0)
		return false;
	same = length == list_length && memcmp(text, list, length) == 0;
	free(text);
	return same;
}

int download_relay_announce(const struct cpe_config *config, const char *partial, const char *list_path,
			    const char *list, size_t list_length, char *why, size_t why_size)
{
	int fd = open(partial, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	int result;

	if (fd < 0) {
		result = -errno;
		snprintf(why, why_size, "cannot create %s: %s", partial, strerror(errno));
		return result;
	}
	close(fd);
	if (!holds(list_path, list, list_length)) {
		result = atomic_write_file(list_path, list, list_length, 0644);
		if (result < 0) {
			snprintf(why, why_size, "cannot write %s: %s", list_path, strerror(-result));
			return result;
		}
	}
	return master_reload(config->file_server_url, config->ca_file, config->master_admin_token_file, why, why_size);
}

void download_relay_withdraw(const char *partial, const char *list_path)
{
	/* The data first: the master ends its streams at the deletion. */
	unlink(partial);
	unlink(list_path);
}
