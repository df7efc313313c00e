/* The attribute probe's state machine (see probe.h): which request comes
 * next, what an answer or a fault moves, and the back-off of a device whose
 * probe failed or was dropped. */
#include "acs/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define MAX_CASCADE_NAMES 32
#define MAX_RETRY_SECONDS (24 * 3600)

/* Leaves every TR-098 / TR-181 device has, then those it may lack. */
static const char *const mandatory_leaves[] = {
	"DeviceInfo.HardwareVersion",
	"DeviceInfo.SoftwareVersion",
	"ManagementServer.ConnectionRequestURL",
};
static const char *const optional_leaves[] = {
	"DeviceInfo.ProcessStatus.CPUUsage",
	"DeviceInfo.MemoryStatus.Free",
};

bool probe_awaiting(enum awaiting awaited)
{
	return awaited >= AWAIT_PROBE_VALUES && awaited <= AWAIT_PROBE_CASCADE;
}

bool probe_wanted(const struct acs_config *config, const struct device *device, const struct cwmp_inform *inform,
		  uint64_t now_seconds)
{
	return config->probe_style != ACS_PROBE_OFF && !device->attributes_probed &&
	       !parameters_have_attributes(inform->parameters, inform->parameter_count) &&
	       now_seconds >= device->probe_retry_at;
}

static void add_name(struct probe_scratch *scratch, size_t *count, const char *root, const char *suffix)
{
	snprintf(scratch->names[*count], sizeof(scratch->names[*count]), "%s%s", root, suffix);
	scratch->list[*count] = scratch->names[*count];
	(*count)++;
}

enum awaiting probe_request(const struct acs_config *config, struct session *session, struct cwmp_message *message,
			    struct probe_scratch *scratch)
{
	const char *root = session->device->root;
	size_t count = 0;

	switch (session->probe_next) {
	case AWAIT_PROBE_VALUES:
		if (config->probe_style == ACS_PROBE_PARTIAL && !session->probe_leaves) {
			add_name(scratch, &count, root, "DeviceInfo.");
			add_name(scratch, &count, root, "ManagementServer.ConnectionRequestURL");
			break;
		}
		for (size_t i = 0; i < sizeof(optional_leaves) / sizeof(optional_leaves[0]); i++)
			add_name(scratch, &count, root, optional_leaves[i]);
		__attribute__((fallthrough)); /* and the mandatory ones */
	case AWAIT_PROBE_REQUIRED:
		for (size_t i = 0; i < sizeof(mandatory_leaves) / sizeof(mandatory_leaves[0]); i++)
			add_name(scratch, &count, root, mandatory_leaves[i]);
		break;
	case AWAIT_PROBE_NAMES:
		snprintf(scratch->names[0], sizeof(scratch->names[0]), "%s", root);
		message->type = CWMP_GET_PARAMETER_NAMES;
		message->body.get_parameter_names.parameter_path = scratch->names[0];
		message->body.get_parameter_names.next_level = true;
		return AWAIT_PROBE_NAMES;
	case AWAIT_PROBE_CASCADE:
		message->type = CWMP_GET_PARAMETER_VALUES;
		message->body.get_parameter_values.names = (const char **)session->cascade_names;
		message->body.get_parameter_values.name_count = session->cascade_name_count;
		return AWAIT_PROBE_CASCADE;
	default:
		return AWAIT_NOTHING;
	}
	message->type = CWMP_GET_PARAMETER_VALUES;
	message->body.get_parameter_values.names = scratch->list;
	message->body.get_parameter_values.name_count = count;
	return session->probe_next;
}

static bool add_cascade_name(struct session *session, const char *name)
{
	char **bigger;

	if (session->cascade_name_count >= MAX_CASCADE_NAMES)
		return false;
	bigger = realloc(session->cascade_names, (session->cascade_name_count + 1) * sizeof(*bigger));
	if (!bigger)
		return false;
	session->cascade_names = bigger;
	session->cascade_names[session->cascade_name_count] = strdup(name);
	if (session->cascade_names[session->cascade_name_count])
		session->cascade_name_count++;
	return true;
}

/* The X_CASCADE_ names among the root's children. The leaf style asks for
 * leaves only: X_CASCADE_FileServer. becomes its Enable and URL. */
static void remember_cascade_names(const struct acs_config *config, struct session *session,
				   const struct cwmp_get_parameter_names_response *names)
{
	const char *root = session->device->root;
	size_t root_length = strlen(root);

	for (size_t i = 0; i < names->parameter_count; i++) {
		const char *name = names->parameters[i].name;
		size_t length = strlen(name);
		char leaf[192];

		if (strncmp(name, root, root_length) != 0 || strncmp(name + root_length, "X_CASCADE_", 10) != 0 ||
		    length >= 160)
			continue;
		if (config->probe_style == ACS_PROBE_PARTIAL || name[length - 1] != '.') {
			if (!add_cascade_name(session, name))
				return;
			continue;
		}
		if (strcmp(name + root_length, "X_CASCADE_FileServer.") != 0)
			continue;
		snprintf(leaf, sizeof(leaf), "%sEnable", name);
		if (!add_cascade_name(session, leaf))
			return;
		snprintf(leaf, sizeof(leaf), "%sURL", name);
		if (!add_cascade_name(session, leaf))
			return;
	}
}

static void probe_succeeded(struct controller *controller, struct session *session, struct store_batch *batch)
{
	struct device *device = session->device;

	session->probe_next = AWAIT_NOTHING;
	device->attributes_probed = true;
	device->probe_failures = 0;
	device->probe_retry_at = 0;
	device_regroup(controller, device, batch);
	store_batch_device(controller->store, batch, device);
}

static void probe_failed(struct controller *controller, struct device *device, const char *why)
{
	uint64_t delay = controller->config.probe_retry_ms / 1000;

	if (delay == 0)
		delay = 1;
	for (unsigned int i = 1; i < device->probe_failures + 1 && delay < MAX_RETRY_SECONDS; i++)
		delay *= 2;
	if (delay > MAX_RETRY_SECONDS)
		delay = MAX_RETRY_SECONDS;
	device->probe_failures++;
	device->probe_retry_at = realtime_seconds() + delay;
	log_info("attribute probe of %s failed (%s, %u in a row): not probed again for %llu s", device->key, why,
		 device->probe_failures, (unsigned long long)delay);
}

void probe_on_reply(struct controller *controller, struct session *session, enum awaiting awaited,
		    const struct cwmp_message *message, struct store_batch *batch)
{
	struct device *device = session->device;
	bool fault = message->type == CWMP_FAULT;

	if (session->probe_next != awaited)
		return; /* not the request in flight */
	switch (awaited) {
	case AWAIT_PROBE_VALUES:
	case AWAIT_PROBE_REQUIRED:
		if (fault && awaited == AWAIT_PROBE_VALUES && !session->probe_leaves) {
			session->probe_leaves = true; /* the partial path faulted: the leaves */
			return;
		}
		if (fault && awaited == AWAIT_PROBE_VALUES) {
			session->probe_next = AWAIT_PROBE_REQUIRED;
			return;
		}
		if (fault) {
			char why[48];

			snprintf(why, sizeof(why), "fault %u", message->body.fault.code);
			session->probe_next = AWAIT_NOTHING;
			probe_failed(controller, device, why);
			return;
		}
		if (message->type == CWMP_GET_PARAMETER_VALUES_RESPONSE) {
			device_apply_parameters(device, message->body.get_parameter_values_response.parameters,
						message->body.get_parameter_values_response.parameter_count);
			store_batch_device(controller->store, batch, device);
		}
		session->probe_next = AWAIT_PROBE_NAMES;
		return;
	case AWAIT_PROBE_NAMES:
		if (!fault && message->type == CWMP_GET_PARAMETER_NAMES_RESPONSE)
			remember_cascade_names(&controller->config, session, &message->body.get_parameter_names_response);
		if (session->cascade_name_count == 0) {
			probe_succeeded(controller, session, batch);
			return;
		}
		session->probe_next = AWAIT_PROBE_CASCADE;
		return;
	case AWAIT_PROBE_CASCADE:
		if (!fault && message->type == CWMP_GET_PARAMETER_VALUES_RESPONSE)
			device_apply_parameters(device, message->body.get_parameter_values_response.parameters,
						message->body.get_parameter_values_response.parameter_count);
		probe_succeeded(controller, session, batch);
		return;
	default:
		return;
	}
}

void probe_on_dropped(struct controller *controller, struct device *device, enum awaiting awaited)
{
	if (!probe_awaiting(awaited))
		return;
	probe_failed(controller, device, "session ended before the device answered");
}
