/* Getting a piece list from a source and checking pieces as they arrive
 * (see download_pieces.h). */
#include "cpe/download_pieces.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/log.h"
#include "cpe/faults.h"

#define IMAGES_SEGMENT "/images/"
#define PIECES_SEGMENT "/pieces/"
/* Header lines of a list, with room to spare. */
#define LIST_HEADER_MAX 256

int download_pieces_url(const char *image_url, char *out, size_t size)
{
	const char *authority = strstr(image_url, "://");
	const char *path, *end, *segment = NULL;

	if (authority == NULL)
		return -ENOENT;
	path = strchr(authority + 3, '/');
	if (path == NULL)
		return -ENOENT;
	end = path + strcspn(path, "?#");
	/* The last "/images/" of the path, followed by a plain name. */
	for (const char *cursor = path; (cursor = strstr(cursor, IMAGES_SEGMENT)) != NULL && cursor < end; cursor++)
		segment = cursor;
	if (segment == NULL || segment + strlen(IMAGES_SEGMENT) >= end ||
	    memchr(segment + strlen(IMAGES_SEGMENT), '/', (size_t)(end - segment - strlen(IMAGES_SEGMENT))) != NULL)
		return -ENOENT;
	if (snprintf(out, size, "%.*s%s%s", (int)(segment - image_url), image_url, PIECES_SEGMENT,
		     segment + strlen(IMAGES_SEGMENT)) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

void download_source_name(const char *url, char *out, size_t size)
{
	const char *authority = strstr(url, "://");
	size_t length = authority ? (size_t)(authority + 3 - url) + strcspn(authority + 3, "/?#") : strcspn(url, "/?#");

	snprintf(out, size, "%.*s", (int)length, url);
}

/* ---- the list ------------------------------------------------------------ */

struct list_download {
	char *data;
	size_t length;
	size_t limit;
	bool too_big;
	struct fetch_cancel cancel;
};

static size_t on_list_body(char *data, size_t size, size_t count, void *argument)
{
	struct list_download *download = argument;
	size_t length = size * count;
	char *grown;

	if (download->length + length > download->limit) {
		download->too_big = true;
		return 0;
	}
	grown = realloc(download->data, download->length + length + 1);
	if (grown == NULL)
		return 0;
	download->data = grown;
	memcpy(download->data + download->length, data, length);
	download->length += length;
	download->data[download->length] = '\0';
	return length;
}

/* GETs url into download->data. Returns 0, -ENOENT (404), -ECANCELED, or a
 * fault code with why. */
static int fetch_list(const char *url, const struct download_request *request, struct list_download *download,
		      char *why, size_t why_size)
{
	curl_off_t connect_time = 0;
	long status = 0;
	bool retry;
	unsigned int fault;
	CURLcode code;
	CURL *easy = download_curl_new(url, request, &download->cancel);

	if (easy == NULL) {
		snprintf(why, why_size, "out of memory");
		return FAULT_INTERNAL_ERROR;
	}
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_list_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, download);
	code = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &connect_time);
	curl_easy_cleanup(easy);
	if (download->cancel.cancelled)
		return -ECANCELED;
	if (download->too_big) {
		snprintf(why, why_size, "piece list from %.120s is longer than such a list can be", url);
		return FAULT_FILE_CORRUPTED;
	}
	if (code == CURLE_HTTP_RETURNED_ERROR && status == 404)
		return -ENOENT;
	fault = download_fault_for(code, status, connect_time > 0 || status > 0, download->length > 0, &retry, why,
				   why_size);
	if (fault == 0 && download->data == NULL) {
		snprintf(why, why_size, "piece list from %.120s is empty", url);
		return FAULT_FILE_CORRUPTED;
	}
	return (int)fault;
}

/* The list in text matches the request: its digest, size and hash. */
static unsigned int check_list(const struct download_request *request, const char *text, size_t length,
			       struct image_pieces *pieces, const char *source, char *why, size_t why_size)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1], reason[96] = "";

	if (sha256_buffer(text, length, digest) < 0) {
		snprintf(why, why_size, "out of memory");
		return FAULT_INTERNAL_ERROR;
	}
	sha256_to_hex(digest, hex);
	if (strcasecmp(hex, request->pieces_sha256) != 0) {
		snprintf(why, why_size, "piece list from %s does not match X_CASCADE_ImagePiecesSHA256 (%.16s... is not %.16s...)",
			 source, hex, request->pieces_sha256);
		return FAULT_FILE_CORRUPTED;
	}
	if (image_pieces_parse(text, length, pieces, reason, sizeof(reason)) < 0) {
		snprintf(why, why_size, "piece list from %s is malformed: %s", source, reason);
		return FAULT_FILE_CORRUPTED;
	}
	sha256_to_hex(pieces->sha256, hex);
	if ((request->file_size && pieces->size != request->file_size) ||
	    (request->sha256[0] && strcasecmp(hex, request->sha256) != 0)) {
		snprintf(why, why_size, "piece list from %s describes another image (%" PRIu64 " bytes, sha256 %.16s...)",
			 source, pieces->size, hex);
		image_pieces_free(pieces);
		return FAULT_FILE_CORRUPTED;
	}
	return 0;
}

static size_t list_limit(const struct download_request *request)
{
	uint64_t count = request->file_size ? image_pieces_count_for(request->file_size, IMAGE_PIECES_MIN_PIECE_SIZE)
					    : IMAGE_PIECES_MAX_COUNT;

	if (count > IMAGE_PIECES_MAX_COUNT)
		count = IMAGE_PIECES_MAX_COUNT;
	return LIST_HEADER_MAX + (size_t)count * (SHA256_HEX_LENGTH + 1);
}

int download_pieces_get(const struct download_request *request, const struct fetch_options *options,
			const char *cache_path, struct image_pieces *pieces, char **text, size_t *text_length, char *why,
			size_t why_size)
{
	struct list_download download = { .limit = list_limit(request), .cancel = { .options = options } };
	char url[CPE_URL_MAX + 16], source[CPE_URL_MAX];
	int result;

	if (text != NULL)
		*text = NULL;
	memset(pieces, 0, sizeof(*pieces));
	/* A copy from an earlier attempt, if it is the right list. */
	if (read_whole_file(cache_path, download.limit, &download.data, &download.length) == 0) {
		if (check_list(request, download.data, download.length, pieces, "the local copy", why, why_size) == 0)
			goto found;
		free(download.data);
		download.data = NULL;
		download.length = 0;
	}
	download_source_name(request->url, source, sizeof(source));
	if (download_pieces_url(request->url, url, sizeof(url)) < 0) {
		log_warn("download %s: %s is not a .../images/NAME URL; its pieces are checked at the end only",
			 request->command_key, request->url);
		return -ENOENT;
	}
	result = fetch_list(url, request, &download, why, why_size);
	if (result == -ENOENT)
		log_warn("download %s: %s has no piece list for this image; its pieces are checked at the end only",
			 request->command_key, source);
	if (result == 0)
		result = (int)check_list(request, download.data, download.length, pieces, source, why, why_size);
	if (result != 0) {
		free(download.data);
		return result;
	}
	if (atomic_write_file(cache_path, download.data, download.length, 0644) < 0)
		log_warn("download %s: cannot keep the piece list in %s", request->command_key, cache_path);
	log_info("download %s: piece list from %s: %" PRIu32 " pieces of %" PRIu32 " bytes", request->command_key,
		 source, pieces->count, pieces->piece_size);
found:
	if (text != NULL) {
		*text = download.data;
		*text_length = download.length;
	} else {
		free(download.data);
	}
	return 0;
}

/* ---- the checker ----------------------------------------------------------- */

static uint64_t piece_end(const struct image_pieces *pieces, uint32_t index)
{
	return image_pieces_offset(pieces, index) + image_pieces_length(pieces, index);
}

/* Hashes bytes [offset, offset + length) of fd into stream. */
static int hash_region(struct sha256_stream *stream, int fd, uint64_t offset, uint64_t length, uint8_t *buffer,
		       size_t buffer_size)
{
	while (length > 0) {
		size_t want = length < buffer_size ? (size_t)length : buffer_size;
		ssize_t got = pread(fd, buffer, want, (off_t)offset);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -ENODATA;
		if (sha256_stream_update(stream, buffer, (size_t)got) < 0)
			return -ENOMEM;
		offset += (uint64_t)got;
		length -= (uint64_t)got;
	}
	return 0;
}

int piece_checker_start(struct piece_checker *checker, const struct image_pieces *pieces, int fd,
			uint64_t trusted_bytes, uint64_t *position)
{
	uint64_t at = *position < pieces->size ? *position : pieces->size;
	uint32_t index = pieces->piece_size ? (uint32_t)((trusted_bytes < at ? trusted_bytes : at) / pieces->piece_size) : 0;
	uint8_t *buffer = malloc(pieces->piece_size);
	int result = 0;

	memset(checker, 0, sizeof(*checker));
	checker->pieces = pieces;
	if (buffer == NULL)
		return -ENOMEM;
	/* Whole pieces on disk that nobody checked yet (an earlier run). */
	for (; index < pieces->count && piece_end(pieces, index) <= at; index++) {
		result = image_pieces_check_fd(pieces, index, fd, buffer);
		if (result == -EBADMSG || result == -ENODATA) {
			at = image_pieces_offset(pieces, index);
			result = 0;
			break;
		}
		if (result < 0)
			goto out;
		checker->verified_pieces++;
	}
	checker->position = at;
	if (index < pieces->count) {
		checker->stream = sha256_stream_new();
		if (checker->stream == NULL) {
			result = -ENOMEM;
			goto out;
		}
		result = hash_region(checker->stream, fd, image_pieces_offset(pieces, index),
				     at - image_pieces_offset(pieces, index), buffer, pieces->piece_size);
		if (result == -ENODATA) {
			/* Shorter than it should be: start the piece again. */
			sha256_stream_free(checker->stream);
			checker->stream = sha256_stream_new();
			checker->position = image_pieces_offset(pieces, index);
			result = checker->stream ? 0 : -ENOMEM;
		}
	}
	*position = checker->position;
out:
	free(buffer);
	return result;
}

int piece_checker_feed(struct piece_checker *checker, const uint8_t *data, size_t length, uint32_t *bad_piece)
{
	const struct image_pieces *pieces = checker->pieces;

	while (length > 0) {
		uint32_t index = (uint32_t)(checker->position / pieces->piece_size);
		uint8_t digest[SHA256_DIGEST_BYTES];
		uint64_t end;
		size_t take;

		if (index >= pieces->count || checker->stream == NULL)
			return -EFBIG;
		end = piece_end(pieces, index);
		take = end - checker->position < length ? (size_t)(end - checker->position) : length;
		if (sha256_stream_update(checker->stream, data, take) < 0)
			return -ENOMEM;
		checker->position += take;
		data += take;
		length -= take;
		if (checker->position < end)
			break;
		if (sha256_stream_finish(checker->stream, digest) < 0) {
			checker->stream = NULL;
			return -ENOMEM;
		}
		checker->stream = NULL;
		if (memcmp(digest, pieces->piece_sha256[index], SHA256_DIGEST_BYTES) != 0) {
			*bad_piece = index;
			return -EBADMSG;
		}
		checker->verified_pieces++;
		if (index + 1 < pieces->count) {
			checker->stream = sha256_stream_new();
			if (checker->stream == NULL)
				return -ENOMEM;
		}
	}
	return 0;
}

uint64_t piece_checker_verified_bytes(const struct piece_checker *checker)
{
	const struct image_pieces *pieces = checker->pieces;

	if (checker->position >= pieces->size)
		return pieces->size;
	return checker->position - checker->position % pieces->piece_size;
}

void piece_checker_free(struct piece_checker *checker)
{
	sha256_stream_free(checker->stream);
	checker->stream = NULL;
}
