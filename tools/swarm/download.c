/* Image downloads of simulated devices: real HTTP GETs of the URL the ACS
 * gave (or X_CASCADE_MasterURL in spv mode), resumed with Range after an
 * interruption, hashed on the fly and checked against X_CASCADE_ImageSHA256
 * when the ACS set it; file-server devices keep the image to serve it to
 * their slaves. The outcome becomes a TransferComplete in a new session. */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static void image_path(struct swarm *swarm, struct swarm_device *device, const char *name, bool partial, char *path,
		       size_t size)
{
	snprintf(path, size, "%s/%u-%s%s", swarm->options.store_dir, device->index, name, partial ? ".part" : "");
}

static void reset_partial(struct swarm_device *device)
{
	sha256_stream_free(device->hash);
	device->hash = NULL;
	device->downloaded = 0;
	free(device->partial_name);
	device->partial_name = NULL;
	if (device->store_fd >= 0) {
		close(device->store_fd);
		device->store_fd = -1;
	}
}

/* Records the outcome and asks for a session to report it. */
static void complete(struct swarm *swarm, struct swarm_device *device, unsigned int fault_code)
{
	device->downloading = false;
	device->download_easy = NULL;
	device->transfer_pending = true;
	device->transfer_fault = fault_code;
	free(device->transfer_command_key);
	device->transfer_command_key = device->download_key ? strdup(device->download_key) : strdup("");
	cwmp_format_time((uint64_t)time(NULL), device->transfer_complete, sizeof(device->transfer_complete));
	if (fault_code)
		swarm->stats.downloads_failed++;
	else
		swarm->stats.downloads_ok++;
	swarm->downloads_running--;
	device_want_session(swarm, device);
}

static size_t receive(char *data, size_t size, size_t count, void *user)
{
	struct transfer *transfer = user;
	struct swarm_device *device = transfer->device;
	size_t bytes = size * count;

	if (transfer->range_requested) {
		long status = 0;

		curl_easy_getinfo(device->download_easy, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) { /* the server ignored Range: start over */
			sha256_stream_free(device->hash);
			device->hash = sha256_stream_new();
			device->downloaded = 0;
			if (device->store_fd >= 0 && ftruncate(device->store_fd, 0) == 0)
				lseek(device->store_fd, 0, SEEK_SET);
		}
		transfer->range_requested = false;
	}
	if (!device->hash || sha256_stream_update(device->hash, data, bytes) < 0)
		return 0;
	if (device->store_fd >= 0 && write(device->store_fd, data, bytes) != (ssize_t)bytes)
		return 0;
	device->downloaded += bytes;
	return bytes;
}

int download_start(struct swarm *swarm, struct swarm_device *device)
{
	struct transfer *transfer;
	CURL *easy;
	char path[512], range[32];

	device->download_scheduled = false;
	if (device->downloading) {
		if (device->download_easy) { /* re-pointed: drop the old transfer, keep its bytes */
			struct transfer *old = NULL;

			curl_easy_getinfo(device->download_easy, CURLINFO_PRIVATE, (char **)&old);
			curl_multi_remove_handle(swarm->multi, device->download_easy);
			transfer_free(old, device->download_easy);
			device->download_easy = NULL;
		}
		swarm->downloads_running--;
		device->downloading = false;
	}
	device->downloading = true;
	swarm->downloads_running++;
	cwmp_format_time((uint64_t)time(NULL), device->transfer_start, sizeof(device->transfer_start));
	if (device->stall_downloads)
		return 0; /* accepted, never finished: the ACS must notice */
	if (device->fault_downloads) {
		complete(swarm, device, 9010);
		return 0;
	}
	if (!device->partial_name || strcmp(device->partial_name, device->download_name) != 0)
		reset_partial(device);
	if (!device->hash) {
		device->hash = sha256_stream_new();
		device->partial_name = strdup(device->download_name);
		if (device->file_server) {
			image_path(swarm, device, device->download_name, true, path, sizeof(path));
			device->store_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		}
	}
	transfer = calloc(1, sizeof(*transfer));
	easy = curl_easy_init();
	if (!transfer || !easy || !device->hash) {
		transfer_free(transfer, easy);
		complete(swarm, device, 9002);
		return -ENOMEM;
	}
	transfer->kind = TRANSFER_DOWNLOAD;
	transfer->device = device;
	curl_easy_setopt(easy, CURLOPT_URL, device->download_url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, receive);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
	if (device->downloaded > 0) {
		snprintf(range, sizeof(range), "%lu-", (unsigned long)device->downloaded);
		curl_easy_setopt(easy, CURLOPT_RANGE, range);
		transfer->range_requested = true;
	}
	device->download_easy = easy;
	if (curl_multi_add_handle(swarm->multi, easy) != CURLM_OK) {
		device->download_easy = NULL;
		transfer_free(transfer, easy);
		complete(swarm, device, 9002);
		return -EIO;
	}
	transfer_track(transfer, easy);
	return 0;
}

void download_finished(struct swarm *swarm, struct swarm_device *device, CURL *easy, CURLcode result)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1], from[512], to[512];
	long status = 0;

	device->download_easy = NULL;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (result != CURLE_OK || (status != 200 && status != 206)) {
		unsigned int code = result == CURLE_COULDNT_CONNECT || result == CURLE_OPERATION_TIMEDOUT ? 9015 : 9016;

		log_info("device %u: download of %s failed: %s (HTTP %ld), %lu bytes kept for resume", device->index,
			 device->download_url, curl_easy_strerror(result), status, (unsigned long)device->downloaded);
		complete(swarm, device, code);
		return;
	}
	swarm->stats.bytes_downloaded += device->downloaded;
	if (device->download_size && device->downloaded != device->download_size) {
		reset_partial(device);
		complete(swarm, device, 9017);
		return;
	}
	sha256_stream_finish(device->hash, digest);
	device->hash = NULL;
	sha256_to_hex(digest, hex);
	if (device->image_sha256 && device->image_sha256[0] && strcasecmp(hex, device->image_sha256) != 0) {
		log_warn("device %u: image hash %s does not match %s", device->index, hex, device->image_sha256);
		reset_partial(device);
		complete(swarm, device, 9018);
		return;
	}
	if (device->store_fd >= 0) {
		fsync(device->store_fd);
		close(device->store_fd);
		device->store_fd = -1;
		image_path(swarm, device, device->download_name, true, from, sizeof(from));
		image_path(swarm, device, device->download_name, false, to, sizeof(to));
		if (rename(from, to) == 0) {
			free(device->served_image);
			device->served_image = strdup(device->download_name);
		}
	}
	free(device->partial_name);
	device->partial_name = NULL;
	device->downloaded = 0;
	complete(swarm, device, 0);
}
