/* Piece verification on the device: getting an image's piece list and
 * checking every piece as it arrives.
 *
 * With X_CASCADE_ImagePiecesSHA256 set, the agent fetches the list from
 * its source first (URL .../images/NAME -> .../pieces/NAME, the query
 * kept), checks the list's SHA-256 against that parameter and the list's
 * size and whole-image hash against FileSize and X_CASCADE_ImageSHA256,
 * and keeps a copy (downloads/KEY.pieces) for later attempts. A source
 * that has no list (404, or a URL that is not .../images/NAME) means the
 * image is checked at the end only, as without the parameter.
 *
 * The piece checker follows the partial file: it re-checks on disk the
 * whole pieces not yet known good, hashes the start of the piece being
 * received, then checks each piece the moment its last byte arrives. A
 * bad piece is reported with its index, so the fetch cuts the file back to
 * that piece's start and fails naming the piece and the source. */
#ifndef CASCADE_CPE_DOWNLOAD_PIECES_H
#define CASCADE_CPE_DOWNLOAD_PIECES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/image_pieces.h"
#include "cpe/download_fetch.h"
#include "cpe/download_queue.h"

/* The list's URL for an image URL whose path ends in /images/NAME; -ENOENT
 * for any other URL, -ENAMETOOLONG when it does not fit. */
int download_pieces_url(const char *image_url, char *out, size_t size);

/* "scheme://host:port" of url, to name a source in faults and logs. */
void download_source_name(const char *url, char *out, size_t size);

/* Gets request's list into pieces (and its text into *text, malloc'd, when
 * text is not NULL): from cache_path when it is there and matches, else
 * from the source (then saved to cache_path). Returns 0; -ENOENT when the
 * source has no list (check at the end instead); -ECANCELED on shutdown;
 * or a TR-069 fault code (> 0) with why: 9018 for a list that does not
 * match the parameters, 9015/9016/9017 as for the image itself. */
int download_pieces_get(const struct download_request *request, const struct fetch_options *options,
			const char *cache_path, struct image_pieces *pieces, char **text, size_t *text_length, char *why,
			size_t why_size);

struct piece_checker {
	const struct image_pieces *pieces;
	struct sha256_stream *stream;   /* the current piece's bytes so far */
	uint64_t position;              /* offset of the next byte fed */
	uint32_t verified_pieces;       /* pieces checked good since start */
};

/* Starts at *position of the partial file at fd: the whole pieces from
 * trusted_bytes (rounded down to a piece) up to *position are read and
 * checked, and the start of the piece *position falls in is hashed. A bad
 * piece found there moves *position back to its start (the caller cuts
 * the file). Returns 0 or a negative errno. */
int piece_checker_start(struct piece_checker *checker, const struct image_pieces *pieces, int fd,
			uint64_t trusted_bytes, uint64_t *position);
/* Feeds the next length bytes. Returns 0, -EBADMSG when a piece they
 * complete does not match (*bad_piece says which; the checker must be
 * started again before more bytes), -EFBIG past the image's size, or
 * -ENOMEM. */
int piece_checker_feed(struct piece_checker *checker, const uint8_t *data, size_t length, uint32_t *bad_piece);
/* Bytes known good: the offset of the first piece not yet checked. */
uint64_t piece_checker_verified_bytes(const struct piece_checker *checker);
void piece_checker_free(struct piece_checker *checker);

#endif
