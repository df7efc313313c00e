/* A simulated device's data model and its answers to the ACS: the
 * parameters it reports (standard TR-181/TR-098 ones, X_CASCADE_ ones when
 * it is a cascade device), GetParameterValues / GetParameterNames over
 * them, SetParameterValues of X_CASCADE_MasterURL and X_CASCADE_ImageSHA256,
 * Download (accepted, run after the session), Reboot, GetRPCMethods; and
 * how the profiles answer otherwise (a partial path faulted, dropped or
 * restarted on, sloppy faults, an empty Download URL refused). */
#include "swarm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAMETERS 24

/* Appends one parameter with root-prefixed name. */
static void add(struct swarm_device *device, struct cwmp_parameter_value *parameters, char values[][256],
		char names[][128], size_t *count, size_t capacity, const char *suffix, const char *type,
		const char *value)
{
	if (*count >= capacity)
		return;
	snprintf(names[*count], 128, "%s%s", device->root, suffix);
	snprintf(values[*count], 256, "%s", value ? value : "");
	parameters[*count] = (struct cwmp_parameter_value){ names[*count], values[*count], type };
	(*count)++;
}

size_t swarm_device_parameters(struct swarm *swarm, struct swarm_device *device, bool inform,
			       struct cwmp_parameter_value *parameters, char values[][256], char names[][128],
			       size_t capacity)
{
	const struct swarm_options *options = &swarm->options;
	char text[256], location[256];
	size_t count = 0;

	snprintf(text, sizeof(text), "%s/cr/%u", swarm->base_url, device->index);
	add(device, parameters, values, names, &count, capacity, "ManagementServer.ConnectionRequestURL", "xsd:string",
	    text);
	if (inform && options->no_attributes)
		return count;
	snprintf(text, sizeof(text), "%s%u", options->hardware_prefix, device->group);
	add(device, parameters, values, names, &count, capacity, "DeviceInfo.HardwareVersion", "xsd:string", text);
	add(device, parameters, values, names, &count, capacity, "DeviceInfo.SoftwareVersion", "xsd:string",
	    options->software_version);
	if (!inform || device->cascade) /* a stock device's Inform stops before either location */
		snprintf(location, sizeof(location), "%s%u", options->location_prefix,
			 options->locations ? device->index % options->locations : 0);
	if (!inform) {
		snprintf(text, sizeof(text), "%u", (device->occupancy + 50) / 100);
		add(device, parameters, values, names, &count, capacity, "DeviceInfo.ProcessStatus.CPUUsage",
		    "xsd:unsignedInt", text);
		snprintf(text, sizeof(text), "%lu", (unsigned long)(options->cache_size / 1024));
		add(device, parameters, values, names, &count, capacity, "DeviceInfo.MemoryStatus.Free", "xsd:unsignedInt",
		    text);
		add(device, parameters, values, names, &count, capacity, "DeviceInfo.Location", "xsd:string", location);
	}
	if (!device->cascade)
		return count;
	snprintf(text, sizeof(text), "%u", device->occupancy);
	add(device, parameters, values, names, &count, capacity, "X_CASCADE_CPUOccupancy", "xsd:unsignedInt", text);
	snprintf(text, sizeof(text), "%lu", (unsigned long)options->cache_size);
	add(device, parameters, values, names, &count, capacity, "X_CASCADE_CacheSize", "xsd:unsignedLong", text);
	snprintf(text, sizeof(text), "%u", device->bandwidth);
	add(device, parameters, values, names, &count, capacity, "X_CASCADE_Bandwidth", "xsd:unsignedInt", text);
	add(device, parameters, values, names, &count, capacity, "X_CASCADE_Location", "xsd:string", location);
	add(device, parameters, values, names, &count, capacity, "X_CASCADE_FileServer.Enable", "xsd:boolean",
	    device->file_server ? "1" : "0");
	snprintf(text, sizeof(text), "%s/d/%u", swarm->base_url, device->index);
	add(device, parameters, values, names, &count, capacity, "X_CASCADE_FileServer.URL", "xsd:string",
	    device->file_server ? text : "");
	if (device->file_server) /* it checks pieces and relays while receiving (relay.c) */
		add(device, parameters, values, names, &count, capacity, "X_CASCADE_ImagePiecesSHA256", "xsd:string",
		    device->pieces_digest);
	if (!inform) {
		add(device, parameters, values, names, &count, capacity, "X_CASCADE_MasterURL", "xsd:string",
		    device->master_url);
		add(device, parameters, values, names, &count, capacity, "X_CASCADE_ImageSHA256", "xsd:string",
		    device->image_sha256);
	}
	return count;
}

/* Storage for one answer (the swarm is single-threaded). */
static struct cwmp_parameter_value answer_values[MAX_PARAMETERS];
static struct cwmp_parameter_info answer_infos[MAX_PARAMETERS * 2];
static char answer_names[MAX_PARAMETERS * 2][128];
static struct cwmp_set_parameter_values_fault answer_faults[MAX_PARAMETERS];
static const char *answer_methods[] = { "GetRPCMethods", "GetParameterValues", "GetParameterNames",
					"SetParameterValues", "Download", "Reboot" };

static void fault(struct cwmp_message *response, unsigned int code)
{
	struct cwmp_message copy = *response;

	cwmp_fault_message(response, copy.version, copy.id, code, NULL);
}

/* How a profile meets a GetParameterValues of a partial path: true when
 * it answers otherwise than the data model would (*action says how). */
static bool partial_path_answer(struct swarm_device *device, const struct cwmp_get_parameter_values *get,
				struct cwmp_message *response, char **raw, size_t *raw_length,
				enum answer_action *action)
{
	bool partial = false;

	for (size_t n = 0; n < get->name_count; n++) {
		size_t length = strlen(get->names[n]);

		partial |= length == 0 || get->names[n][length - 1] == '.';
	}
	if (!partial || (device->profile != PROFILE_SLOPPY_FAULT && device->profile != PROFILE_PARTIAL_PATH))
		return false;
	if (device->profile == PROFILE_SLOPPY_FAULT) {
		*raw = swarm_sloppy_fault_envelope(device->variant, response->id, 9005, raw_length);
		*action = *raw ? ANSWER_RAW : ANSWER_DROP;
	} else if (device->variant == PARTIAL_PATH_DROP) {
		*action = ANSWER_DROP;
	} else if (device->variant == PARTIAL_PATH_RESTART) {
		*action = ANSWER_RESTART;
	} else {
		fault(response, 9005);
		*action = ANSWER_SEND;
	}
	return true;
}

static void get_values(struct swarm *swarm, struct swarm_device *device, const struct cwmp_get_parameter_values *get,
		       struct cwmp_message *response)
{
	static struct cwmp_parameter_value all[MAX_PARAMETERS];
	static char values[MAX_PARAMETERS][256], names[MAX_PARAMETERS][128];
	size_t total = swarm_device_parameters(swarm, device, false, all, values, names, MAX_PARAMETERS), count = 0;

	for (size_t n = 0; n < get->name_count; n++) {
		const char *wanted = get->names[n];
		size_t length = strlen(wanted);
		bool partial = length == 0 || wanted[length - 1] == '.', found = false;

		for (size_t i = 0; i < total && count < MAX_PARAMETERS; i++) {
			if (partial ? strncmp(all[i].name, wanted, length) == 0 : strcmp(all[i].name, wanted) == 0) {
				answer_values[count++] = all[i];
				found = true;
			}
		}
		if (!found) {
			fault(response, 9005);
			return;
		}
	}
	response->type = CWMP_GET_PARAMETER_VALUES_RESPONSE;
	response->body.get_parameter_values_response.parameters = answer_values;
	response->body.get_parameter_values_response.parameter_count = count;
}

static void get_names(struct swarm *swarm, struct swarm_device *device, const struct cwmp_get_parameter_names *get,
		      struct cwmp_message *response)
{
	static struct cwmp_parameter_value all[MAX_PARAMETERS];
	static char values[MAX_PARAMETERS][256], names[MAX_PARAMETERS][128];
	size_t total = swarm_device_parameters(swarm, device, false, all, values, names, MAX_PARAMETERS), count = 0;
	size_t path_length = strlen(get->parameter_path);

	for (size_t i = 0; i < total && count < MAX_PARAMETERS * 2; i++) {
		const char *rest;
		size_t child_length;
		bool duplicate = false;

		if (strncmp(all[i].name, get->parameter_path, path_length) != 0)
			continue;
		rest = all[i].name + path_length;
		child_length = get->next_level && strchr(rest, '.') ? (size_t)(strchr(rest, '.') - rest) + 1 : strlen(rest);
		snprintf(answer_names[count], sizeof(answer_names[count]), "%.*s%.*s", (int)path_length,
			 get->parameter_path, (int)child_length, rest);
		for (size_t j = 0; j < count; j++)
			duplicate |= strcmp(answer_names[j], answer_names[count]) == 0;
		if (duplicate)
			continue;
		answer_infos[count].name = answer_names[count];
		answer_infos[count].writable = strstr(answer_names[count], "X_CASCADE_MasterURL") ||
					       strstr(answer_names[count], "X_CASCADE_ImageSHA256") ||
					       strstr(answer_names[count], "X_CASCADE_ImageSignature") ||
					       strstr(answer_names[count], "X_CASCADE_ImagePiecesSHA256");
		count++;
	}
	if (count == 0) {
		fault(response, 9005);
		return;
	}
	response->type = CWMP_GET_PARAMETER_NAMES_RESPONSE;
	response->body.get_parameter_names_response.parameters = answer_infos;
	response->body.get_parameter_names_response.parameter_count = count;
}

static void set_values(struct swarm_device *device, const struct cwmp_set_parameter_values *set,
		       struct cwmp_message *response)
{
	size_t root_length = strlen(device->root), faults = 0;

	for (size_t i = 0; i < set->parameter_count && faults < MAX_PARAMETERS; i++) {
		const char *name = set->parameters[i].name;

		if (!device->cascade || strncmp(name, device->root, root_length) != 0 ||
		    (strcmp(name + root_length, "X_CASCADE_MasterURL") != 0 &&
		     strcmp(name + root_length, "X_CASCADE_ImageSHA256") != 0 &&
		     strcmp(name + root_length, "X_CASCADE_ImageSignature") != 0 &&
		     (strcmp(name + root_length, "X_CASCADE_ImagePiecesSHA256") != 0 || !device->file_server)))
			answer_faults[faults++] = (struct cwmp_set_parameter_values_fault){ name, 9005, NULL };
	}
	if (faults) {
		fault(response, 9003);
		response->body.fault.set_parameter_values_faults = answer_faults;
		response->body.fault.set_parameter_values_fault_count = faults;
		return;
	}
	for (size_t i = 0; i < set->parameter_count; i++) {
		const char *name = set->parameters[i].name + root_length;
		char **field = strcmp(name, "X_CASCADE_MasterURL") == 0	        ? &device->master_url
			       : strcmp(name, "X_CASCADE_ImageSignature") == 0    ? &device->image_signature
			       : strcmp(name, "X_CASCADE_ImagePiecesSHA256") == 0 ? &device->pieces_digest
										  : &device->image_sha256;

		free(*field);
		*field = strdup(set->parameters[i].value);
	}
	response->type = CWMP_SET_PARAMETER_VALUES_RESPONSE;
	response->body.set_parameter_values_response.status = 0;
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

static void accept_download(struct swarm_device *device, const struct cwmp_download *download,
			    struct cwmp_message *response)
{
	if (strcmp(download->file_type, CWMP_FILE_TYPE_FIRMWARE) != 0) {
		fault(response, 9003);
		return;
	}
	if (!download->url[0] &&
	    (!device->master_url || (device->profile == PROFILE_SPV_FAULT && device->variant == 0))) {
		fault(response, 9003);
		return;
	}
	device->download_by_master_url = !download->url[0];
	replace(&device->download_url, download->url[0] ? download->url : device->master_url);
	replace(&device->download_key, download->command_key);
	replace(&device->download_name, download->target_file_name[0] ? download->target_file_name : "image.bin");
	device->download_size = download->file_size;
	device->download_scheduled = true;
	response->type = CWMP_DOWNLOAD_RESPONSE;
	response->body.download_response = (struct cwmp_download_response){ 1, "0001-01-01T00:00:00Z",
									   "0001-01-01T00:00:00Z" };
}

enum answer_action swarm_device_answer(struct swarm *swarm, struct swarm_device *device,
				       const struct cwmp_message *request, struct cwmp_message *response, char **raw,
				       size_t *raw_length)
{
	enum answer_action action = ANSWER_SEND;

	memset(response, 0, sizeof(*response));
	response->version = request->version;
	response->id = request->id;
	switch (request->type) {
	case CWMP_GET_PARAMETER_VALUES:
		if (!partial_path_answer(device, &request->body.get_parameter_values, response, raw, raw_length, &action))
			get_values(swarm, device, &request->body.get_parameter_values, response);
		break;
	case CWMP_GET_PARAMETER_NAMES:
		get_names(swarm, device, &request->body.get_parameter_names, response);
		break;
	case CWMP_SET_PARAMETER_VALUES:
		if (device->profile == PROFILE_SLOPPY_FAULT) { /* it takes none of our parameters */
			*raw = swarm_sloppy_fault_envelope(device->variant, request->id, 9005, raw_length);
			action = *raw ? ANSWER_RAW : ANSWER_DROP;
			break;
		}
		set_values(device, &request->body.set_parameter_values, response);
		break;
	case CWMP_DOWNLOAD:
		accept_download(device, &request->body.download, response);
		break;
	case CWMP_REBOOT:
		response->type = CWMP_REBOOT_RESPONSE;
		break;
	case CWMP_GET_RPC_METHODS:
		response->type = CWMP_GET_RPC_METHODS_RESPONSE;
		response->body.get_rpc_methods_response.methods = answer_methods;
		response->body.get_rpc_methods_response.count = sizeof(answer_methods) / sizeof(answer_methods[0]);
		break;
	default:
		fault(response, 9000);
		break;
	}
	return action;
}
