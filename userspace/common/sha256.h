/* SHA-256 over buffers, streams and files (OpenSSL EVP underneath), and the
 * lowercase hex form that manifests, ETags and CWMP parameters carry. */
#ifndef CASCADE_COMMON_SHA256_H
#define CASCADE_COMMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_BYTES 32
#define SHA256_HEX_LENGTH   64

struct sha256_stream;

/* Incremental hashing: new, update any number of times, finish (frees). */
struct sha256_stream *sha256_stream_new(void);
int sha256_stream_update(struct sha256_stream *stream, const void *data, size_t length);
int sha256_stream_finish(struct sha256_stream *stream, uint8_t digest[SHA256_DIGEST_BYTES]);
void sha256_stream_free(struct sha256_stream *stream);

int sha256_buffer(const void *data, size_t length, uint8_t digest[SHA256_DIGEST_BYTES]);
/* Hashes a whole file; fills *size with the bytes read when size is not NULL. */
int sha256_file(const char *path, uint8_t digest[SHA256_DIGEST_BYTES], uint64_t *size);
int sha256_fd(int fd, uint8_t digest[SHA256_DIGEST_BYTES], uint64_t *size);

/* hex must hold SHA256_HEX_LENGTH + 1 bytes. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_BYTES], char *hex);
/* Accepts 64 hex digits in either case; returns 0 or -EINVAL. */
int sha256_from_hex(const char *hex, uint8_t digest[SHA256_DIGEST_BYTES]);

#endif
