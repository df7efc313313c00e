/* cascadectl sign: signs an image statement (name, size, SHA-256) with the
 * operator's Ed25519 private key and prints the base64 signature, which
 * `campaign start --signature` carries to the devices. Needs no API: run
 * it where the key lives. Keys:
 *   openssl genpkey -algorithm ed25519 -out image-signing.pem
 *   openssl pkey -in image-signing.pem -pubout -out image-signing.pub   (for cascade-cpe) */
#include "cli.h"

#include <getopt.h>
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

int command_sign(int argc, char **argv)
{
	static const struct option options[] = {
		{ "key", required_argument, NULL, 'k' },  { "image", required_argument, NULL, 'i' },
		{ "size", required_argument, NULL, 's' }, { "sha256", required_argument, NULL, 'h' },
		{ "file", required_argument, NULL, 'f' }, { NULL, 0, NULL, 0 },
	};
	const char *key = NULL, *image = NULL, *sha256 = NULL, *file = NULL;
	char hex[SHA256_HEX_LENGTH + 1], signature[IMAGE_SIGNATURE_BASE64_LENGTH + 1], why[512];
	long long size = -1;
	int option;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (option) {
		case 'k': key = optarg; break;
		case 'i': image = optarg; break;
		case 'h': sha256 = optarg; break;
		case 'f': file = optarg; break;
		case 's':
			if (parse_integer(optarg, 0, INT64_MAX, &size) < 0)
				return usage_error("sign", "--size wants a byte count, not \"%s\"", optarg);
			break;
		default:
			return usage_error("sign", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("sign", "unexpected argument \"%s\"", argv[optind]);
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
