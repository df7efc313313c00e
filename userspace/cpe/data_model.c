/* The device's parameter definitions and measured values (see data_model.h). */
#include "cpe/data_model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>

#include "common/clock.h"
#include "common/sha256.h"
#include "cpe/signature.h"

#define RO_INFORM    PARAMETER_INFORM
#define RW_SAVED     (PARAMETER_WRITABLE | PARAMETER_PERSISTENT)

int data_model_validate_url(const char *value, void *context)
{
	(void)context;
	if (!value[0])
		return 0;
	if (!cpe_url_is_http(value))
		return -EINVAL;
	for (const char *c = value; *c; c++)
		if (*c == ' ' || *c == '\t')
			return -EINVAL;
	return 0;
}

int data_model_validate_sha256(const char *value, void *context)
{
	uint8_t digest[SHA256_DIGEST_BYTES];

	(void)context;
	if (!value[0])
		return 0;
	return sha256_from_hex(value, digest) == 0 ? 0 : -EINVAL;
}

/* Connection Request credentials are read into CPE_NAME_MAX buffers: a
 * longer value could not be read back, leaving the check against "". */
int data_model_validate_credential(const char *value, void *context)
{
	(void)context;
	return strlen(value) < CPE_NAME_MAX ? 0 : -EINVAL;
}

static int validate_interval(const char *value, void *context)
{
	(void)context;
	return strcmp(value, "0") == 0 ? -EINVAL : 0;
}

/* Only a device configured as a master may enable its file server. */
static int validate_file_server_enable(const char *value, void *context)
{
	const struct data_model_context *model = context;

	return strcmp(value, "1") == 0 && !cpe_config_is_master(model->config) ? -EINVAL : 0;
}

uint64_t data_model_cache_size(const struct cpe_config *config)
{
	struct statvfs status;

	if (config->cache_size)
		return config->cache_size;
	if (statvfs(config->data_dir, &status) < 0)
		return 0;
	return (uint64_t)status.f_bavail * status.f_frsize;
}

static void set_number(struct parameter_store *store, const char *suffix, uint64_t value)
{
	char text[32];

	snprintf(text, sizeof(text), "%" PRIu64, value);
	parameter_store_set_internal(store, suffix, text);
}

static void refresh(struct parameter_store *store, void *argument)
{
	struct data_model_context *model = argument;
	struct sysinfo memory;
	uint32_t basis_points;

	if (cpe_cpu_meter_sample(model->cpu, &basis_points)) {
		set_number(store, "DeviceInfo.ProcessStatus.CPUUsage", (basis_points + 50) / 100);
		set_number(store, "X_CASCADE_CPUOccupancy", basis_points);
	}
	if (sysinfo(&memory) == 0) {
		set_number(store, "DeviceInfo.MemoryStatus.Total", (uint64_t)memory.totalram * memory.mem_unit / 1024);
		set_number(store, "DeviceInfo.MemoryStatus.Free",
			   ((uint64_t)memory.freeram + memory.bufferram) * memory.mem_unit / 1024);
	}
	set_number(store, "DeviceInfo.UpTime", (monotonic_ms() - model->started_ms) / 1000);
	set_number(store, "X_CASCADE_CacheSize", data_model_cache_size(model->config));
}

int data_model_build(struct parameter_store *store, struct data_model_context *model)
{
	const struct cpe_config *config = model->config;
	char interval[32], bandwidth[32];
	bool cpu = cpe_cpu_meter_enabled(model->cpu);
	struct {
		const char *suffix;
		enum parameter_type type;
		unsigned int flags;
		parameter_validator validate;
		const char *value;
		bool present;
	} definitions[] = {
		{ "DeviceInfo.Manufacturer", PARAMETER_STRING, RO_INFORM, NULL, config->manufacturer, true },
		{ "DeviceInfo.ManufacturerOUI", PARAMETER_STRING, RO_INFORM, NULL, config->oui, true },
		{ "DeviceInfo.ProductClass", PARAMETER_STRING, RO_INFORM, NULL, config->product_class, true },
		{ "DeviceInfo.SerialNumber", PARAMETER_STRING, RO_INFORM, NULL, config->serial, true },
		{ "DeviceInfo.HardwareVersion", PARAMETER_STRING, RO_INFORM, NULL, config->hardware_version, true },
		{ PARAM_SOFTWARE_VERSION, PARAMETER_STRING, RO_INFORM, NULL, config->software_version, true },
		{ "DeviceInfo.ProvisioningCode", PARAMETER_STRING, RW_SAVED | PARAMETER_INFORM, NULL, "", true },
		{ "DeviceInfo.UpTime", PARAMETER_UNSIGNED_INT, 0, NULL, "0", true },
		{ "DeviceInfo.ProcessStatus.CPUUsage", PARAMETER_UNSIGNED_INT, RO_INFORM, NULL, "0", cpu },
		{ "DeviceInfo.MemoryStatus.Total", PARAMETER_UNSIGNED_INT, RO_INFORM, NULL, "0", true },
		{ "DeviceInfo.MemoryStatus.Free", PARAMETER_UNSIGNED_INT, RO_INFORM, NULL, "0", true },
		{ "ManagementServer.URL", PARAMETER_STRING, 0, NULL, config->acs_url, true },
		{ PARAM_PERIODIC_ENABLE, PARAMETER_BOOLEAN, RW_SAVED, NULL, config->periodic_enable ? "1" : "0", true },
		{ PARAM_PERIODIC_INTERVAL, PARAMETER_UNSIGNED_INT, RW_SAVED, validate_interval, interval, true },
		{ PARAM_CONNECTION_REQUEST_URL, PARAMETER_STRING, RO_INFORM, NULL, "", true },
		{ PARAM_CONNECTION_REQUEST_USER, PARAMETER_STRING, RW_SAVED, data_model_validate_credential,
		  config->connection_request_username, true },
		{ PARAM_CONNECTION_REQUEST_PASS, PARAMETER_STRING, RW_SAVED | PARAMETER_SECRET,
		  data_model_validate_credential, config->connection_request_password, true },
		{ MANAGEMENT_SERVER_PARAMETER_KEY, PARAMETER_STRING, PARAMETER_PERSISTENT | PARAMETER_INFORM, NULL, "",
		  true },
		{ "X_CASCADE_Location", PARAMETER_STRING, RW_SAVED | PARAMETER_INFORM, NULL, config->location, true },
		{ "X_CASCADE_CPUOccupancy", PARAMETER_UNSIGNED_INT, RO_INFORM, NULL, "0", cpu },
		{ "X_CASCADE_CPUOccupancySource", PARAMETER_STRING, RO_INFORM, NULL, model->cpu->source, true },
		{ "X_CASCADE_CacheSize", PARAMETER_UNSIGNED_LONG, RO_INFORM, NULL, "0", true },
		{ "X_CASCADE_Bandwidth", PARAMETER_UNSIGNED_INT, RO_INFORM, NULL, bandwidth, true },
		{ PARAM_FILE_SERVER_ENABLE, PARAMETER_BOOLEAN, RW_SAVED | PARAMETER_INFORM, validate_file_server_enable,
		  cpe_config_is_master(config) ? "1" : "0", true },
		{ PARAM_FILE_SERVER_URL, PARAMETER_STRING, RO_INFORM, NULL, config->file_server_url, true },
		{ PARAM_MASTER_URL, PARAMETER_STRING, RW_SAVED | PARAMETER_INFORM, data_model_validate_url, "", true },
		{ PARAM_IMAGE_SHA256, PARAMETER_STRING, RW_SAVED | PARAMETER_INFORM, data_model_validate_sha256, "",
		  true },
		/* In the Inform too: a controller sees that this agent checks pieces. */
		{ PARAM_IMAGE_PIECES_SHA256, PARAMETER_STRING, RW_SAVED | PARAMETER_INFORM, data_model_validate_sha256,
		  "", true },
		{ PARAM_IMAGE_SIGNATURE, PARAMETER_STRING, RW_SAVED, data_model_validate_signature, "", true },
	};
	int result;

	snprintf(interval, sizeof(interval), "%" PRIu64,
		 config->periodic_interval_ms >= 1000 ? config->periodic_interval_ms / 1000 : 1);
	snprintf(bandwidth, sizeof(bandwidth), "%" PRIu32, config->bandwidth_kbps);
	store->validator_context = model;
	for (size_t i = 0; i < sizeof(definitions) / sizeof(definitions[0]); i++) {
		if (!definitions[i].present)
			continue;
		result = parameter_store_add(store, definitions[i].suffix, definitions[i].type, definitions[i].flags,
					     definitions[i].validate, definitions[i].value);
		if (result < 0)
			return result;
	}
	result = parameter_store_load(store);
	if (result < 0)
		return result;
	store->refresh = refresh;
	store->refresh_context = model;
	return 0;
}
