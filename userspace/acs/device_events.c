/* Rows of the devices' timelines (see device_events.h). */
#include "acs/device_events.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *const kind_names[DEVICE_EVENT_KIND_COUNT] = { "inform", "rpc", "transfer", "fault" };

const char *device_event_kind_name(int kind)
{
	return kind >= 0 && kind < DEVICE_EVENT_KIND_COUNT ? kind_names[kind] : "?";
}

static uint64_t realtime_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

void device_event(struct controller *controller, struct device *device, enum device_event_kind kind, uint32_t code,
		  struct store_batch *batch, const char *format, ...)
{
	struct device_event_row row;
	char detail[512];
	va_list arguments;

	if (!controller->config.device_events || !batch)
		return;
	va_start(arguments, format);
	vsnprintf(detail, sizeof(detail), format, arguments);
	va_end(arguments);
	row = (struct device_event_row){
		.device_id = device->id,
		.sequence = ++device->event_sequence,
		.at_ms = realtime_ms(),
		.kind = kind,
		.code = code,
		.detail = detail,
	};
	store_batch_event(batch, &row, controller->config.device_events);
}

void device_event_rpc(struct controller *controller, struct device *device, const struct cwmp_message *message,
		      struct store_batch *batch)
{
	const char *method = cwmp_message_type_name(message->type);

	switch (message->type) {
	case CWMP_DOWNLOAD: {
		const struct cwmp_download *download = &message->body.download;

		device_event(controller, device, DEVICE_EVENT_RPC, 0, batch, "%s %s (%s)", method,
			     download->url && download->url[0] ? download->url : "with an empty URL (X_CASCADE_MasterURL)",
			     download->command_key ? download->command_key : "");
		return;
	}
	case CWMP_SET_PARAMETER_VALUES: {
		const struct cwmp_set_parameter_values *set = &message->body.set_parameter_values;
		char names[400];
		size_t used = 0;

		names[0] = '\0';
		for (size_t i = 0; i < set->parameter_count && used < sizeof(names); i++) {
			int written = snprintf(names + used, sizeof(names) - used, "%s%s", i ? ", " : "",
					       set->parameters[i].name);

			if (written < 0)
				break;
			used += (size_t)written;
		}
		device_event(controller, device, DEVICE_EVENT_RPC, 0, batch, "%s %s", method, names);
		return;
	}
	case CWMP_GET_PARAMETER_VALUES:
	case CWMP_GET_PARAMETER_NAMES:
		device_event(controller, device, DEVICE_EVENT_RPC, 0, batch, "%s (attribute probe)", method);
		return;
	default:
		device_event(controller, device, DEVICE_EVENT_RPC, 0, batch, "%s", method);
	}
}
