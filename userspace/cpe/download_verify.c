/* Size and SHA-256 check of a fetched image (see download_install.h). */
#include "cpe/download_install.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/sha256.h"
#include "cpe/faults.h"

unsigned int download_verify(const char *path, const struct download_request *request, char actual_sha256[65],
			     char *why, size_t why_size)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	uint64_t size = 0;
	int result;

	actual_sha256[0] = '\0';
	result = sha256_file(path, digest, &size);
	if (result < 0) {
		snprintf(why, why_size, "cannot read the downloaded file: %s", strerror(-result));
		return FAULT_INTERNAL_ERROR;
	}
	sha256_to_hex(digest, actual_sha256);
	if (request->file_size && size != request->file_size) {
		snprintf(why, why_size, "file corrupted: %" PRIu64 " bytes, the Download's FileSize is %" PRIu64, size,
			 request->file_size);
		return FAULT_FILE_CORRUPTED;
	}
	if (request->sha256[0] && strcasecmp(request->sha256, actual_sha256) != 0) {
		snprintf(why, why_size, "file corrupted: SHA-256 %.16s... is not X_CASCADE_ImageSHA256 %.16s...",
			 actual_sha256, request->sha256);
		return FAULT_FILE_CORRUPTED;
	}
	return 0;
}
