/* Unit tests for cascade-cpe's durable download records: the queue of
 * accepted Downloads, pending TransferCompletes, progress records and
 * partial-file names, the removal of stale partial files (never those of
 * a queued request), the restart reconciliation between them, bootstrap
 * and installed-image state, verification of a fetched file, and the
 * mapping of transfer failures to TR-069 fault codes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "cpe/agent_state.h"
#include "cpe/download_fetch.h"
#include "cpe/download_install.h"
#include "cpe/download_queue.h"
#include "cpe/download_worker.h"
#include "cpe/faults.h"
#include "cpe/transfer_store.h"

static int make_folder(void **state)
{
	char *folder = malloc(64);

	snprintf(folder, 64, "/tmp/cpe-unit-records.XXXXXX");
	assert_non_null(mkdtemp(folder));
	*state = folder;
	return 0;
}

static int remove_folder(void **state)
{
	char command[128];

	snprintf(command, sizeof(command), "rm -rf %s", (char *)*state);
	assert_int_equal(system(command), 0);
	free(*state);
	return 0;
}

static struct download_request request_named(const char *key, const char *sha256)
{
	struct download_request request = { 0 };

	snprintf(request.command_key, sizeof(request.command_key), "%s", key);
	snprintf(request.url, sizeof(request.url), "http://master:8080/images/fw.bin?group=1");
	snprintf(request.target_name, sizeof(request.target_name), "fw.bin");
	snprintf(request.sha256, sizeof(request.sha256), "%s", sha256);
	request.file_size = 12;
	request.accepted_at = 1000;
	request.not_before = 1005;
	return request;
}

static void test_queue_survives_restart(void **state)
{
	const char *folder = *state;
	struct download_queue queue, reloaded;
	struct download_request request = request_named("k1", ""), first;

	assert_int_equal(download_queue_open(&queue, folder), 0);
	assert_false(download_queue_first(&queue, &first));
	assert_int_equal(download_queue_push(&queue, &request), 0);
	request = request_named("k2", "");
	snprintf(request.password, sizeof(request.password), "p@ss");
	assert_int_equal(download_queue_push(&queue, &request), 0);
	assert_true(download_queue_wait(&queue, 10));

	assert_int_equal(download_queue_open(&reloaded, folder), 0);
	assert_int_equal(download_queue_count(&reloaded), 2);
	assert_true(download_queue_first(&reloaded, &first));
	assert_string_equal(first.command_key, "k1");
	assert_int_equal(first.not_before, 1005);
	first.started_at = 1010;
	assert_int_equal(download_queue_update(&reloaded, &first), 0);
	assert_int_equal(download_queue_remove(&reloaded, "k1"), 0);
	assert_int_equal(download_queue_remove(&reloaded, "k1"), -ENOENT);
	download_queue_close(&reloaded);

	assert_int_equal(download_queue_open(&reloaded, folder), 0);
	assert_int_equal(download_queue_count(&reloaded), 1);
	assert_true(download_queue_first(&reloaded, &first));
	assert_string_equal(first.command_key, "k2");
	assert_string_equal(first.password, "p@ss");
	download_queue_stop(&reloaded);
	assert_false(download_queue_wait(&reloaded, 10));
	assert_false(download_queue_sleep(&reloaded, 1000));
	download_queue_close(&reloaded);
	download_queue_close(&queue);
}

static void test_queue_full(void **state)
{
	struct download_queue queue;
	struct download_request request = request_named("k", "");

	assert_int_equal(download_queue_open(&queue, *state), 0);
	for (int i = 0; i < DOWNLOAD_QUEUE_MAX; i++)
		assert_int_equal(download_queue_push(&queue, &request), 0);
	assert_int_equal(download_queue_push(&queue, &request), -EBUSY);
	download_queue_close(&queue);
}

/* A Download of the image the started first request fetches supersedes
 * it; another image, the same CommandKey again, or a first not started yet
 * do not. */
static void test_same_image_supersedes_the_running_download(void **state)
{
	const char *sha = "aa5f1c1ed8b36f4e5e2b2a3b9d0f4c5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";
	const char *other = "bb5f1c1ed8b36f4e5e2b2a3b9d0f4c5e6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d";
	struct download_queue queue;
	struct download_request request = request_named("k1", sha), first;
	char by[COMMAND_KEY_MAX + 1] = "";

	assert_int_equal(download_queue_open(&queue, *state), 0);
	assert_int_equal(download_queue_push(&queue, &request), 0);
	request = request_named("k2", sha);
	assert_int_equal(download_queue_push(&queue, &request), 0);
	assert_false(download_queue_superseded(&queue, by, false)); /* k1 not started: k2 waits */
	assert_int_equal(download_queue_remove(&queue, "k2"), 0);
	assert_true(download_queue_first(&queue, &first));
	first.started_at = 1010;
	assert_int_equal(download_queue_update(&queue, &first), 0);
	request = request_named("k3", other);
	assert_int_equal(download_queue_push(&queue, &request), 0);
	assert_false(download_queue_superseded(&queue, by, false)); /* another image waits */
	request = request_named("k1", sha);
	assert_int_equal(download_queue_push(&queue, &request), 0);
	assert_false(download_queue_superseded(&queue, by, false)); /* the same key again */
	request = request_named("k4", sha);
	assert_int_equal(download_queue_push(&queue, &request), 0);
	assert_true(download_queue_superseded(&queue, by, false));
	assert_string_equal(by, "k4");
	assert_true(download_queue_superseded(&queue, NULL, true)); /* read, then cleared */
	assert_false(download_queue_superseded(&queue, by, false));
	download_queue_close(&queue);
}

static void test_transfer_store(void **state)
{
	const char *folder = *state;
	struct transfer_store store, reloaded;
	struct transfer_record record = { .fault_code = 9018, .start_time = 100, .complete_time = 200 };
	struct transfer_record copies[TRANSFER_STORE_MAX];

	snprintf(record.fault_string, sizeof(record.fault_string), "file corrupted");
	assert_int_equal(transfer_store_open(&store, folder), 0);
	snprintf(record.command_key, sizeof(record.command_key), "a");
	assert_int_equal(transfer_store_add(&store, &record), 0);
	record.fault_code = 0;
	snprintf(record.command_key, sizeof(record.command_key), "b");
	assert_int_equal(transfer_store_add(&store, &record), 0);
	record.complete_time = 300;
	assert_int_equal(transfer_store_add(&store, &record), 0); /* same key: replaced */

	assert_int_equal(transfer_store_open(&reloaded, folder), 0);
	assert_int_equal(transfer_store_snapshot(&reloaded, copies, TRANSFER_STORE_MAX), 2);
	assert_string_equal(copies[0].command_key, "a");
	assert_int_equal(copies[0].fault_code, 9018);
	assert_string_equal(copies[0].fault_string, "file corrupted");
	assert_int_equal(copies[1].complete_time, 300);
	assert_int_equal(transfer_store_remove(&reloaded, "a"), 0);
	assert_false(transfer_store_contains(&reloaded, "a"));
	assert_true(transfer_store_contains(&reloaded, "b"));
	transfer_store_close(&reloaded);

	/* Full: the oldest gives way, the newest is never lost. */
	for (int i = 0; i < TRANSFER_STORE_MAX + 3; i++) {
		snprintf(record.command_key, sizeof(record.command_key), "n%d", i);
		assert_int_equal(transfer_store_add(&store, &record), 0);
	}
	assert_int_equal(transfer_store_snapshot(&store, copies, TRANSFER_STORE_MAX), TRANSFER_STORE_MAX);
	assert_true(transfer_store_contains(&store, "n18"));
	transfer_store_close(&store);
}

static void test_restart_between_result_and_dequeue(void **state)
{
	const char *folder = *state;
	struct download_queue queue;
	struct transfer_store transfers;
	struct download_request request = request_named("done-key", "");
	struct transfer_record record = { .command_key = "done-key" };

	/* The worker stores the result first, then dequeues: a crash between
	 * the two must not run the download again. */
	assert_int_equal(download_queue_open(&queue, folder), 0);
	assert_int_equal(download_queue_push(&queue, &request), 0);
	request = request_named("other", "");
	assert_int_equal(download_queue_push(&queue, &request), 0);
	download_queue_close(&queue);
	assert_int_equal(transfer_store_open(&transfers, folder), 0);
	assert_int_equal(transfer_store_add(&transfers, &record), 0);

	assert_int_equal(download_queue_open(&queue, folder), 0);
	download_queue_reconcile(&queue, &transfers);
	assert_int_equal(download_queue_count(&queue), 1);
	assert_true(download_queue_first(&queue, &request));
	assert_string_equal(request.command_key, "other");
	download_queue_close(&queue);
	transfer_store_close(&transfers);
}

static void test_progress_and_partial_names(void **state)
{
	const char *folder = *state;
	struct download_request by_hash = request_named("k", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	struct download_request by_url = request_named("k", "");
	char partial[512], progress[512], other_partial[512], other_progress[512];
	struct download_progress record = { .durable_bytes = 4096, .total_bytes = 10000 }, loaded;

	assert_int_equal(download_partial_paths(folder, &by_hash, partial, sizeof(partial), progress, sizeof(progress)),
			 0);
	assert_non_null(strstr(partial, "/downloads/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.part"));
	/* Another URL for the same image (a re-pointed slave) shares the partial file. */
	snprintf(by_hash.url, sizeof(by_hash.url), "http://other-master/images/fw.bin");
	assert_int_equal(download_partial_paths(folder, &by_hash, other_partial, sizeof(other_partial), other_progress,
						sizeof(other_progress)),
			 0);
	assert_string_equal(partial, other_partial);
	/* Without a hash, the URL decides. */
	assert_int_equal(download_partial_paths(folder, &by_url, partial, sizeof(partial), progress, sizeof(progress)), 0);
	snprintf(by_url.url, sizeof(by_url.url), "http://other-master/images/fw.bin");
	assert_int_equal(download_partial_paths(folder, &by_url, other_partial, sizeof(other_partial), other_progress,
						sizeof(other_progress)),
			 0);
	assert_string_not_equal(partial, other_partial);

	assert_int_equal(download_progress_load(progress, &loaded), -ENOENT);
	assert_int_equal(loaded.durable_bytes, 0);
	snprintf(record.url, sizeof(record.url), "http://master/x");
	assert_int_equal(download_progress_save(progress, &record), 0);
	assert_int_equal(download_progress_load(progress, &loaded), 0);
	assert_int_equal(loaded.durable_bytes, 4096);
	assert_int_equal(loaded.total_bytes, 10000);
	assert_string_equal(loaded.url, "http://master/x");
}

/* Creates path with a modification time two days back. */
static void make_old_file(const char *path)
{
	struct timespec two_days_ago[2] = { { time(NULL) - 2 * 86400, 0 }, { time(NULL) - 2 * 86400, 0 } };

	assert_int_equal(atomic_write_file(path, "bytes", 5, 0600), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, two_days_ago, 0), 0);
}

static void test_stale_partials_spare_queued_requests(void **state)
{
	const char *folder = *state;
	struct cpe_config *config = calloc(1, sizeof(*config));
	struct download_queue queue;
	struct download_worker worker = { 0 };
	struct download_request current = request_named("k1", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	struct download_request waiting = request_named("k2", "");
	char partial[512], progress[512], waiting_partial[512], waiting_progress[512], stale[512], recent[512];

	assert_non_null(config);
	cpe_config_defaults(config);
	snprintf(config->data_dir, sizeof(config->data_dir), "%s", folder);
	assert_int_equal(download_queue_open(&queue, folder), 0);
	assert_int_equal(download_queue_push(&queue, &current), 0);
	assert_int_equal(download_queue_push(&queue, &waiting), 0);
	worker.config = config;
	worker.queue = &queue;
	assert_int_equal(download_partial_paths(folder, &current, partial, sizeof(partial), progress, sizeof(progress)),
			 0);
	assert_int_equal(download_partial_paths(folder, &waiting, waiting_partial, sizeof(waiting_partial),
						waiting_progress, sizeof(waiting_progress)),
			 0);
	snprintf(stale, sizeof(stale), "%s/downloads/abandoned.part", folder);
	snprintf(recent, sizeof(recent), "%s/downloads/recent.part", folder);
	make_old_file(partial);
	make_old_file(progress);
	make_old_file(waiting_partial);
	make_old_file(waiting_progress);
	make_old_file(stale);
	assert_int_equal(atomic_write_file(recent, "bytes", 5, 0600), 0);

	download_worker_remove_stale_partials(&worker);
	assert_int_equal(access(partial, F_OK), 0);
	assert_int_equal(access(progress, F_OK), 0);
	assert_int_equal(access(waiting_partial, F_OK), 0);
	assert_int_equal(access(waiting_progress, F_OK), 0);
	assert_int_equal(access(recent, F_OK), 0);
	assert_int_equal(access(stale, F_OK), -1);

	/* Once dequeued, a request's old files go too. */
	assert_int_equal(download_queue_remove(&queue, "k2"), 0);
	download_worker_remove_stale_partials(&worker);
	assert_int_equal(access(partial, F_OK), 0);
	assert_int_equal(access(waiting_partial, F_OK), -1);
	assert_int_equal(access(waiting_progress, F_OK), -1);
	download_queue_close(&queue);
	free(config);
}

static void test_verify(void **state)
{
	const char *folder = *state;
	/* sha256("hello world\n") */
	struct download_request request =
		request_named("k", "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
	char path[256], actual[65], why[256];

	snprintf(path, sizeof(path), "%s/file", folder);
	assert_int_equal(atomic_write_file(path, "hello world\n", 12, 0600), 0);
	assert_int_equal(download_verify(path, &request, actual, why, sizeof(why)), 0);
	assert_string_equal(actual, request.sha256);
	request.file_size = 13;
	assert_int_equal(download_verify(path, &request, actual, why, sizeof(why)), FAULT_FILE_CORRUPTED);
	assert_non_null(strstr(why, "FileSize"));
	request.file_size = 12;
	request.sha256[0] = 'b';
	assert_int_equal(download_verify(path, &request, actual, why, sizeof(why)), FAULT_FILE_CORRUPTED);
	assert_non_null(strstr(why, "SHA-256"));
	request.sha256[0] = '\0'; /* no hash given: the size alone decides */
	assert_int_equal(download_verify(path, &request, actual, why, sizeof(why)), 0);
}

static void test_fault_codes(void **state)
{
	char why[256];
	bool retry;

	(void)state;
	assert_int_equal(download_fault_for(CURLE_OK, 200, true, true, &retry, why, sizeof(why)), 0);
	assert_int_equal(download_fault_for(CURLE_OK, 206, true, true, &retry, why, sizeof(why)), 0);
	assert_int_equal(download_fault_for(CURLE_OK, 204, true, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_ACCESS_FILE);
	assert_int_equal(download_fault_for(CURLE_COULDNT_CONNECT, 0, false, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_CONTACT_SERVER);
	assert_false(retry);
	assert_int_equal(download_fault_for(CURLE_OPERATION_TIMEDOUT, 0, false, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_CONTACT_SERVER);
	assert_int_equal(download_fault_for(CURLE_OPERATION_TIMEDOUT, 200, true, true, &retry, why, sizeof(why)),
			 FAULT_CANNOT_COMPLETE_DOWNLOAD);
	assert_false(retry); /* a stalled server is not waited on twice */
	assert_int_equal(download_fault_for(CURLE_HTTP_RETURNED_ERROR, 503, true, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_ACCESS_FILE);
	assert_non_null(strstr(why, "503"));
	assert_int_equal(download_fault_for(CURLE_HTTP_RETURNED_ERROR, 404, true, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_ACCESS_FILE);
	assert_int_equal(download_fault_for(CURLE_HTTP_RETURNED_ERROR, 401, true, false, &retry, why, sizeof(why)),
			 FAULT_FILE_SERVER_AUTH);
	assert_int_equal(download_fault_for(CURLE_PARTIAL_FILE, 200, true, true, &retry, why, sizeof(why)),
			 FAULT_CANNOT_COMPLETE_DOWNLOAD);
	assert_true(retry);
	assert_int_equal(download_fault_for(CURLE_RECV_ERROR, 200, true, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_COMPLETE_DOWNLOAD);
	assert_false(retry); /* no progress: resuming would not help */
	assert_int_equal(download_fault_for(CURLE_GOT_NOTHING, 0, true, false, &retry, why, sizeof(why)),
			 FAULT_CANNOT_ACCESS_FILE);
	assert_int_equal(download_fault_for(CURLE_UNSUPPORTED_PROTOCOL, 0, false, false, &retry, why, sizeof(why)),
			 FAULT_UNSUPPORTED_PROTOCOL);
	assert_int_equal(download_fault_for(CURLE_OUT_OF_MEMORY, 0, false, false, &retry, why, sizeof(why)),
			 FAULT_DOWNLOAD_FAILURE);
}

static void test_agent_state(void **state)
{
	const char *folder = *state;
	struct agent_state agent, reloaded;
	char path[512];

	assert_int_equal(agent_state_open(&agent, folder), 0);
	assert_true(agent_state_needs_bootstrap(&agent, "http://acs:7547/"));
	assert_int_equal(agent_state_count_boot(&agent), 1);
	assert_int_equal(agent_state_set_bootstrapped(&agent, "http://acs:7547/"), 0);
	for (int i = 0; i < AGENT_STATE_IMAGES + 2; i++) {
		char sha[65], image[64];

		snprintf(sha, sizeof(sha), "%064d", i);
		snprintf(image, sizeof(image), "/images/%d.bin", i);
		assert_int_equal(agent_state_add_image(&agent, sha, image), 0);
	}
	agent_state_close(&agent);

	assert_int_equal(agent_state_open(&reloaded, folder), 0);
	assert_false(agent_state_needs_bootstrap(&reloaded, "http://acs:7547/"));
	assert_true(agent_state_needs_bootstrap(&reloaded, "http://new-acs:7547/")); /* a new ACS bootstraps again */
	assert_int_equal(agent_state_count_boot(&reloaded), 2);
	assert_true(agent_state_find_image(&reloaded, "0000000000000000000000000000000000000000000000000000000000000009",
					   path, sizeof(path)));
	assert_string_equal(path, "/images/9.bin");
	assert_false(agent_state_find_image(&reloaded, "0000000000000000000000000000000000000000000000000000000000000000",
					    path, sizeof(path))); /* oldest dropped */
	assert_int_equal(reloaded.image_count, AGENT_STATE_IMAGES);
	agent_state_close(&reloaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_survives_restart, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_queue_full, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_same_image_supersedes_the_running_download, make_folder,
						remove_folder),
		cmocka_unit_test_setup_teardown(test_transfer_store, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_restart_between_result_and_dequeue, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_progress_and_partial_names, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_stale_partials_spare_queued_requests, make_folder, remove_folder),
		cmocka_unit_test_setup_teardown(test_verify, make_folder, remove_folder),
		cmocka_unit_test(test_fault_codes),
		cmocka_unit_test_setup_teardown(test_agent_state, make_folder, remove_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
