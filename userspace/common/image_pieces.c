/* Piece lists of images: computing one from a file, checking a piece,
 * and the text form that sources serve and devices verify. */
#include "common/image_pieces.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Longest header line: "piece_size=" or "size=" with 20 digits, "sha256=" + 64. */
#define HEADER_LINE_MAX 96

uint32_t image_pieces_count_for(uint64_t size, uint32_t piece_size)
{
	uint64_t count;

	if (piece_size == 0)
		return 0;
	count = size / piece_size + (size % piece_size != 0);
	return count > UINT32_MAX ? UINT32_MAX : (uint32_t)count;
}

uint64_t image_pieces_offset(const struct image_pieces *pieces, uint32_t index)
{
	return (uint64_t)index * pieces->piece_size;
}

uint32_t image_pieces_length(const struct image_pieces *pieces, uint32_t index)
{
	uint64_t offset = image_pieces_offset(pieces, index);

	if (index >= pieces->count || offset >= pieces->size)
		return 0;
	return pieces->size - offset < pieces->piece_size ? (uint32_t)(pieces->size - offset) : pieces->piece_size;
}

static int check_shape(uint64_t size, uint32_t piece_size)
{
	if (piece_size < IMAGE_PIECES_MIN_PIECE_SIZE || piece_size > IMAGE_PIECES_MAX_PIECE_SIZE)
		return -EINVAL;
	if (image_pieces_count_for(size, piece_size) > IMAGE_PIECES_MAX_COUNT)
		return -EFBIG;
	return 0;
}

static int allocate(struct image_pieces *pieces, uint64_t size, uint32_t piece_size)
{
	int result = check_shape(size, piece_size);

	if (result < 0)
		return result;
	memset(pieces, 0, sizeof(*pieces));
	pieces->size = size;
	pieces->piece_size = piece_size;
	pieces->count = image_pieces_count_for(size, piece_size);
	pieces->piece_sha256 = calloc(pieces->count ? pieces->count : 1, sizeof(*pieces->piece_sha256));
	return pieces->piece_sha256 == NULL ? -ENOMEM : 0;
}

void image_pieces_free(struct image_pieces *pieces)
{
	if (pieces == NULL)
		return;
	free(pieces->piece_sha256);
	pieces->piece_sha256 = NULL;
	pieces->count = 0;
}

/* Reads exactly length bytes at offset; -EIO when the file is shorter. */
static int read_exactly(int fd, uint8_t *buffer, size_t length, uint64_t offset)
{
	size_t done = 0;

	while (done < length) {
		ssize_t got = pread(fd, buffer + done, length - done, (off_t)(offset + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			return -EIO;
		done += (size_t)got;
	}
	return 0;
}

int image_pieces_from_fd(int fd, uint32_t piece_size, struct image_pieces *pieces)
{
	struct sha256_stream *whole = NULL;
	uint8_t *buffer = NULL;
	struct stat status;
	uint32_t index;
	int result;

	if (fstat(fd, &status) < 0)
		return -errno;
	result = allocate(pieces, (uint64_t)status.st_size, piece_size);
	if (result < 0)
		return result;
	buffer = malloc(piece_size);
	whole = sha256_stream_new();
	if (buffer == NULL || whole == NULL) {
		result = -ENOMEM;
		goto fail;
	}
	for (index = 0; index < pieces->count; index++) {
		uint32_t length = image_pieces_length(pieces, index);

		result = read_exactly(fd, buffer, length, image_pieces_offset(pieces, index));
		if (result < 0)
			goto fail;
		result = sha256_buffer(buffer, length, pieces->piece_sha256[index]);
		if (result == 0)
			result = sha256_stream_update(whole, buffer, length);
		if (result < 0)
			goto fail;
	}
	/* A file that grew while being read is not the file the list describes. */
	if (fstat(fd, &status) < 0 || (uint64_t)status.st_size != pieces->size) {
		result = -EIO;
		goto fail;
	}
	result = sha256_stream_finish(whole, pieces->sha256);
	whole = NULL;
	if (result < 0)
		goto fail;
	free(buffer);
	return 0;
fail:
	sha256_stream_free(whole);
	free(buffer);
	image_pieces_free(pieces);
	return result;
}

int image_pieces_check(const struct image_pieces *pieces, uint32_t index, const void *data, size_t length)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	int result;

	if (index >= pieces->count || length != image_pieces_length(pieces, index))
		return -EINVAL;
	result = sha256_buffer(data, length, digest);
	if (result < 0)
		return result;
	return memcmp(digest, pieces->piece_sha256[index], SHA256_DIGEST_BYTES) == 0 ? 0 : -EBADMSG;
}

int image_pieces_check_fd(const struct image_pieces *pieces, uint32_t index, int fd, void *buffer)
{
	uint32_t length = image_pieces_length(pieces, index);
	int result;

	if (index >= pieces->count)
		return -EINVAL;
	result = read_exactly(fd, buffer, length, image_pieces_offset(pieces, index));
	if (result == -EIO)
		return -ENODATA;
	if (result < 0)
		return result;
	return image_pieces_check(pieces, index, buffer, length);
}

int image_pieces_format(const struct image_pieces *pieces, char **text, size_t *length)
{
	size_t capacity = HEADER_LINE_MAX * 4 + sizeof(IMAGE_PIECES_MAGIC) +
			  (size_t)pieces->count * (SHA256_HEX_LENGTH + 1) + 1;
	char hex[SHA256_HEX_LENGTH + 1];
	size_t used;
	uint32_t index;
	char *out = malloc(capacity);

	if (out == NULL)
		return -ENOMEM;
	sha256_to_hex(pieces->sha256, hex);
	used = (size_t)snprintf(out, capacity, "%s\nsize=%" PRIu64 "\npiece_size=%" PRIu32 "\nsha256=%s\n",
				IMAGE_PIECES_MAGIC, pieces->size, pieces->piece_size, hex);
	for (index = 0; index < pieces->count; index++) {
		sha256_to_hex(pieces->piece_sha256[index], out + used);
		used += SHA256_HEX_LENGTH;
		out[used++] = '\n';
	}
	out[used] = '\0';
	*text = out;
	*length = used;
	return 0;
}

int image_pieces_digest(const struct image_pieces *pieces, uint8_t digest[SHA256_DIGEST_BYTES])
{
	char *text;
	size_t length;
	int result = image_pieces_format(pieces, &text, &length);

	if (result < 0)
		return result;
	result = sha256_buffer(text, length, digest);
	free(text);
	return result;
}

/* Reads one '\n'-terminated line starting at *cursor; -EBADMSG without one. */
static int next_line(const char *text, size_t length, size_t *cursor, const char **line, size_t *line_length)
{
	const char *start = text + *cursor;
	const char *end = memchr(start, '\n', length - *cursor);

	if (end == NULL)
		return -EBADMSG;
	*line = start;
	*line_length = (size_t)(end - start);
	*cursor += *line_length + 1;
	return 0;
}

/* Exactly 64 lowercase hex digits (not NUL-terminated) into digest. */
static int parse_lower_hex_digest(const char *text, size_t length, uint8_t digest[SHA256_DIGEST_BYTES])
{
	char hex[SHA256_HEX_LENGTH + 1];
	size_t index;

	if (length != SHA256_HEX_LENGTH)
		return -EBADMSG;
	for (index = 0; index < length; index++)
		if (!((text[index] >= '0' && text[index] <= '9') || (text[index] >= 'a' && text[index] <= 'f')))
			return -EBADMSG;
	memcpy(hex, text, SHA256_HEX_LENGTH);
	hex[SHA256_HEX_LENGTH] = '\0';
	return sha256_from_hex(hex, digest) < 0 ? -EBADMSG : 0;
}

/* "key=DECIMAL" with no sign, no leading zero but "0", no overflow. */
static int parse_decimal_line(const char *line, size_t length, const char *key, uint64_t *value)
{
	size_t key_length = strlen(key), index;
	uint64_t parsed = 0;

	if (length <= key_length + 1 || memcmp(line, key, key_length) != 0 || line[key_length] != '=')
		return -EBADMSG;
	if (line[key_length + 1] == '0' && length > key_length + 2)
		return -EBADMSG;
	for (index = key_length + 1; index < length; index++) {
		unsigned digit = (unsigned char)line[index] - '0';

		if (digit > 9 || parsed > (UINT64_MAX - digit) / 10)
			return -EBADMSG;
		parsed = parsed * 10 + digit;
	}
	*value = parsed;
	return 0;
}

static int fail_parse(char *why, size_t why_size, const char *reason)
{
	if (why != NULL && why_size > 0)
		snprintf(why, why_size, "%s", reason);
	return -EBADMSG;
}

int image_pieces_parse(const char *text, size_t length, struct image_pieces *pieces, char *why, size_t why_size)
{
	uint64_t size, piece_size;
	const char *line;
	size_t line_length, cursor = 0;
	uint8_t whole[SHA256_DIGEST_BYTES];
	uint32_t index;
	int result;

	memset(pieces, 0, sizeof(*pieces));
	if (next_line(text, length, &cursor, &line, &line_length) < 0 ||
	    line_length != strlen(IMAGE_PIECES_MAGIC) || memcmp(line, IMAGE_PIECES_MAGIC, line_length) != 0)
		return fail_parse(why, why_size, "not a cascade-pieces-v1 list");
	if (next_line(text, length, &cursor, &line, &line_length) < 0 ||
	    parse_decimal_line(line, line_length, "size", &size) < 0)
		return fail_parse(why, why_size, "bad size line");
	if (next_line(text, length, &cursor, &line, &line_length) < 0 ||
	    parse_decimal_line(line, line_length, "piece_size", &piece_size) < 0 || piece_size > UINT32_MAX)
		return fail_parse(why, why_size, "bad piece_size line");
	if (next_line(text, length, &cursor, &line, &line_length) < 0 || line_length != 7 + SHA256_HEX_LENGTH ||
	    memcmp(line, "sha256=", 7) != 0 || parse_lower_hex_digest(line + 7, SHA256_HEX_LENGTH, whole) < 0)
		return fail_parse(why, why_size, "bad sha256 line");
	result = check_shape(size, (uint32_t)piece_size);
	if (result == -EFBIG)
		return fail_parse(why, why_size, "too many pieces");
	if (result < 0)
		return fail_parse(why, why_size, "piece_size out of bounds");
	/* The text must be exactly as long as its piece lines say. */
	if (length - cursor != (size_t)image_pieces_count_for(size, (uint32_t)piece_size) * (SHA256_HEX_LENGTH + 1))
		return fail_parse(why, why_size, "piece count does not match size and piece_size");
	result = allocate(pieces, size, (uint32_t)piece_size);
	if (result < 0)
		return result;
	memcpy(pieces->sha256, whole, sizeof(whole));
	for (index = 0; index < pieces->count; index++) {
		if (next_line(text, length, &cursor, &line, &line_length) < 0 ||
		    parse_lower_hex_digest(line, line_length, pieces->piece_sha256[index]) < 0) {
			image_pieces_free(pieces);
			return fail_parse(why, why_size, "bad piece line");
		}
	}
	return 0;
}
