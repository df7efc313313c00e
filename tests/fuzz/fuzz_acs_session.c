/* libFuzzer harness for cascade-acs's CWMP session engine (session_handle,
 * the pure entry point behind the HTTP server): the input is a sequence of
 * POST bodies separated by a line "#####", sent in order on one simulated
 * connection with the session cookie carried back, against a controller
 * that knows three devices (Acme/00AA11/GW serials S0..S2, S0 a file
 * server) and runs a signed spv campaign over them. So Informs,
 * TransferCompletes, answers to the probe, SetParameterValues and
 * Download, faults and garbage reach the registry and the campaign engine. Every reply the ACS
 * would send must decode. Nothing is committed: batches are dropped, the
 * store (an in-memory SQLite database) is only asked how busy it is.
 * Dictionary: tests/fuzz/cwmp.dict */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acs/campaign.h"
#include "acs/session.h"
#include "acs/store.h"
#include "common/clock.h"
#include "common/log.h"

#define SEPARATOR "\n#####\n"
#define MAX_EXCHANGES 16
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
/* 64 zero bytes in base64: well-formed, so the campaign is a signed one. */
#define SIGNATURE "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

static void add_device(struct controller *controller, int index)
{
	char serial[8], url[64];
	struct cwmp_device_id identity = { "Acme", "00AA11", "GW", serial };
	struct cwmp_parameter_value parameters[] = {
		{ "Device.DeviceInfo.HardwareVersion", "hw1", NULL },
		{ "Device.DeviceInfo.SoftwareVersion", "1.0", NULL },
		{ "Device.X_CASCADE_CPUOccupancy", "100", NULL },
		{ "Device.X_CASCADE_FileServer.Enable", index == 0 ? "1" : "0", NULL },
		{ "Device.X_CASCADE_FileServer.URL", url, NULL },
		{ "Device.ManagementServer.ConnectionRequestURL", "http://192.0.2.9:7549/", NULL },
	};
	struct device *device;

	snprintf(serial, sizeof(serial), "S%d", index);
	snprintf(url, sizeof(url), "http://192.0.2.%d:8080/", index + 10);
	device = device_create(controller, 0, &identity);
	if (!device)
		abort();
	device_apply_parameters(device, parameters, sizeof(parameters) / sizeof(parameters[0]));
	device->last_inform = realtime_seconds();
	policy_assign_group(controller, device);
}

static void check_reply(const struct cwmp_reply *reply)
{
	struct cwmp_message *message = NULL;
	struct cwmp_error error;

	if (!reply->body)
		return;
	if (cwmp_decode(reply->body, reply->length, NULL, &message, &error) != 0) {
		fprintf(stderr, "undecodable reply (%s):\n%.*s\n", error.message, (int)reply->length, reply->body);
		abort(); /* a device must be able to read what the ACS sends */
	}
	cwmp_message_free(message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *store;
	struct controller controller;
	struct acs_config config;
	struct campaign_request request = { "fw.bin", "http://192.0.2.1:8081/images/fw.bin", SHA, 1000,
					    CAMPAIGN_MODE_SPV, 0, 0, NULL, SIGNATURE, NULL };
	struct campaign *campaign;
	struct store_batch *batch;
	struct session *connection_session = NULL;
	char cookie[64] = "", error[128], *text;
	const char *cursor, *end;

	if (!store) {
		log_set_level(LOG_LEVEL_ERROR);
		cwmp_init();
		if (store_open(":memory:", false, &store) != 0)
			abort();
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	acs_config_defaults(&config);
	config.hold_requests = size > 0 && (data[0] & 1);
	config.election_require_file_server = true;
	if (controller_init(&controller, &config) != 0)
		abort();
	controller.store = store;
	for (int i = 0; i < 3; i++)
		add_device(&controller, i);
	batch = store_batch_new();
	if (!batch || campaign_start(&controller, &request, batch, &campaign, error, sizeof(error)) != 0)
		abort();
	store_batch_free(batch);

	cursor = text;
	end = text + size;
	for (int exchange_number = 0; exchange_number < MAX_EXCHANGES && cursor <= end; exchange_number++) {
		const char *separator = memmem(cursor, (size_t)(end - cursor), SEPARATOR, strlen(SEPARATOR));
		size_t length = (size_t)((separator ? separator : end) - cursor);
		struct cwmp_exchange exchange = {
			.body = cursor,
			.length = length,
			.cookie = cookie[0] ? cookie : NULL,
			.address = "192.0.2.77",
			.bound_device_key = NULL,
			.connection_session = &connection_session,
		};
		struct cwmp_reply reply;

		batch = NULL;
		if (session_handle(&controller, &exchange, &reply, &batch) != 0)
			abort();
		check_reply(&reply);
		if (reply.cookie[0])
			snprintf(cookie, sizeof(cookie), "%s", reply.cookie);
		free(reply.body);
		store_batch_free(batch);
		if (!separator)
			break;
		cursor = separator + strlen(SEPARATOR);
	}
	session_release(&controller, connection_session);
	controller_destroy(&controller);
	free(text);
	return 0;
}
