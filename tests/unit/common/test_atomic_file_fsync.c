/* Unit test of atomic_write_file's durability order, which reading the file
 * back cannot show: the temporary file's data is fsynced before it is
 * renamed over the target, and the folder is fsynced after the rename. This
 * binary's own fsync and rename stand in for libc's (the library code linked
 * into it calls them), record each call and pass it on to the kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/atomic_file.h"

enum call_kind { FSYNC_FILE, FSYNC_FOLDER, RENAME };

struct call {
	enum call_kind kind;
	ino_t inode;    /* fsync: of the descriptor; rename: of the file renamed */
	off_t size;     /* fsync of a file: its size then */
};

static struct call calls[16];
static size_t call_count;

static void record(enum call_kind kind, ino_t inode, off_t size)
{
	if (call_count < sizeof(calls) / sizeof(calls[0]))
		calls[call_count++] = (struct call){ kind, inode, size };
}

int fsync(int fd)
{
	struct stat status;

	if (fstat(fd, &status) == 0)
		record(S_ISDIR(status.st_mode) ? FSYNC_FOLDER : FSYNC_FILE, status.st_ino, status.st_size);
	return (int)syscall(SYS_fsync, fd);
}

int rename(const char *from, const char *to)
{
	struct stat status;

	if (stat(from, &status) == 0)
		record(RENAME, status.st_ino, status.st_size);
	return renameat(AT_FDCWD, from, AT_FDCWD, to);
}

/* The folder the test writes in, removed by the teardown even after a failure. */
static char folder[40], path[64];

static int make_folder(void **state)
{
	(void)state;
	snprintf(folder, sizeof(folder), "/tmp/cascade-atomic-XXXXXX");
	if (!mkdtemp(folder))
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", folder);
	return 0;
}

static int remove_folder(void **state)
{
	(void)state;
	unlink(path);
	rmdir(folder);
	return 0;
}

static void test_data_synced_before_rename_folder_after(void **state)
{
	static const char text[] = "the new content, whole";
	struct stat file_status, folder_status;
	size_t rename_at = SIZE_MAX, file_sync_at = SIZE_MAX, folder_sync_at = SIZE_MAX;

	(void)state;
	call_count = 0;
	assert_int_equal(atomic_write_file(path, text, sizeof(text) - 1, 0600), 0);
	assert_int_equal(stat(path, &file_status), 0);
	assert_int_equal(stat(folder, &folder_status), 0);
	for (size_t i = 0; i < call_count; i++) {
		if (calls[i].kind == RENAME && calls[i].inode == file_status.st_ino)
			rename_at = i;
		else if (calls[i].kind == FSYNC_FILE && calls[i].inode == file_status.st_ino &&
			 calls[i].size == (off_t)(sizeof(text) - 1) && file_sync_at == SIZE_MAX)
			file_sync_at = i;
		else if (calls[i].kind == FSYNC_FOLDER && calls[i].inode == folder_status.st_ino)
			folder_sync_at = i;
	}
	assert_int_not_equal(rename_at, SIZE_MAX);
	/* the whole content reached the disk before the name pointed at it */
	assert_int_not_equal(file_sync_at, SIZE_MAX);
	assert_true(file_sync_at < rename_at);
	/* and the new name itself afterwards */
	assert_int_not_equal(folder_sync_at, SIZE_MAX);
	assert_true(folder_sync_at > rename_at);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_data_synced_before_rename_folder_after, make_folder, remove_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
