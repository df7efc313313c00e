/* The Inform message: DeviceId, events, current time, retry count, and the
 * ParameterList of every parameter flagged for the Inform (see session.h). */
#include "cpe/session.h"

#include <errno.h>
#include <string.h>

#include "common/clock.h"

int inform_encode(struct session_context *context, const struct event_set *events, unsigned int retry_count,
		  const char *id, char **body, size_t *length)
{
	const struct cpe_config *config = context->config;
	struct cwmp_event exported[EVENT_MAX];
	struct parameter_list parameters;
	struct cwmp_message message = { 0 };
	char now[32];
	int result;

	result = parameter_store_collect(context->parameters, PARAMETER_INFORM, &parameters);
	if (result < 0)
		return result;
	cwmp_format_time(realtime_seconds(), now, sizeof(now));
	message.version = config->cwmp_version;
	message.type = CWMP_INFORM;
	message.id = id;
	message.body.inform.device_id = (struct cwmp_device_id){ config->manufacturer, config->oui,
								 config->product_class, config->serial };
	message.body.inform.events = exported;
	message.body.inform.event_count = event_set_export(events, exported);
	message.body.inform.max_envelopes = 1;
	message.body.inform.current_time = now;
	message.body.inform.retry_count = retry_count;
	message.body.inform.parameters = parameters.values;
	message.body.inform.parameter_count = parameters.count;
	result = cwmp_encode(&message, body, length);
	parameter_list_free(&parameters);
	return result;
}
