/* cascadectl sign: signs an image statement (name, size, SHA-256) with the
 * operator's Ed25519 private key and prints the base64 signature, which
 * `campaign start --signature` carries to the devices. Needs no API: run
 * it where the key lives. Keys:
 *   openssl genpkey -algorithm ed25519 -out image-signing.pem
 *   openssl pkey -in image-signing.pem -pubout -out image-signing.pub   (for cascade-cpe) */
#include "cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/image_signature.h"
#include "common/parse.h"
#include "common/sha256.h"

int image_facts_from_file(const char *command, const char *file, char *hex,
			  const char **sha256, long long *size, const char **image)
{
	uint8_t digest[SHA256_DIGEST_BYTES];
	uint64_t file_size;

	if (sha256_file(file, digest, &file_size) < 0) {
		fprintf(stderr, "cascadectl %s: cannot read --file %s\n", command, file);
		return 1;
	}
	sha256_to_hex(digest, hex);
	*sha256 = hex;
	*size = (long long)file_size;
	if (!*image) {
		const char *slash = strrchr(file, '/');

		*image = slash ? slash + 1 : file;
	}
	return 0;
}

enum sign_option { OPTION_KEY = 1, OPTION_IMAGE, OPTION_SIZE, OPTION_SHA256, OPTION_FILE };

static const struct cli_option sign_options[] = {
	CLI_OPTION("key", "PRIVATE.pem", "the operator's Ed25519 private key (required)", OPTION_KEY),
	CLI_OPTION("file", "PATH", "take the image's name, size and SHA-256 from this file", OPTION_FILE),
	CLI_OPTION("image", "NAME", "the image's name (default with --file: the file's name)", OPTION_IMAGE),
	CLI_OPTION("size", "N", "the image's size in bytes (without --file)", OPTION_SIZE),
	CLI_OPTION("sha256", "HEX", "the image's SHA-256 (without --file)", OPTION_SHA256),
	CLI_END_OF_OPTIONS,
};

const struct cli_command sign_command = {
	.words = "sign",
	.synopsis = "--key PRIVATE.pem (--file PATH [--image NAME] | --image NAME --size N --sha256 HEX)",
	.summary = "sign an image for devices with --image-public-key; prints the signature",
	.description = "Signs the image statement (name, size, SHA-256) with an Ed25519 private key and prints\n"
		       "the base64 signature for campaign start --signature. Needs no API: run it where the key\n"
		       "lives. A key pair: openssl genpkey -algorithm ed25519 -out image-signing.pem;\n"
		       "openssl pkey -in image-signing.pem -pubout -out image-signing.pub (for cascade-cpe).",
	.options = sign_options,
};

int command_sign(int argc, char **argv)
{
	const char *key = NULL, *image = NULL, *sha256 = NULL, *file = NULL;
	char hex[SHA256_HEX_LENGTH + 1], signature[IMAGE_SIGNATURE_BASE64_LENGTH + 1], why[512];
	long long size = -1;
	struct cli_parser parser;
	int code;

	cli_begin(&parser, "cascadectl", &sign_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		switch (code) {
		case OPTION_KEY: key = parser.value; break;
		case OPTION_IMAGE: image = parser.value; break;
		case OPTION_SHA256: sha256 = parser.value; break;
		case OPTION_FILE: file = parser.value; break;
		default: /* OPTION_SIZE */
			if (parse_integer(parser.value, 0, INT64_MAX, &size) < 0)
				return cli_bad_value(&parser, "expected a byte count");
			break;
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (file && image_facts_from_file("sign", file, hex, &sha256, &size, &image) != 0)
		return 1;
	if (!key || !image || !sha256 || size < 0)
		return usage_error("sign", "needs --key FILE and --file PATH [--image NAME], or --image NAME --size N "
					   "--sha256 HEX");
	if (image_signature_sign(key, image, (uint64_t)size, sha256, signature, why, sizeof(why)) != 0) {
		fprintf(stderr, "cascadectl sign: %s\n", why);
		return 1;
	}
	printf("%s\n", signature);
	return 0;
}
