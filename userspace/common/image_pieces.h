/* An image's piece list: the SHA-256 of every fixed-size piece of the image,
 * so a relay and a device can check bytes as they arrive instead of only at
 * the end. The list is plain text, readable with curl and checkable with
 * sha256sum:
 *
 *   cascade-pieces-v1\n
 *   size=SIZE\n              image bytes, decimal
 *   piece_size=PIECE\n       bytes per piece (the last piece may be shorter)
 *   sha256=HEX\n             the whole image's SHA-256
 *   HEX\n                    piece 0's SHA-256
 *   HEX\n                    piece 1's ... one line per piece, in order
 *
 * The list's own SHA-256 (over exactly these bytes) is what a controller
 * hands a device (X_CASCADE_ImagePiecesSHA256), so a list fetched from an
 * untrusted source is checked before any piece is trusted. The whole-image
 * SHA-256 and signature still decide installation. */
#ifndef CASCADE_COMMON_IMAGE_PIECES_H
#define CASCADE_COMMON_IMAGE_PIECES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sha256.h"

#define IMAGE_PIECES_MAGIC              "cascade-pieces-v1"
#define IMAGE_PIECES_DEFAULT_PIECE_SIZE (1u << 20)
#define IMAGE_PIECES_MIN_PIECE_SIZE     (4u << 10)
#define IMAGE_PIECES_MAX_PIECE_SIZE     (64u << 20)
/* 1 TiB of 1 MiB pieces; bounds the text a parser accepts (~68 MB). */
#define IMAGE_PIECES_MAX_COUNT          (1u << 20)

struct image_pieces {
	uint64_t size;
	uint32_t piece_size;
	uint32_t count;                        /* ceil(size / piece_size); 0 for an empty image */
	uint8_t sha256[SHA256_DIGEST_BYTES];   /* whole image */
	uint8_t (*piece_sha256)[SHA256_DIGEST_BYTES];
};

/* Number of pieces an image of size bytes has. */
uint32_t image_pieces_count_for(uint64_t size, uint32_t piece_size);
/* Offset and length of piece index (index < count). */
uint64_t image_pieces_offset(const struct image_pieces *pieces, uint32_t index);
uint32_t image_pieces_length(const struct image_pieces *pieces, uint32_t index);

/* Hashes the file open at fd (from offset 0, size bytes as fstat says) into
 * a piece list; the whole-image hash is computed in the same pass. Returns 0,
 * -EINVAL (piece_size out of bounds), -EFBIG (too many pieces), -EIO when the
 * file changed size while being read, or another negative errno. */
int image_pieces_from_fd(int fd, uint32_t piece_size, struct image_pieces *pieces);

/* Checks one piece's bytes; 0 when they hash to the listed value, -EBADMSG
 * when they do not, -EINVAL when index or length do not fit the list. */
int image_pieces_check(const struct image_pieces *pieces, uint32_t index, const void *data, size_t length);
/* Reads piece index from the file open at fd (at its offset in the image)
 * into buffer (at least piece_size bytes) and checks it: 0, -EBADMSG when
 * it does not match, -ENODATA when the file ends inside the piece, -EINVAL
 * for an index past the list, or another negative errno. */
int image_pieces_check_fd(const struct image_pieces *pieces, uint32_t index, int fd, void *buffer);

/* Renders the text form; *text is malloc'd and NUL-terminated. */
int image_pieces_format(const struct image_pieces *pieces, char **text, size_t *length);
/* Parses the text form strictly (every line as above, lowercase hex, piece
 * count matching size and piece_size, nothing after the last piece line but
 * one newline). Returns 0, -EBADMSG with why filled, or -ENOMEM. */
int image_pieces_parse(const char *text, size_t length, struct image_pieces *pieces, char *why, size_t why_size);
/* The SHA-256 of the text form, as a device is given it. */
int image_pieces_digest(const struct image_pieces *pieces, uint8_t digest[SHA256_DIGEST_BYTES]);

void image_pieces_free(struct image_pieces *pieces);

#endif
