/* Ed25519 signatures over an image statement (OpenSSL 3 EVP, no crypto of
 * our own). The operator signs, offline, what an image is:
 *
 *   cascade-image-v1\n
 *   name=NAME\n          the file name devices install it under
 *   size=SIZE\n          bytes, decimal
 *   sha256=HEX\n         64 lowercase hex digits
 *
 * (cascadectl sign); the signature travels base64-encoded (88 characters)
 * with the campaign to the devices (X_CASCADE_ImageSignature), and
 * cascade-cpe verifies it against its configured public key before it
 * fetches, installs or publishes anything. A compromised controller link or
 * master can then not make a device take an image the operator did not
 * sign: another hash, size or name breaks the signature. Keys are PEM files
 * as `openssl genpkey -algorithm ed25519` and `openssl pkey -pubout` write
 * them. */
#ifndef CASCADE_COMMON_IMAGE_SIGNATURE_H
#define CASCADE_COMMON_IMAGE_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#define IMAGE_SIGNATURE_BYTES         64
#define IMAGE_SIGNATURE_BASE64_LENGTH 88 /* with "==" padding */
#define IMAGE_STATEMENT_MAX           400

/* Writes the canonical statement; -EINVAL when name is not a plain file
 * name (manifest rules) or sha256_hex is not 64 hex digits (either case;
 * the statement has them lowercase), else its length. */
int image_statement_format(const char *name, uint64_t size, const char *sha256_hex, char *out, size_t out_size);

/* Signs the statement with the Ed25519 private key in private_key_path;
 * signature_base64 gets IMAGE_SIGNATURE_BASE64_LENGTH characters and a NUL.
 * Returns 0 or a negative errno, with why filled. */
int image_signature_sign(const char *private_key_path, const char *name, uint64_t size, const char *sha256_hex,
			 char signature_base64[IMAGE_SIGNATURE_BASE64_LENGTH + 1], char *why, size_t why_size);

/* Verifies signature_base64 over the statement with the Ed25519 public key
 * in public_key_path. Returns 0 when it holds; -EBADMSG for a signature
 * that does not (another image, another key, tampered), -EINVAL for a
 * missing or malformed signature or statement, -ENOKEY when the key file
 * cannot be read or is not an Ed25519 public key; why says which. */
int image_signature_verify(const char *public_key_path, const char *name, uint64_t size, const char *sha256_hex,
			   const char *signature_base64, char *why, size_t why_size);

/* Checks that path holds an Ed25519 public key (for start-up checks). */
int image_public_key_check(const char *path, char *why, size_t why_size);

/* Decodes a base64 signature of exactly IMAGE_SIGNATURE_BYTES (88
 * characters, "==" at the end): 0, or -EINVAL for anything else. */
int image_signature_decode(const char *text, uint8_t signature[IMAGE_SIGNATURE_BYTES]);

#endif
