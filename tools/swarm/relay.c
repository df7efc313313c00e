/* Relaying by simulated file servers, as cascade-cpe does it: a
 * file-server device given X_CASCADE_ImagePiecesSHA256 first fetches the
 * image's piece list from its source (.../images/NAME -> .../pieces/NAME),
 * checks the list against that digest, the image's size and SHA-256, then
 * checks every piece the moment its last byte lands. Its server (serve.c)
 * relays only checked pieces while the image is still arriving. A bad
 * piece is cut off (the checked pieces before it are kept) and the
 * download fails with 9018 naming it, so the controller can send the
 * device elsewhere to resume at that piece. A source without a list means
 * no relaying: the image is checked at the end only. */
#include "transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_LIST_BYTES (16u << 20)

/* .../pieces/NAME?query for an image URL .../images/NAME?query. */
static int pieces_url(const char *image_url, char *out, size_t size)
{
	const char *query = strchr(image_url, '?'), *images = NULL;
	size_t path_end = query ? (size_t)(query - image_url) : strlen(image_url);

	for (const char *at = strstr(image_url, "/images/"); at && (size_t)(at - image_url) < path_end;
	     at = strstr(at + 1, "/images/"))
		images = at;
	if (!images)
		return -ENOENT;
	if (snprintf(out, size, "%.*s/pieces/%s", (int)(images - image_url), image_url, images + 8) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* Forgets the list and the piece check (not the partial file). */
static void forget(struct swarm_device *device)
{
	image_pieces_free(&device->pieces);
	memset(&device->pieces, 0, sizeof(device->pieces));
	free(device->pieces_text);
	free(device->pieces_image);
	device->pieces_text = NULL;
	device->pieces_text_length = 0;
	device->pieces_image = NULL;
	sha256_stream_free(device->piece_hash);
	device->piece_hash = NULL;
	device->verified = 0;
	device->relaying = false;
}

static size_t keep_list(char *data, size_t size, size_t count, void *user)
{
	struct transfer *transfer = user;

	return byte_buffer_append(&transfer->response, data, size * count, MAX_LIST_BYTES) == 0 ? size * count : 0;
}

static int fetch_list(struct swarm *swarm, struct swarm_device *device, const char *url)
{
	CURL *easy = NULL;
	struct transfer *transfer = swarm_device_transfer_new(swarm, device, TRANSFER_PIECES, url, keep_list, &easy);

	if (!transfer)
		return -ENOMEM;
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
	return swarm_device_transfer_start(swarm, device, transfer, easy);
}

int swarm_relay_prepare(struct swarm *swarm, struct swarm_device *device)
{
	char url[1100];

	if (!device->file_server || !device->pieces_digest || !device->pieces_digest[0] || device->store_fd < 0) {
		forget(device);
		return 0;
	}
	if (device->pieces_image && strcmp(device->pieces_image, device->download_name) == 0)
		return 0; /* the list of this image is in (a resume) */
	forget(device);
	if (pieces_url(device->download_url, url, sizeof(url)) < 0)
		return 0; /* no list there: checked at the end */
	return fetch_list(swarm, device, url) < 0 ? -EIO : 1;
}

/* Checks the whole pieces a partial file already holds (from an attempt
 * before the list came) and hashes the start of the current piece; the
 * file is cut back to the first bad piece. */
static int prime_from_partial(struct swarm *swarm, struct swarm_device *device)
{
	const struct image_pieces *pieces = &device->pieces;
	uint8_t *buffer = malloc(pieces->piece_size);
	uint64_t held = device->downloaded, offset;
	uint32_t index;
	int result = 0;

	if (!buffer)
		return -ENOMEM;
	for (index = 0; index < pieces->count && image_pieces_offset(pieces, index) +
							 image_pieces_length(pieces, index) <= held;
	     index++) {
		if (image_pieces_check_fd(pieces, index, device->store_fd, buffer) != 0) {
			result = swarm_relay_cut_back(swarm, device, index);
			goto out;
		}
		device->verified = image_pieces_offset(pieces, index) + image_pieces_length(pieces, index);
	}
	offset = device->verified;
	if (offset < held) {
		ssize_t got = pread(device->store_fd, buffer, held - offset, (off_t)offset);

		device->piece_hash = sha256_stream_new();
		if (got != (ssize_t)(held - offset) || !device->piece_hash ||
		    sha256_stream_update(device->piece_hash, buffer, (size_t)got) < 0)
			result = -EIO;
	}
out:
	free(buffer);
	return result;
}

/* The list's body checked and kept; a fault code (> 0) with why, or 0. */
static unsigned int take_list(struct swarm *swarm, struct swarm_device *device, struct transfer *transfer, char *why,
			      size_t why_size)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1];
	struct image_pieces pieces = { 0 };

	sha256_buffer(transfer->response.data ? transfer->response.data : "", transfer->response.length, digest);
	sha256_to_hex(digest, hex);
	if (strcasecmp(hex, device->pieces_digest) != 0) {
		snprintf(why, why_size, "its piece list does not match X_CASCADE_ImagePiecesSHA256");
		return 9018;
	}
	if (image_pieces_parse(transfer->response.data, transfer->response.length, &pieces, why, why_size) < 0)
		return 9018;
	sha256_to_hex(pieces.sha256, hex);
	if ((device->download_size && pieces.size != device->download_size) ||
	    (device->image_sha256 && device->image_sha256[0] && strcasecmp(hex, device->image_sha256) != 0)) {
		image_pieces_free(&pieces);
		snprintf(why, why_size, "its piece list is for another image (size or SHA-256)");
		return 9018;
	}
	device->pieces = pieces;
	device->pieces_text = transfer->response.data;
	device->pieces_text_length = transfer->response.length;
	transfer->response.data = NULL;
	transfer->response.length = transfer->response.capacity = 0;
	device->pieces_image = strdup(device->download_name);
	device->relaying = true;
	if (device->downloaded && prime_from_partial(swarm, device) < 0) {
		snprintf(why, why_size, "cannot read its partial image back");
		return 9002;
	}
	return 0;
}

void swarm_relay_list_finished(struct swarm *swarm, struct swarm_device *device, CURL *easy, CURLcode result)
{
	struct transfer *transfer = NULL;
	unsigned int fault = 0;
	char why[256] = "";
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	device->download_easy = NULL;
	if (result == CURLE_OK && status == 200)
		fault = take_list(swarm, device, transfer, why, sizeof(why));
	else if (result == CURLE_OK && status == 404)
		log_debug("device %u: no piece list at %s: checked at the end only", device->index, device->download_url);
	else
		fault = result == CURLE_COULDNT_CONNECT || result == CURLE_OPERATION_TIMEDOUT ? 9015 : 9016;
	if (fault) {
		log_info("device %u: download of %s failed (fault %u): %s", device->index, device->download_url, fault,
			 why[0] ? why : status ? "HTTP error on its piece list" : curl_easy_strerror(result));
		swarm_download_complete(swarm, device, fault);
		return;
	}
	swarm_download_request_or_fail(swarm, device);
}

int swarm_relay_received(struct swarm *swarm, struct swarm_device *device, const char *data, size_t bytes,
		   uint32_t *bad_piece)
{
	const struct image_pieces *pieces = &device->pieces;
	uint64_t offset = device->downloaded;
	bool checked = false;

	if (!device->relaying)
		return 0;
	while (bytes && offset < pieces->size) {
		uint32_t index = (uint32_t)(offset / pieces->piece_size);
		uint64_t end = image_pieces_offset(pieces, index) + image_pieces_length(pieces, index);
		size_t take = bytes < end - offset ? bytes : (size_t)(end - offset);
		uint8_t digest[SHA256_DIGEST_BYTES];

		if (!device->piece_hash && !(device->piece_hash = sha256_stream_new()))
			return -ENOMEM;
		if (sha256_stream_update(device->piece_hash, data, take) < 0)
			return -ENOMEM;
		data += take;
		bytes -= take;
		offset += take;
		if (offset < end)
			break;
		sha256_stream_finish(device->piece_hash, digest);
		device->piece_hash = NULL;
		if (memcmp(digest, pieces->piece_sha256[index], SHA256_DIGEST_BYTES) != 0) {
			*bad_piece = index;
			return -EBADMSG;
		}
		device->verified = end;
		checked = true;
	}
	if (checked)
		swarm_serve_wake(swarm, device);
	return 0;
}

void swarm_relay_restart(struct swarm *swarm, struct swarm_device *device)
{
	sha256_stream_free(device->piece_hash);
	device->piece_hash = NULL;
	device->verified = 0;
	swarm_serve_break(swarm, device);
}

int swarm_relay_cut_back(struct swarm *swarm, struct swarm_device *device, uint32_t bad_piece)
{
	uint64_t start = image_pieces_offset(&device->pieces, bad_piece);
	uint8_t buffer[65536];

	(void)swarm;
	sha256_stream_free(device->piece_hash);
	device->piece_hash = NULL;
	if (device->downloaded > start) {
		device->discarded += device->downloaded - start;
		swarm->stats.bytes_discarded += device->downloaded - start;
	}
	device->downloaded = start;
	device->verified = start;
	if (ftruncate(device->store_fd, (off_t)start) < 0 || lseek(device->store_fd, (off_t)start, SEEK_SET) < 0)
		return -errno;
	if (!device->hashing)
		return 0;
	/* the whole image's hash covered the bad bytes: hash the kept ones again */
	sha256_stream_free(device->hash);
	device->hash = sha256_stream_new();
	if (!device->hash)
		return -ENOMEM;
	for (uint64_t offset = 0; offset < start;) {
		size_t want = start - offset < sizeof(buffer) ? (size_t)(start - offset) : sizeof(buffer);
		ssize_t got = pread(device->store_fd, buffer, want, (off_t)offset);

		if (got <= 0 || sha256_stream_update(device->hash, buffer, (size_t)got) < 0)
			return -EIO;
		offset += (uint64_t)got;
	}
	return 0;
}

void swarm_relay_complete(struct swarm *swarm, struct swarm_device *device)
{
	device->relaying = false;
	device->verified = device->pieces.size;
	swarm_serve_wake(swarm, device);
}
