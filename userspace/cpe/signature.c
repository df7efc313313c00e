/* Checks of image signatures on the device (see signature.h). */
#include "cpe/signature.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "common/image_signature.h"
#include "common/log.h"

unsigned int download_signature_check(const struct cpe_config *config, const struct download_request *request,
				      char *why, size_t why_size)
{
	char reason[400];

	if (!config->image_public_key[0])
		return 0;
	if (image_signature_verify(config->image_public_key, request->target_name, request->file_size,
				   request->sha256, request->signature, reason, sizeof(reason)) == 0) {
		log_info("download %s: image signature verified (%s, %llu bytes, sha256 %.16s...)",
			 request->command_key, request->target_name, (unsigned long long)request->file_size,
			 request->sha256);
		return 0;
	}
	snprintf(why, why_size, "image signature refused: %s", reason);
	log_warn("download %s: %s", request->command_key, why);
	return FAULT_FILE_AUTHENTICATION;
}

int data_model_validate_signature(const char *value, void *context)
{
	uint8_t signature[IMAGE_SIGNATURE_BYTES];

	(void)context;
	if (!value[0])
		return 0;
	return image_signature_decode(value, signature) == 0 ? 0 : -EINVAL;
}
