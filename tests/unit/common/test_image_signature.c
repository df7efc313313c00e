/* Unit tests for image statements and their Ed25519 signatures: the
 * canonical statement, sign and verify with keys made here (OpenSSL),
 * and every refusal: another image, another size or name, another key,
 * a flipped byte, missing, malformed or truncated signatures, bad keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/image_signature.h"

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER_SHA "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct keys {
	char folder[64];
	char private_path[128], public_path[128], other_public_path[128], rsa_public_path[128];
};

static void write_key(EVP_PKEY *key, const char *path, int private_key)
{
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	if (private_key)
		assert_int_equal(PEM_write_PrivateKey(file, key, NULL, NULL, 0, NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_PUBKEY(file, key), 1);
	fclose(file);
}

static int setup(void **state)
{
	struct keys *keys = calloc(1, sizeof(*keys));
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);

	assert_non_null(key);
	assert_non_null(other);
	assert_non_null(rsa);
	snprintf(keys->folder, sizeof(keys->folder), "/tmp/cascade-unit-signature.XXXXXX");
	assert_non_null(mkdtemp(keys->folder));
	snprintf(keys->private_path, sizeof(keys->private_path), "%s/private.pem", keys->folder);
	snprintf(keys->public_path, sizeof(keys->public_path), "%s/public.pem", keys->folder);
	snprintf(keys->other_public_path, sizeof(keys->other_public_path), "%s/other.pem", keys->folder);
	snprintf(keys->rsa_public_path, sizeof(keys->rsa_public_path), "%s/rsa.pem", keys->folder);
	write_key(key, keys->private_path, 1);
	write_key(key, keys->public_path, 0);
	write_key(other, keys->other_public_path, 0);
	write_key(rsa, keys->rsa_public_path, 0);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	EVP_PKEY_free(rsa);
	*state = keys;
	return 0;
}

static int teardown(void **state)
{
	struct keys *keys = *state;
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", keys->folder);
	assert_int_equal(system(command), 0);
	free(keys);
	return 0;
}

static void statement_is_canonical(void **state)
{
	char text[IMAGE_STATEMENT_MAX];
	char upper[] = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";

	(void)state;
	assert_true(image_statement_format("fw-2.0.bin", 1048576, upper, text, sizeof(text)) > 0);
	assert_string_equal(text, "cascade-image-v1\nname=fw-2.0.bin\nsize=1048576\nsha256=" SHA "\n");
	assert_int_equal(image_statement_format("a/b", 1, SHA, text, sizeof(text)), -EINVAL);
	assert_int_equal(image_statement_format("a\nsize=2", 1, SHA, text, sizeof(text)), -EINVAL);
	assert_int_equal(image_statement_format("..", 1, SHA, text, sizeof(text)), -EINVAL);
	assert_int_equal(image_statement_format("fw", 1, "0123", text, sizeof(text)), -EINVAL);
	assert_int_equal(image_statement_format("fw", 1, SHA, text, 20), -EINVAL);
}

static void good_signature_verifies(void **state)
{
	struct keys *keys = *state;
	char signature[IMAGE_SIGNATURE_BASE64_LENGTH + 1], why[256];

	assert_int_equal(image_signature_sign(keys->private_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)), 0);
	assert_int_equal(strlen(signature), IMAGE_SIGNATURE_BASE64_LENGTH);
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)), 0);
	assert_int_equal(image_public_key_check(keys->public_path, why, sizeof(why)), 0);
}

static void other_images_are_refused(void **state)
{
	struct keys *keys = *state;
	char signature[IMAGE_SIGNATURE_BASE64_LENGTH + 1], why[256];

	assert_int_equal(image_signature_sign(keys->private_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)), 0);
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, OTHER_SHA, signature, why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "does not match"));
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1001, SHA, signature, why, sizeof(why)),
			 -EBADMSG);
	assert_int_equal(image_signature_verify(keys->public_path, "fw2.bin", 1000, SHA, signature, why, sizeof(why)),
			 -EBADMSG);
	assert_int_equal(image_signature_verify(keys->other_public_path, "fw.bin", 1000, SHA, signature, why,
						sizeof(why)),
			 -EBADMSG);
	signature[10] = signature[10] == 'A' ? 'B' : 'A';
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)),
			 -EBADMSG);
}

static void malformed_signatures_are_refused(void **state)
{
	struct keys *keys = *state;
	char signature[IMAGE_SIGNATURE_BASE64_LENGTH + 1], copy[IMAGE_SIGNATURE_BASE64_LENGTH + 8], why[256];
	uint8_t raw[IMAGE_SIGNATURE_BYTES];

	assert_int_equal(image_signature_sign(keys->private_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)), 0);
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, SHA, "", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "required"));
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, SHA, NULL, why, sizeof(why)), -EINVAL);
	snprintf(copy, sizeof(copy), "%.86s", signature);
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, SHA, copy, why, sizeof(why)), -EINVAL);
	snprintf(copy, sizeof(copy), "%sAAAA", signature);
	assert_int_equal(image_signature_decode(copy, raw), -EINVAL);
	snprintf(copy, sizeof(copy), "%s", signature);
	copy[5] = '*';
	assert_int_equal(image_signature_decode(copy, raw), -EINVAL);
	assert_int_equal(image_signature_decode(signature, raw), 0);
	assert_int_equal(image_signature_verify(keys->public_path, "fw.bin", 1000, "", signature, why, sizeof(why)),
			 -EINVAL);
}

static void bad_keys_are_refused(void **state)
{
	struct keys *keys = *state;
	char signature[IMAGE_SIGNATURE_BASE64_LENGTH + 1], why[256];

	assert_int_equal(image_signature_sign(keys->private_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)), 0);
	assert_int_equal(image_public_key_check(keys->rsa_public_path, why, sizeof(why)), -ENOKEY);
	assert_non_null(strstr(why, "Ed25519"));
	assert_int_equal(image_public_key_check("/nonexistent/key.pem", why, sizeof(why)), -ENOKEY);
	assert_int_equal(image_public_key_check(keys->private_path, why, sizeof(why)), -ENOKEY);
	assert_int_equal(image_signature_verify(keys->rsa_public_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)),
			 -ENOKEY);
	assert_int_equal(image_signature_sign(keys->public_path, "fw.bin", 1000, SHA, signature, why, sizeof(why)),
			 -ENOKEY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statement_is_canonical),
		cmocka_unit_test(good_signature_verifies),
		cmocka_unit_test(other_images_are_refused),
		cmocka_unit_test(malformed_signatures_are_refused),
		cmocka_unit_test(bad_keys_are_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
