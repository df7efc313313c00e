/* libFuzzer harness for cascade-cpe's handling of what an ACS sends: the
 * body is decoded as the session does; a request the codec refuses gets a
 * fault echoing its cwmp:ID (cwmp_id_peek), any other request goes through
 * rpc_handle (GetParameterValues/Names, SetParameterValues with its
 * all-or-nothing checks, Download with its queue on disk, faults). What
 * the agent answers must itself decode. State: a parameter store built per
 * input, a download queue in a temporary folder emptied after each input.
 * Dictionary: tests/fuzz/cwmp.dict */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "cpe/data_model.h"
#include "cpe/download_queue.h"
#include "cwmp/cwmp.h"
#include "cpe/rpc.h"

static struct {
	char folder[256];
	struct cpe_config config;
	struct cpe_cpu_meter cpu;
	struct download_queue queue;
	int ready;
} fixture;

static uint64_t plenty_of_space(const struct cpe_config *config)
{
	(void)config;
	return 1ull << 30;
}

static void remove_folder(void)
{
	char command[300];

	download_queue_close(&fixture.queue);
	cpe_cpu_meter_close(&fixture.cpu);
	snprintf(command, sizeof(command), "rm -rf '%s'", fixture.folder);
	if (system(command) != 0)
		fprintf(stderr, "cannot remove %s\n", fixture.folder);
}

/* The data folder lives under $FUZZ_WORK (tests/fuzz/run points it into
 * build-fuzz/ and removes it, also after a crash), else under /tmp. */
static int setup(void)
{
	const char *work = getenv("FUZZ_WORK");

	if (snprintf(fixture.folder, sizeof(fixture.folder), "%s/fuzz-cpe-rpc.XXXXXX",
		     work && work[0] ? work : "/tmp") >= (int)sizeof(fixture.folder) ||
	    !mkdtemp(fixture.folder))
		return -1;
	log_set_level(LOG_LEVEL_ERROR);
	cwmp_init();
	cpe_config_defaults(&fixture.config);
	snprintf(fixture.config.acs_url, sizeof(fixture.config.acs_url), "http://127.0.0.1:1/");
	snprintf(fixture.config.data_dir, sizeof(fixture.config.data_dir), "%s", fixture.folder);
	snprintf(fixture.config.serial, sizeof(fixture.config.serial), "FUZZ1");
	snprintf(fixture.config.file_server_url, sizeof(fixture.config.file_server_url), "http://127.0.0.1:2");
	snprintf(fixture.config.image_dir, sizeof(fixture.config.image_dir), "%s", fixture.folder);
	fixture.config.cpu_meter = CPE_CPU_METER_OFF;
	fixture.config.max_image_size = 100 << 20;
	cpe_cpu_meter_open(&fixture.cpu, &fixture.config);
	if (download_queue_open(&fixture.queue, fixture.folder) != 0)
		return -1;
	atexit(remove_folder);
	fixture.ready = 1;
	return 0;
}

static void must_decode(const char *body, size_t length)
{
	struct cwmp_message *message = NULL;
	struct cwmp_error error;

	if (cwmp_decode(body, length, NULL, &message, &error) != 0) {
		fprintf(stderr, "undecodable answer (%s):\n%.*s\n", error.message, (int)length, body);
		abort(); /* the ACS must be able to read every answer */
	}
	cwmp_message_free(message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct data_model_context model;
	struct parameter_store store;
	struct rpc_context rpc;
	struct cwmp_message *message = NULL;
	struct cwmp_error error;
	char *body = NULL, *copy, id[128];
	size_t length = 0;

	if (!fixture.ready && setup() != 0)
		abort();
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (cwmp_decode(copy, size, NULL, &message, &error) != 0) {
		cwmp_id_peek(copy, size, id, sizeof(id));
		if (strlen(id) >= sizeof(id))
			abort();
		if (rpc_encode_fault(CWMP_VERSION_1_0, id[0] ? id : NULL,
				     error.cpe_fault_code ? error.cpe_fault_code : 9003, error.message, &body,
				     &length) == 0)
			must_decode(body, length);
		goto out;
	}
	if (cwmp_message_is_response(message->type))
		goto out;
	model = (struct data_model_context){ &fixture.config, &fixture.cpu, 0 };
	if (parameter_store_init(&store, "Device.", NULL) != 0)
		goto out;
	if (data_model_build(&store, &model) == 0) {
		rpc = (struct rpc_context){ &fixture.config, &store, &fixture.queue, plenty_of_space };
		if (rpc_handle(&rpc, message, &body, &length) == 0)
			must_decode(body, length);
	}
	parameter_store_destroy(&store);
	pthread_mutex_lock(&fixture.queue.lock);
	fixture.queue.count = 0;
	pthread_mutex_unlock(&fixture.queue.lock);
out:
	cwmp_message_free(message);
	free(body);
	free(copy);
	return 0;
}
