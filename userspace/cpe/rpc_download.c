/* The Download RPC: checks what can be checked at once (file type, URL and
 * scheme, size against limits and free space, queue room), resolves an
 * empty URL to X_CASCADE_MasterURL (spv mode), records the expected
 * X_CASCADE_ImageSHA256 (and X_CASCADE_ImagePiecesSHA256: check every piece
 * as it arrives), and queues the request durably before the
 * DownloadResponse (status 1: a TransferComplete follows). */
#include "cpe/rpc.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/manifest.h"
#include "cpe/data_model.h"
#include "cpe/faults.h"
#include "cpe/signature.h"

void rpc_download_target_name(const char *target_file_name, const char *url, char *out, size_t size)
{
	const char *start, *end, *slash;

	if (target_file_name && manifest_name_is_valid(target_file_name, strlen(target_file_name))) {
		snprintf(out, size, "%s", target_file_name);
		return;
	}
	start = strstr(url, "://");
	start = start ? start + 3 : url;
	end = start + strcspn(start, "?#");
	slash = NULL;
	for (const char *c = start; c < end; c++)
		if (*c == '/')
			slash = c;
	if (slash && slash + 1 < end && manifest_name_is_valid(slash + 1, (size_t)(end - slash - 1)) &&
	    (size_t)(end - slash - 1) < size) {
		snprintf(out, size, "%.*s", (int)(end - slash - 1), slash + 1);
		return;
	}
	snprintf(out, size, "image.bin");
}

static void lowercase_hex(char *hex)
{
	for (char *c = hex; *c; c++)
		if (*c >= 'A' && *c <= 'F')
			*c = (char)(*c - 'A' + 'a');
}

unsigned int rpc_download(struct rpc_context *context, const struct cwmp_download *download, char *why,
			  size_t why_size)
{
	struct download_request request = { 0 };
	const char *url = download->url ? download->url : "";
	uint64_t free_space;
	unsigned int fault;
	int result;

	if (!download->file_type || strcmp(download->file_type, CWMP_FILE_TYPE_FIRMWARE) != 0) {
		snprintf(why, why_size, "FileType \"%.60s\" is not supported (only \"%s\")",
			 download->file_type ? download->file_type : "", CWMP_FILE_TYPE_FIRMWARE);
		return FAULT_INVALID_ARGUMENTS;
	}
	if (download->command_key && strlen(download->command_key) > COMMAND_KEY_MAX) {
		snprintf(why, why_size, "CommandKey longer than %d bytes", COMMAND_KEY_MAX);
		return FAULT_INVALID_ARGUMENTS;
	}
	if (!url[0]) {
		parameter_store_get(context->parameters, PARAM_MASTER_URL, request.url, sizeof(request.url));
		if (!request.url[0]) {
			snprintf(why, why_size, "empty URL and no X_CASCADE_MasterURL set");
			return FAULT_INVALID_ARGUMENTS;
		}
		log_info("Download with an empty URL: using X_CASCADE_MasterURL %s", request.url);
	} else if (snprintf(request.url, sizeof(request.url), "%s", url) >= (int)sizeof(request.url)) {
		snprintf(why, why_size, "URL longer than %d bytes", CPE_URL_MAX - 1);
		return FAULT_INVALID_ARGUMENTS;
	}
	if (!cpe_url_is_http(request.url)) {
		snprintf(why, why_size, "unsupported protocol in %.100s (only http and https)", request.url);
		return FAULT_UNSUPPORTED_PROTOCOL;
	}
	if (download->file_size > context->config->max_image_size) {
		snprintf(why, why_size, "FileSize %" PRIu64 " is over the limit of %" PRIu64 " bytes", download->file_size,
			 context->config->max_image_size);
		return FAULT_RESOURCES_EXCEEDED;
	}
	free_space = context->free_space ? context->free_space(context->config)
					 : data_model_cache_size(context->config);
	if (download->file_size > free_space) {
		snprintf(why, why_size, "FileSize %" PRIu64 " does not fit in the %" PRIu64 " bytes free",
			 download->file_size, free_space);
		return FAULT_RESOURCES_EXCEEDED;
	}
	if ((download->username && strlen(download->username) >= sizeof(request.username)) ||
	    (download->password && strlen(download->password) >= sizeof(request.password))) {
		snprintf(why, why_size, "Username or Password too long");
		return FAULT_INVALID_ARGUMENTS;
	}
	snprintf(request.command_key, sizeof(request.command_key), "%s",
		 download->command_key ? download->command_key : "");
	snprintf(request.username, sizeof(request.username), "%s", download->username ? download->username : "");
	snprintf(request.password, sizeof(request.password), "%s", download->password ? download->password : "");
	request.file_size = download->file_size;
	rpc_download_target_name(download->target_file_name, request.url, request.target_name,
				 sizeof(request.target_name));
	parameter_store_get(context->parameters, PARAM_IMAGE_SHA256, request.sha256, sizeof(request.sha256));
	parameter_store_get(context->parameters, PARAM_IMAGE_PIECES_SHA256, request.pieces_sha256,
			    sizeof(request.pieces_sha256));
	lowercase_hex(request.sha256);
	lowercase_hex(request.pieces_sha256);
	parameter_store_get(context->parameters, PARAM_IMAGE_SIGNATURE, request.signature, sizeof(request.signature));
	fault = download_signature_check(context->config, &request, why, why_size);
	if (fault)
		return fault;
	request.accepted_at = realtime_seconds();
	request.not_before = request.accepted_at + download->delay_seconds;
	result = download_queue_push(context->downloads, &request);
	if (result == -EBUSY) {
		snprintf(why, why_size, "%d downloads already waiting", DOWNLOAD_QUEUE_MAX);
		return FAULT_RESOURCES_EXCEEDED;
	}
	if (result < 0) {
		snprintf(why, why_size, "cannot record the download: %s", strerror(-result));
		return result == -ENOSPC ? FAULT_DOWNLOAD_FAILURE : FAULT_INTERNAL_ERROR;
	}
	log_info("Download %s accepted: %s -> %s, %" PRIu64 " bytes, sha256 %s, pieces %s, delay %u s",
		 request.command_key, request.url, request.target_name, request.file_size,
		 request.sha256[0] ? request.sha256 : "(none)",
		 request.pieces_sha256[0] ? request.pieces_sha256 : "(checked at the end)", download->delay_seconds);
	return 0;
}
