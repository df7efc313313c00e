/* Image downloads of simulated devices: real HTTP GETs of the URL the ACS
 * gave (or X_CASCADE_MasterURL in spv mode), from the device's own source
 * address, resumed with Range after an interruption (in place after a cut
 * connection, or from another server after the ACS re-points the device),
 * hashed on the fly (every --hash-every'th device) and checked against
 * X_CASCADE_ImageSHA256 when the ACS set it; file-server devices keep the
 * image to serve it to their slaves. Rates are held by pausing the transfer
 * (libcurl 7.88's own limit lets bursts through). Slow and flaky devices
 * are fault injection. The outcome becomes a TransferComplete in a new
 * session. */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

void swarm_image_path(const struct swarm *swarm, const struct swarm_device *device, const char *name, bool partial,
		      char *path, size_t size)
{
	snprintf(path, size, "%s/%u-%s%s", swarm->options.store_dir, device->index, name, partial ? ".part" : "");
}

/* Counts the bytes received so far as discarded and forgets them and
 * their hash; the caller decides what happens to the stored file. */
static void discard_received(struct swarm *swarm, struct swarm_device *device)
{
	device->discarded += device->downloaded;
	swarm->stats.bytes_discarded += device->downloaded;
	sha256_stream_free(device->hash);
	device->hash = NULL;
	device->downloaded = 0;
}

/* Throws the partial download away (its bytes count as discarded). */
static void reset_partial(struct swarm *swarm, struct swarm_device *device)
{
	discard_received(swarm, device);
	swarm_relay_restart(swarm, device);
	free(device->partial_name);
	device->partial_name = NULL;
	if (device->store_fd >= 0) {
		close(device->store_fd);
		device->store_fd = -1;
	}
}

/* Starts a partial download of the current image from byte 0. */
static int begin_partial(struct swarm *swarm, struct swarm_device *device)
{
	char path[512];

	device->partial_name = strdup(device->download_name);
	if (!device->partial_name)
		return -ENOMEM;
	if (device->hashing) {
		device->hash = sha256_stream_new();
		if (!device->hash)
			return -ENOMEM;
	}
	if (device->file_server) {
		swarm_image_path(swarm, device, device->download_name, true, path, sizeof(path));
		device->store_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644); /* read back by relay.c */
	}
	return 0;
}

/* Counters describe one image, across requests, attempts and servers. */
static void count_image(struct swarm_device *device)
{
	if (device->counted_image && strcmp(device->counted_image, device->download_name) == 0)
		return;
	free(device->counted_image);
	device->counted_image = strdup(device->download_name);
	device->received = device->discarded = 0;
	device->requests = device->range_requests = device->resumes_in_place = device->restarts = 0;
	device->cut_done = false;
}

/* Records the outcome and asks for a session to report it (a late
 * reporter waits for its next periodic Inform or a connection request). */
void swarm_download_complete(struct swarm *swarm, struct swarm_device *device, unsigned int fault_code)
{
	struct profile_stats *profile = &swarm->stats.profiles[device->profile];

	device->downloading = false;
	device->download_easy = NULL;
	device->transfer_pending = true;
	device->transfer_fault = fault_code;
	free(device->transfer_command_key);
	device->transfer_command_key = device->download_key ? strdup(device->download_key) : strdup("");
	cwmp_format_time((uint64_t)time(NULL), device->transfer_complete, sizeof(device->transfer_complete));
	device->transfer_done_ms = monotonic_ms();
	if (fault_code) {
		swarm->stats.downloads_failed++;
		profile->downloads_failed++;
	} else {
		swarm->stats.downloads_ok++;
		profile->downloads_ok++;
	}
	swarm->downloads_running--;
	swarm_report_download(swarm, device, fault_code);
	if (device->profile != PROFILE_LATE_TRANSFER)
		swarm_device_want_session(swarm, device);
}

/* Over the device's rate? Then pause until the bytes are due. */
static bool hold_rate(struct transfer *transfer, size_t bytes)
{
	struct swarm_device *device = transfer->device;
	uint64_t rate = device->slow ? transfer->swarm->options.slow_rate : transfer->swarm->options.download_rate;
	uint64_t now, allowed;

	if (!rate)
		return false;
	now = monotonic_ms();
	allowed = rate * (now - transfer->rate_started_ms) / 1000 + rate / 20; /* 50 ms of burst */
	if (transfer->rate_bytes + bytes <= allowed) {
		transfer->rate_bytes += bytes;
		return false;
	}
	transfer->paused = true;
	swarm_timer_arm(transfer->swarm, &device->download_timer,
			now + 1 + (transfer->rate_bytes + bytes - allowed) * 1000 / rate);
	return true;
}

static size_t receive(char *data, size_t size, size_t count, void *user)
{
	struct transfer *transfer = user;
	struct swarm_device *device = transfer->device;
	size_t bytes = size * count;

	if (transfer->cut)
		return 0; /* fault injection: the device drops the connection */
	if (hold_rate(transfer, bytes))
		return CURL_WRITEFUNC_PAUSE; /* libcurl keeps the data and hands it over again */
	if (transfer->range_requested) {
		long status = 0;

		curl_easy_getinfo(device->download_easy, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200) { /* the server ignored Range: start over */
			device->restarts++;
			discard_received(transfer->swarm, device);
			swarm_relay_restart(transfer->swarm, device);
			device->hash = device->hashing ? sha256_stream_new() : NULL;
			if (device->store_fd >= 0 && ftruncate(device->store_fd, 0) == 0)
				lseek(device->store_fd, 0, SEEK_SET);
		}
		transfer->range_requested = false;
	}
	if (device->download_size && device->downloaded + bytes > device->download_size) {
		transfer->oversize = true; /* more than FileSize: corrupt, stop now */
		return 0;
	}
	if (device->hashing && (!device->hash || sha256_stream_update(device->hash, data, bytes) < 0))
		return 0;
	if (device->store_fd >= 0 && write(device->store_fd, data, bytes) != (ssize_t)bytes)
		return 0;
	if (swarm_relay_received(transfer->swarm, device, data, bytes, &transfer->bad_piece_index) == -EBADMSG) {
		transfer->bad_piece = true; /* cut off at that piece's start when the transfer ends */
		return 0;
	}
	device->downloaded += bytes;
	device->received += bytes;
	transfer->swarm->stats.bytes_received += bytes;
	if (device->flaky && !device->cut_done && device->downloaded >= transfer->swarm->options.cut_after &&
	    (!device->download_size || device->downloaded < device->download_size)) {
		device->cut_done = true;
		transfer->cut = true;
		transfer->swarm->stats.flaky_cuts++;
	}
	return bytes;
}

/* --receive-buffer: a small-memory device's socket buffer (set before
 * connect, so the window it advertises stays that small). */
static int set_socket_options(void *user, curl_socket_t fd, curlsocktype purpose)
{
	const struct swarm *swarm = user;
	int bytes = (int)swarm->options.receive_buffer;

	if (purpose == CURLSOCKTYPE_IPCXN && bytes > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		log_warn("cannot set SO_RCVBUF to %d: %s", bytes, strerror(errno));
	return CURL_SOCKOPT_OK;
}

struct transfer *swarm_device_transfer_new(struct swarm *swarm, struct swarm_device *device, enum transfer_kind kind,
				     const char *url, curl_write_callback write, CURL **handle)
{
	struct transfer *transfer = calloc(1, sizeof(*transfer));
	CURL *easy = curl_easy_init();

	if (!transfer || !easy) {
		swarm_transfer_free(transfer, easy);
		return NULL;
	}
	transfer->kind = kind;
	transfer->device = device;
	transfer->swarm = swarm;
	transfer->multi = swarm->multi;
	*handle = easy;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
	if (device->interface[0])
		curl_easy_setopt(easy, CURLOPT_INTERFACE, device->interface);
	return transfer;
}

int swarm_device_transfer_start(struct swarm *swarm, struct swarm_device *device, struct transfer *transfer, CURL *easy)
{
	device->download_easy = easy;
	if (curl_multi_add_handle(swarm->multi, easy) != CURLM_OK) {
		device->download_easy = NULL;
		swarm_transfer_free(transfer, easy);
		return -EIO;
	}
	swarm_transfer_track(transfer, easy);
	return 0;
}

/* One GET of the current image, from byte `downloaded` on. */
static int request(struct swarm *swarm, struct swarm_device *device)
{
	CURL *easy = NULL;
	struct transfer *transfer = swarm_device_transfer_new(swarm, device, TRANSFER_DOWNLOAD, device->download_url, receive,
							&easy);
	char range[32];

	if (!transfer)
		return -ENOMEM;
	transfer->rate_started_ms = monotonic_ms();
	curl_easy_setopt(easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, 30L);
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 65536L); /* fewer reads and callbacks than the 16 KiB default */
	if (swarm->options.receive_buffer) {
		curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, set_socket_options);
		curl_easy_setopt(easy, CURLOPT_SOCKOPTDATA, swarm);
	}
	device->requests++;
	device->request_start = device->downloaded;
	if (device->downloaded > 0) {
		snprintf(range, sizeof(range), "%lu-", (unsigned long)device->downloaded);
		curl_easy_setopt(easy, CURLOPT_RANGE, range);
		transfer->range_requested = true;
		device->range_requests++;
		swarm->stats.range_requests++;
	}
	return swarm_device_transfer_start(swarm, device, transfer, easy);
}

/* Drops a running transfer (the ACS re-pointed the device); its bytes stay. */
static void drop_running(struct swarm *swarm, struct swarm_device *device)
{
	swarm_timer_disarm(swarm, &device->download_timer);
	if (!device->downloading)
		return;
	if (device->download_easy) {
		struct transfer *old = NULL;

		curl_easy_getinfo(device->download_easy, CURLINFO_PRIVATE, (char **)&old);
		curl_multi_remove_handle(swarm->multi, device->download_easy);
		swarm_transfer_free(old, device->download_easy);
		device->download_easy = NULL;
	}
	swarm->downloads_running--;
	device->downloading = false;
}

int swarm_download_start(struct swarm *swarm, struct swarm_device *device)
{
	int result;

	device->download_scheduled = false;
	drop_running(swarm, device);
	device->downloading = true;
	device->attempt_resumes = 0;
	device->attempt_started_ms = monotonic_ms();
	swarm->downloads_running++;
	cwmp_format_time((uint64_t)time(NULL), device->transfer_start, sizeof(device->transfer_start));
	count_image(device);
	if (device->stall_downloads)
		return 0; /* accepted, never finished: the ACS must notice */
	if (device->profile == PROFILE_STALLING &&
	    (!device->stalled_image || strcmp(device->stalled_image, device->download_name) != 0)) {
		free(device->stalled_image);
		device->stalled_image = strdup(device->download_name);
		return 0; /* sits on the first Download of this image; the next one goes */
	}
	if (device->fault_downloads || (device->profile == PROFILE_SPV_FAULT && device->download_by_master_url)) {
		swarm_download_complete(swarm, device, 9010);
		return 0;
	}
	if (device->partial_name && strcmp(device->partial_name, device->download_name) != 0)
		reset_partial(swarm, device);
	result = device->partial_name ? 0 : begin_partial(swarm, device);
	if (result == 0 && (result = swarm_relay_prepare(swarm, device)) > 0)
		return 0; /* the request follows the piece list */
	if (result == 0)
		result = request(swarm, device);
	if (result < 0) {
		swarm_download_complete(swarm, device, 9002);
		return result;
	}
	return 0;
}

void swarm_download_request_or_fail(struct swarm *swarm, struct swarm_device *device)
{
	if (device->downloading && request(swarm, device) < 0)
		swarm_download_complete(swarm, device, 9002);
}

void swarm_download_resume_due(struct swarm *swarm, struct swarm_device *device)
{
	struct transfer *transfer = NULL;

	if (!device->downloading)
		return;
	if (!device->download_easy) {
		if (request(swarm, device) < 0)
			swarm_download_complete(swarm, device, 9002);
		return;
	}
	curl_easy_getinfo(device->download_easy, CURLINFO_PRIVATE, (char **)&transfer);
	if (transfer && transfer->paused) {
		transfer->paused = false; /* may deliver the held data (and pause again) at once */
		curl_easy_pause(device->download_easy, CURLPAUSE_CONT);
	}
}

/* A transfer that broke after making progress is resumed in place. */
static bool resume_in_place(struct swarm *swarm, struct swarm_device *device, const struct transfer *transfer,
			    CURLcode result)
{
	bool broken = transfer->cut || result == CURLE_PARTIAL_FILE || result == CURLE_RECV_ERROR ||
		      result == CURLE_SEND_ERROR || result == CURLE_GOT_NOTHING || result == CURLE_OPERATION_TIMEDOUT;
	uint64_t delay_ms;

	if (!broken || transfer->oversize || device->downloaded <= device->request_start ||
	    device->attempt_resumes >= swarm->options.download_retries)
		return false;
	/* --download-retries allows up to 100: cap the shift as retry_delay_ms does */
	delay_ms = transfer->cut ? 100 : 500ull << (device->attempt_resumes < 20 ? device->attempt_resumes : 20);
	device->attempt_resumes++;
	device->resumes_in_place++;
	swarm->stats.resumes_in_place++;
	log_debug("device %u: transfer cut at %lu bytes (%s), resuming in %lu ms", device->index,
		  (unsigned long)device->downloaded, transfer->cut ? "fault injection" : curl_easy_strerror(result),
		  (unsigned long)delay_ms);
	swarm_timer_arm(swarm, &device->download_timer, monotonic_ms() + delay_ms);
	return true;
}

static unsigned int failure_fault(const struct swarm_device *device, const struct transfer *transfer,
				  CURLcode result)
{
	bool progress = device->downloaded > device->request_start;

	if (transfer->oversize)
		return 9018;
	if (result == CURLE_COULDNT_CONNECT || (result == CURLE_OPERATION_TIMEDOUT && !progress))
		return 9015; /* the server is not there (any more) */
	if (progress || device->attempt_resumes > 0)
		return 9017; /* it started and could not finish */
	if (result == CURLE_PARTIAL_FILE || result == CURLE_RECV_ERROR || result == CURLE_SEND_ERROR)
		return 9017; /* it answered, then cut the body (a relay with nothing new): cascade-cpe's 9017 too */
	return 9016; /* an HTTP error, or closed without answering */
}

void swarm_download_finished(struct swarm *swarm, struct swarm_device *device, CURL *easy, CURLcode result)
{
	struct transfer *transfer = NULL;
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1], from[512], to[512];
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
	device->download_easy = NULL;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (transfer->bad_piece) {
		uint32_t index = transfer->bad_piece_index;

		log_info("device %u: piece %u of %u from %s does not match the piece list: cut off, %lu checked bytes kept",
			 device->index, index, device->pieces.count, device->download_url,
			 (unsigned long)image_pieces_offset(&device->pieces, index));
		if (swarm_relay_cut_back(swarm, device, index) < 0)
			reset_partial(swarm, device);
		swarm_download_complete(swarm, device, 9018);
		return;
	}
	if (result != CURLE_OK || (status != 200 && status != 206)) {
		unsigned int code;

		if (resume_in_place(swarm, device, transfer, result))
			return;
		code = failure_fault(device, transfer, result);
		log_info("device %u: download of %s failed: %s (HTTP %ld), fault %u, %lu bytes kept for resume",
			 device->index, device->download_url, transfer->oversize ? "more bytes than FileSize"
										 : curl_easy_strerror(result),
			 status, code, (unsigned long)device->downloaded);
		if (code == 9018)
			reset_partial(swarm, device);
		swarm_download_complete(swarm, device, code);
		return;
	}
	swarm->stats.bytes_downloaded += device->downloaded;
	if (device->download_size && device->downloaded != device->download_size) {
		reset_partial(swarm, device);
		swarm_download_complete(swarm, device, 9017);
		return;
	}
	if (device->hashing) {
		sha256_stream_finish(device->hash, digest);
		device->hash = NULL;
		sha256_to_hex(digest, hex);
		swarm->stats.hashed_downloads++;
		if (device->image_sha256 && device->image_sha256[0] && strcasecmp(hex, device->image_sha256) != 0) {
			log_warn("device %u: image hash %s does not match %s", device->index, hex, device->image_sha256);
			reset_partial(swarm, device);
			swarm_download_complete(swarm, device, 9018);
			return;
		}
	} else {
		swarm->stats.unhashed_downloads++;
	}
	if (device->store_fd >= 0) {
		fsync(device->store_fd);
		close(device->store_fd);
		device->store_fd = -1;
		swarm_image_path(swarm, device, device->download_name, true, from, sizeof(from));
		swarm_image_path(swarm, device, device->download_name, false, to, sizeof(to));
		if (rename(from, to) == 0) {
			free(device->served_image);
			device->served_image = strdup(device->download_name);
			swarm_relay_complete(swarm, device);
		}
	}
	free(device->partial_name);
	device->partial_name = NULL;
	device->downloaded = 0;
	swarm_download_complete(swarm, device, 0);
}
