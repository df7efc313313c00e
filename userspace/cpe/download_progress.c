/* Where a download's partial file and progress record live, and reading
 * and writing the record (see download_queue.h). */
#include "cpe/download_queue.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/sha256.h"
#include "cpe/json_file.h"

int download_partial_paths(const char *data_dir, const struct download_request *request, char *partial,
			   size_t partial_size, char *progress, size_t progress_size)
{
	char key[SHA256_HEX_LENGTH + 1], folder[CPE_PATH_MAX + 16], source[CPE_URL_MAX + 32];
	uint8_t digest[SHA256_DIGEST_BYTES];

	if (request->sha256[0]) {
		snprintf(key, sizeof(key), "%s", request->sha256);
	} else {
		snprintf(source, sizeof(source), "%s\n%llu", request->url, (unsigned long long)request->file_size);
		if (sha256_buffer(source, strlen(source), digest) < 0)
			return -ENOMEM;
		sha256_to_hex(digest, key);
	}
	if (snprintf(folder, sizeof(folder), "%s/downloads", data_dir) >= (int)sizeof(folder))
		return -ENAMETOOLONG;
	if (mkdir(folder, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (snprintf(partial, partial_size, "%s/%s.part", folder, key) >= (int)partial_size ||
	    snprintf(progress, progress_size, "%s/%s.progress", folder, key) >= (int)progress_size)
		return -ENAMETOOLONG;
	return 0;
}

int download_progress_load(const char *path, struct download_progress *progress)
{
	json_t *document = NULL;
	int result;

	memset(progress, 0, sizeof(*progress));
	result = json_file_load(path, &document);
	if (result < 0)
		return result == -EINVAL ? -ENOENT : result;
	progress->durable_bytes = json_member_unsigned(document, "durable_bytes", 0);
	progress->total_bytes = json_member_unsigned(document, "total_bytes", 0);
	progress->verified_bytes = json_member_unsigned(document, "verified_bytes", 0);
	snprintf(progress->url, sizeof(progress->url), "%s", json_member_string(document, "url", ""));
	json_decref(document);
	return 0;
}

int download_progress_save(const char *path, const struct download_progress *progress)
{
	json_t *document = json_pack("{s:i, s:I, s:I, s:I, s:s}", "format", 1, "durable_bytes",
				     (json_int_t)progress->durable_bytes, "total_bytes",
				     (json_int_t)progress->total_bytes, "verified_bytes",
				     (json_int_t)progress->verified_bytes, "url", progress->url);
	int result;

	if (!document)
		return -ENOMEM;
	result = json_file_save(path, document);
	json_decref(document);
	return result;
}
