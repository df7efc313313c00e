/* libFuzzer harness for the files cascade-cpe reads back from its data
 * folder at start: downloads.json, transfers.json, state.json and
 * parameters.json (jansson, 4 MiB cap). A corrupt or hostile file must be
 * logged and ignored or read within its limits, never crash the agent or
 * smuggle in a record the agent would not have written (a download with a
 * non-http URL or a bad hash, more records than the caps). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/log.h"
#include "cpe/agent_state.h"
#include "cpe/data_model.h"
#include "cpe/download_queue.h"
#include "cpe/transfer_store.h"

static char folder[256];

static void remove_folder(void)
{
	char command[300];

	snprintf(command, sizeof(command), "rm -rf '%s'", folder);
	if (system(command) != 0)
		fprintf(stderr, "cannot remove %s\n", folder);
}

static int write_file(const char *name, const uint8_t *data, size_t size)
{
	char path[320];
	int fd;
	ssize_t written;

	snprintf(path, sizeof(path), "%s/%s", folder, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	written = write(fd, data, size);
	close(fd);
	return written == (ssize_t)size ? 0 : -1;
}

static void check_downloads(void)
{
	struct download_queue queue;
	struct download_request request;

	if (download_queue_open(&queue, folder) != 0)
		return;
	if (queue.count > DOWNLOAD_QUEUE_MAX)
		abort();
	for (size_t i = 0; i < queue.count; i++) {
		if (memchr(queue.records[i].url, '\0', sizeof(queue.records[i].url)) == NULL ||
		    memchr(queue.records[i].target_name, '\0', sizeof(queue.records[i].target_name)) == NULL)
			abort();
	}
	if (download_queue_first(&queue, &request) && strchr(request.target_name, '/') != NULL)
		abort(); /* an image name from disk must still be a plain name */
	download_queue_close(&queue);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cpe_config config;
	static struct cpe_cpu_meter cpu;
	struct data_model_context model;
	struct parameter_store store;
	struct transfer_store transfers;
	struct agent_state state;
	char path[320];

	if (!folder[0]) {
		const char *work = getenv("FUZZ_WORK");

		snprintf(folder, sizeof(folder), "%s/fuzz-cpe-state.XXXXXX", work && work[0] ? work : "/tmp");
		if (!mkdtemp(folder))
			abort();
		atexit(remove_folder);
		log_set_level(LOG_LEVEL_ERROR);
		cpe_config_defaults(&config);
		snprintf(config.acs_url, sizeof(config.acs_url), "http://127.0.0.1:1/");
		snprintf(config.data_dir, sizeof(config.data_dir), "%s", folder);
		snprintf(config.serial, sizeof(config.serial), "FUZZ1");
		config.cpu_meter = CPE_CPU_METER_OFF;
		cpe_cpu_meter_open(&cpu, &config);
	}
	if (write_file("downloads.json", data, size) || write_file("transfers.json", data, size) ||
	    write_file("state.json", data, size) || write_file("parameters.json", data, size))
		return 0;
	check_downloads();
	if (transfer_store_open(&transfers, folder) == 0)
		transfer_store_close(&transfers);
	if (agent_state_open(&state, folder) == 0) {
		(void)agent_state_needs_bootstrap(&state, "http://127.0.0.1:1/");
		(void)agent_state_find_image(&state, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					     path, sizeof(path));
		agent_state_close(&state);
	}
	snprintf(path, sizeof(path), "%s/parameters.json", folder);
	model = (struct data_model_context){ &config, &cpu, 0 };
	if (parameter_store_init(&store, "Device.", path) == 0) {
		(void)data_model_build(&store, &model);
		parameter_store_destroy(&store);
	}
	return 0;
}
