/* SHA-256 helpers over OpenSSL's EVP interface. */
#include "common/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sha256_stream {
	EVP_MD_CTX *context;
};

struct sha256_stream *sha256_stream_new(void)
{
	struct sha256_stream *stream = calloc(1, sizeof(*stream));

	if (stream == NULL)
		return NULL;
	stream->context = EVP_MD_CTX_new();
	if (stream->context == NULL || EVP_DigestInit_ex(stream->context, EVP_sha256(), NULL) != 1) {
		sha256_stream_free(stream);
		return NULL;
	}
	return stream;
}

int sha256_stream_update(struct sha256_stream *stream, const void *data, size_t length)
{
	return EVP_DigestUpdate(stream->context, data, length) == 1 ? 0 : -EIO;
}

int sha256_stream_finish(struct sha256_stream *stream, uint8_t digest[SHA256_DIGEST_BYTES])
{
	unsigned int length = 0;
	int ok = EVP_DigestFinal_ex(stream->context, digest, &length) == 1 &&
		 length == SHA256_DIGEST_BYTES;

	sha256_stream_free(stream);
	return ok ? 0 : -EIO;
}

void sha256_stream_free(struct sha256_stream *stream)
{
	if (stream == NULL)
		return;
	EVP_MD_CTX_free(stream->context);
	free(stream);
}

int sha256_buffer(const void *data, size_t length, uint8_t digest[SHA256_DIGEST_BYTES])
{
	unsigned int digest_length = 0;

	if (EVP_Digest(data, length, digest, &digest_length, EVP_sha256(), NULL) != 1)
		return -EIO;
	return 0;
}

int sha256_fd(int fd, uint8_t digest[SHA256_DIGEST_BYTES], uint64_t *size)
{
	enum { CHUNK = 1 << 16 };
	struct sha256_stream *stream = sha256_stream_new();
	uint8_t *buffer = malloc(CHUNK);
	uint64_t total = 0;
	int result = -ENOMEM;

	if (stream == NULL || buffer == NULL)
		goto out;
	for (;;) {
		ssize_t got = read(fd, buffer, CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			result = -errno;
			goto out;
		}
		if (got == 0)
			break;
		if (sha256_stream_update(stream, buffer, (size_t)got) != 0) {
			result = -EIO;
			goto out;
		}
		total += (uint64_t)got;
	}
	result = sha256_stream_finish(stream, digest);
	stream = NULL;
	if (result == 0 && size != NULL)
		*size = total;
out:
	sha256_stream_free(stream);
	free(buffer);
	return result;
}

int sha256_file(const char *path, uint8_t digest[SHA256_DIGEST_BYTES], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int result;

	if (fd < 0)
		return -errno;
	result = sha256_fd(fd, digest, size);
	close(fd);
	return result;
}

void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_BYTES], char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_DIGEST_BYTES; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[SHA256_HEX_LENGTH] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sha256_from_hex(const char *hex, uint8_t digest[SHA256_DIGEST_BYTES])
{
	uint8_t parsed[SHA256_DIGEST_BYTES];

	if (hex == NULL || strlen(hex) != SHA256_HEX_LENGTH)
		return -EINVAL;
	for (int i = 0; i < SHA256_DIGEST_BYTES; i++) {
		int high = hex_value(hex[2 * i]);
		int low = hex_value(hex[2 * i + 1]);

		if (high < 0 || low < 0)
			return -EINVAL;
		parsed[i] = (uint8_t)(high << 4 | low);
	}
	memcpy(digest, parsed, sizeof(parsed));
	return 0;
}
