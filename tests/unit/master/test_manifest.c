/* Unit tests for the SHA256SUMS manifest (userspace/common/manifest*.c):
 * parsing sha256sum output, refusing bad names, verifying files (symlinks,
 * FIFOs, wrong content), the hash cache, and publishing images, including
 * two publishers at once. Works in a fresh temporary folder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/manifest.h"

#define HASH_A "ca978112ca1bbdcafac231b39a23dc4da786eff8146d1ed6c6c1bb8aa8e12a2b" /* not "a" */

static char folder[64];

static int make_folder(void **state)
{
	(void)state;
	snprintf(folder, sizeof(folder), "/tmp/cascade-manifest-test.XXXXXX");
	return mkdtemp(folder) ? 0 : -1;
}

static int remove_folder(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf %s", folder);
	return system(command) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *content)
{
	char path[256];
	FILE *file;

	snprintf(path, sizeof(path), "%s/%s", folder, name);
	file = fopen(path, "w");
	assert_non_null(file);
	fputs(content, file);
	fclose(file);
}

static void hash_of(const char *text, uint8_t digest[32], char hex[65])
{
	assert_int_equal(sha256_buffer(text, strlen(text), digest), 0);
	sha256_to_hex(digest, hex);
}

static void test_parse(void **state)
{
	struct manifest manifest;
	const char *text =
		HASH_A "  plain.bin\n"
		HASH_A " *binary.bin\r\n"
		"\n# comment\n"
		HASH_A "  ../escape\n"
		HASH_A "  sub/dir\n"
		HASH_A "  .\n"
		HASH_A "  tab\there\n"
		"\\" HASH_A "  escaped\\\\name\n"
		"deadbeef  short-hash\n"
		HASH_A "single-space\n"
		HASH_A "  twice\n"
		HASH_A "  twice\n"
		HASH_A "  conflict\n"
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  conflict\n"
		HASH_A "  with space.bin";

	(void)state;
	assert_int_equal(manifest_parse(text, strlen(text), &manifest), 0);
	assert_int_equal(manifest.count, 4);   /* binary, plain, twice, with space */
	assert_non_null(manifest_find(&manifest, "plain.bin"));
	assert_non_null(manifest_find(&manifest, "binary.bin"));
	assert_non_null(manifest_find(&manifest, "twice"));
	assert_non_null(manifest_find(&manifest, "with space.bin"));
	assert_null(manifest_find(&manifest, "conflict"));
	assert_null(manifest_find(&manifest, "../escape"));
	assert_int_equal(manifest.first_rejected_line, 5);
	assert_int_equal(manifest.rejected_lines, 10);
	manifest_free(&manifest);
}

static void test_names(void **state)
{
	(void)state;
	assert_true(manifest_name_is_valid("image-1.2.bin", 13));
	assert_true(manifest_name_is_valid("..hidden", 8));
	assert_false(manifest_name_is_valid("..", 2));
	assert_false(manifest_name_is_valid(".", 1));
	assert_false(manifest_name_is_valid("a/b", 3));
	assert_false(manifest_name_is_valid("a\0b", 3));
	assert_false(manifest_name_is_valid("a\nb", 3));
	assert_false(manifest_name_is_valid("a\\b", 3));
	assert_false(manifest_name_is_valid("", 0));
}

static void test_format_round_trip(void **state)
{
	struct manifest manifest = { 0 };
	struct manifest again;
	uint8_t digest[32];
	char hex[65];
	char *text;
	size_t length;

	(void)state;
	hash_of("x", digest, hex);
	assert_int_equal(manifest_set_entry(&manifest, "b", digest), 0);
	assert_int_equal(manifest_set_entry(&manifest, "a", digest), 0);
	assert_int_equal(manifest_set_entry(&manifest, "b/../c", digest), -EINVAL);
	assert_int_equal(manifest_format(&manifest, &text, &length), 0);
	assert_int_equal(strncmp(text, hex, 64), 0);
	assert_int_equal(strncmp(text + 64, "  a\n", 4), 0);
	assert_int_equal(manifest_parse(text, length, &again), 0);
	assert_int_equal(again.count, 2);
	assert_int_equal(again.rejected_lines, 0);
	free(text);
	manifest_free(&again);
	manifest_free(&manifest);
}

static struct manifest_entry entry_for(const char *name, const char *content)
{
	struct manifest_entry entry;
	char hex[65];

	snprintf(entry.name, sizeof(entry.name), "%s", name);
	hash_of(content, entry.sha256, hex);
	return entry;
}

static void test_verify(void **state)
{
	struct manifest_cache *cache = manifest_cache_new();
	struct manifest_file file;
	struct manifest_entry entry;
	char path[256];
	char target[256];
	int directory;

	(void)state;
	directory = open(folder, O_RDONLY | O_DIRECTORY);
	assert_true(directory >= 0);
	write_file("good", "content");
	entry = entry_for("good", "content");
	assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), 0);
	assert_int_equal(file.size, 7);
	close(file.fd);
	assert_int_equal(manifest_cache_hashed_files(cache), 1);
	/* unchanged: served from the cache */
	assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), 0);
	close(file.fd);
	assert_int_equal(manifest_cache_hashed_files(cache), 1);
	/* overwritten in place, same size, modification time put back: the
	 * change time still tells, so it is hashed again and refused */
	{
		struct stat before;
		struct timespec times[2];

		snprintf(path, sizeof(path), "%s/good", folder);
		assert_int_equal(stat(path, &before), 0);
		usleep(20000);
		write_file("good", "CONTENT");
		times[0] = before.st_atim;
		times[1] = before.st_mtim;
		assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
		assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), -EBADMSG);
		assert_int_equal(manifest_cache_hashed_files(cache), 2);
		write_file("good", "content");
	}
	/* listed hash differs: half-written or corrupt */
	entry = entry_for("good", "other content");
	assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), -EBADMSG);
	/* symlink to a matching file elsewhere: refused */
	snprintf(target, sizeof(target), "%s/good", folder);
	snprintf(path, sizeof(path), "%s/link", folder);
	assert_int_equal(symlink(target, path), 0);
	entry = entry_for("link", "content");
	assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), -ELOOP);
	/* a FIFO neither hangs nor is served */
	snprintf(path, sizeof(path), "%s/fifo", folder);
	assert_int_equal(mkfifo(path, 0600), 0);
	entry = entry_for("fifo", "");
	assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), -EINVAL);
	entry = entry_for("missing", "");
	assert_int_equal(manifest_open_verified(directory, &entry, cache, &file), -ENOENT);
	manifest_cache_prune(cache);
	manifest_cache_free(cache);
	close(directory);
}

static void publish(const char *name, const char *content)
{
	char temp[256];
	uint8_t digest[32];
	char hex[65];
	char temp_name[128];

	snprintf(temp_name, sizeof(temp_name), ".%s.partial", name);
	write_file(temp_name, content);
	snprintf(temp, sizeof(temp), "%s/%s", folder, temp_name);
	hash_of(content, digest, hex);
	assert_int_equal(manifest_publish_image(folder, name, temp, digest), 0);
}

static void test_publish(void **state)
{
	struct manifest manifest;
	struct manifest_file file;
	uint8_t digest[32];
	char hex[65];
	int directory;

	(void)state;
	publish("image-1", "one");
	publish("image-2", "two");
	publish("image-1", "one, again");   /* replaces the entry */
	directory = open(folder, O_RDONLY | O_DIRECTORY);
	assert_int_equal(manifest_read(directory, &manifest), 0);
	assert_int_equal(manifest.count, 2);
	for (size_t i = 0; i < manifest.count; i++)
		assert_int_equal(manifest_open_verified(directory, &manifest.entries[i], NULL, &file), 0),
			close(file.fd);
	hash_of("x", digest, hex);
	assert_int_equal(manifest_publish_image(folder, "../x", "/nonexistent", digest), -EINVAL);
	assert_int_equal(manifest_publish_image(folder, "SHA256SUMS", "/nonexistent", digest), -EINVAL);
	assert_int_equal(manifest_publish_image(folder, "y", "/nonexistent", digest), -ENOENT);
	manifest_free(&manifest);
	close(directory);
}

/* Two processes publishing at once both end up in the manifest. */
static void test_concurrent_publishers(void **state)
{
	struct manifest manifest;
	pid_t children[2];
	int directory;

	(void)state;
	for (int i = 0; i < 2; i++) {
		children[i] = fork();
		assert_true(children[i] >= 0);
		if (children[i] == 0) {
			for (int round = 0; round < 20; round++) {
				char name[32];
				char temp[256];
				uint8_t digest[32];
				FILE *file;

				snprintf(name, sizeof(name), "p%d-%d", i, round);
				snprintf(temp, sizeof(temp), "%s/.t-%s", folder, name);
				file = fopen(temp, "w");
				fputs(name, file);
				fclose(file);
				sha256_buffer(name, strlen(name), digest);
				if (manifest_publish_image(folder, name, temp, digest) != 0)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int i = 0; i < 2; i++) {
		int status = 0;

		waitpid(children[i], &status, 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	directory = open(folder, O_RDONLY | O_DIRECTORY);
	assert_int_equal(manifest_read(directory, &manifest), 0);
	assert_true(manifest.count >= 40);
	assert_non_null(manifest_find(&manifest, "p0-19"));
	assert_non_null(manifest_find(&manifest, "p1-19"));
	assert_non_null(manifest_find(&manifest, "p0-0"));
	manifest_free(&manifest);
	close(directory);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test_setup_teardown(test_verify, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_publish, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_concurrent_publishers, make_folder, remove_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
