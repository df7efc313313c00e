/* Image statements and their Ed25519 signatures (see image_signature.h). */
#include "common/image_signature.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>

#include "common/manifest.h"
#include "common/sha256.h"

int image_statement_format(const char *name, uint64_t size, const char *sha256_hex, char *out, size_t out_size)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	char hex[SHA256_HEX_LENGTH + 1];
	int length;

	/* 64 hex digits in either case; the statement carries them lowercase. */
	if (!name || !manifest_name_is_valid(name, strlen(name)) || sha256_from_hex(sha256_hex, digest) < 0)
		return -EINVAL;
	sha256_to_hex(digest, hex);
	length = snprintf(out, out_size, "cascade-image-v1\nname=%s\nsize=%" PRIu64 "\nsha256=%s\n", name, size, hex);
	return length < 0 || (size_t)length >= out_size ? -EINVAL : length;
}

int image_signature_decode(const char *text, uint8_t signature[IMAGE_SIGNATURE_BYTES])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char decoded[IMAGE_SIGNATURE_BYTES + 3];

	if (!text || strlen(text) != IMAGE_SIGNATURE_BASE64_LENGTH ||
	    strspn(text, alphabet) != IMAGE_SIGNATURE_BASE64_LENGTH - 2 || strcmp(text + 86, "==") != 0)
		return -EINVAL;
	/* EVP_DecodeBlock counts the padding as zero bytes: 66 for 64. */
	if (EVP_DecodeBlock(decoded, (const unsigned char *)text, IMAGE_SIGNATURE_BASE64_LENGTH) !=
	    IMAGE_SIGNATURE_BYTES + 2)
		return -EINVAL;
	memcpy(signature, decoded, IMAGE_SIGNATURE_BYTES);
	return 0;
}

static void openssl_reason(char *why, size_t why_size, const char *what)
{
	unsigned long error = ERR_get_error();
	char text[256] = "";

	if (error)
		ERR_error_string_n(error, text, sizeof(text));
	ERR_clear_error();
	snprintf(why, why_size, "%s%s%s", what, text[0] ? ": " : "", text);
}

/* Reads a PEM key (private or public) and checks that it is Ed25519. */
static EVP_PKEY *read_key(const char *path, int private_key, char *why, size_t why_size)
{
	FILE *file = fopen(path, "r");
	EVP_PKEY *key;

	if (!file) {
		snprintf(why, why_size, "cannot read key file %s: %s", path, strerror(errno));
		return NULL;
	}
	key = private_key ? PEM_read_PrivateKey(file, NULL, NULL, NULL) : PEM_read_PUBKEY(file, NULL, NULL, NULL);
	fclose(file);
	if (!key) {
		openssl_reason(why, why_size, private_key ? "not a PEM private key" : "not a PEM public key");
		return NULL;
	}
	if (EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		snprintf(why, why_size, "%s is not an Ed25519 key", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

int image_public_key_check(const char *path, char *why, size_t why_size)
{
	EVP_PKEY *key = read_key(path, 0, why, why_size);

	if (!key)
		return -ENOKEY;
	EVP_PKEY_free(key);
	return 0;
}

int image_signature_sign(const char *private_key_path, const char *name, uint64_t size, const char *sha256_hex,
			 char signature_base64[IMAGE_SIGNATURE_BASE64_LENGTH + 1], char *why, size_t why_size)
{
	char statement[IMAGE_STATEMENT_MAX];
	unsigned char signature[IMAGE_SIGNATURE_BYTES];
	size_t signature_length = sizeof(signature);
	int statement_length = image_statement_format(name, size, sha256_hex, statement, sizeof(statement));
	EVP_MD_CTX *context = NULL;
	EVP_PKEY *key;
	int result = -EIO;

	if (statement_length < 0) {
		snprintf(why, why_size, "the image name must be a plain file name and the SHA-256 64 hex digits");
		return -EINVAL;
	}
	key = read_key(private_key_path, 1, why, why_size);
	if (!key)
		return -ENOKEY;
	context = EVP_MD_CTX_new();
	/* Ed25519 signs the message itself: no digest, one shot. */
	if (!context || EVP_DigestSignInit(context, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(context, signature, &signature_length, (const unsigned char *)statement,
			   (size_t)statement_length) != 1 ||
	    signature_length != IMAGE_SIGNATURE_BYTES) {
		openssl_reason(why, why_size, "signing failed");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)signature_base64, signature, IMAGE_SIGNATURE_BYTES);
	result = 0;
out:
	EVP_MD_CTX_free(context);
	EVP_PKEY_free(key);
	return result;
}

int image_signature_verify(const char *public_key_path, const char *name, uint64_t size, const char *sha256_hex,
			   const char *signature_base64, char *why, size_t why_size)
{
	char statement[IMAGE_STATEMENT_MAX];
	uint8_t signature[IMAGE_SIGNATURE_BYTES];
	int statement_length = image_statement_format(name, size, sha256_hex, statement, sizeof(statement));
	EVP_MD_CTX *context = NULL;
	EVP_PKEY *key;
	int result = -EBADMSG;

	if (!signature_base64 || !signature_base64[0]) {
		snprintf(why, why_size, "no image signature (X_CASCADE_ImageSignature) but one is required");
		return -EINVAL;
	}
	if (image_signature_decode(signature_base64, signature) != 0) {
		snprintf(why, why_size, "the image signature is not %d bytes of base64", IMAGE_SIGNATURE_BYTES);
		return -EINVAL;
	}
	if (statement_length < 0) {
		snprintf(why, why_size, "nothing to verify: the image needs a plain name and a SHA-256 "
					"(X_CASCADE_ImageSHA256)");
		return -EINVAL;
	}
	key = read_key(public_key_path, 0, why, why_size);
	if (!key)
		return -ENOKEY;
	context = EVP_MD_CTX_new();
	if (!context || EVP_DigestVerifyInit(context, NULL, NULL, NULL, key) != 1) {
		openssl_reason(why, why_size, "cannot set up the verification");
		result = -EIO;
		goto out;
	}
	if (EVP_DigestVerify(context, signature, sizeof(signature), (const unsigned char *)statement,
			     (size_t)statement_length) == 1) {
		result = 0;
	} else {
		ERR_clear_error();
		snprintf(why, why_size, "the image signature does not match name %s, size %" PRIu64 ", sha256 %.64s",
			 name, size, sha256_hex);
	}
out:
	EVP_MD_CTX_free(context);
	EVP_PKEY_free(key);
	return result;
}
