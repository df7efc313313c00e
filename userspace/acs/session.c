/* The CWMP session engine (see session.h): session table, Inform and
 * TransferComplete handling, responses to the ACS's own requests, the
 * attribute probe for devices whose Inform lacks them (probe.c), and
 * faults. A session that ends with a request of ours unanswered (dropped
 * connection, agent restart) hands the request back to the probe or the
 * campaign; a reply that cannot be read ends the request as a fault. */
#include "acs/session.h"
#include "acs/campaign.h"
#include "acs/device_events.h"
#include "acs/faults.h"
#include "acs/probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"

static void session_free(struct session *session)
{
	for (size_t i = 0; i < session->cascade_name_count; i++)
		free(session->cascade_names[i]);
	free(session->cascade_names);
	free(session);
}

static void session_end(struct controller *controller, struct session *session)
{
	struct device *device = session->device;

	if (session->ended)
		return;
	session->ended = true;
	if (device->session == session)
		device->session = NULL;
	if (session->awaiting != AWAIT_NOTHING) { /* the device never answered our last request */
		probe_on_dropped(controller, device, session->awaiting);
		campaign_on_session_dropped(controller, device, session->awaiting, session->awaiting_dispatch);
		session->awaiting = AWAIT_NOTHING;
	}
	hashmap_remove(&controller->sessions, session->token);
	controller->open_sessions--;
	controller->metrics.sessions_ended++;
	if (session->references == 0)
		session_free(session);
}

void session_release(struct controller *controller, struct session *session)
{
	if (!session)
		return;
	pthread_mutex_lock(&controller->lock);
	if (session->references)
		session->references--;
	if (session->ended && session->references == 0)
		session_free(session);
	pthread_mutex_unlock(&controller->lock);
}

void sessions_expire(struct controller *controller)
{
	uint64_t now = monotonic_ms();
	struct session *expired[256], *session;
	size_t count = 0, cursor = 0;

	while (count < 256 && (session = hashmap_next(&controller->sessions, &cursor, NULL)) != NULL)
		if (now - session->last_used_ms > controller->config.session_timeout_ms)
			expired[count++] = session;
	for (size_t i = 0; i < count; i++)
		session_end(controller, expired[i]);
}

/* The cookie names a session unambiguously (a client may carry several
 * devices' sessions over one pooled connection), so it wins; the
 * connection's session serves clients that send no cookie. */
static struct session *session_lookup(struct controller *controller, struct session *connection_session,
				      const char *cookie)
{
	struct session *session = cookie && *cookie ? hashmap_get(&controller->sessions, cookie) : NULL;

	if (session)
		return session;
	if (connection_session && !connection_session->ended)
		return connection_session;
	return NULL;
}

bool session_known(struct controller *controller, struct session *connection_session, const char *cookie)
{
	bool known;

	pthread_mutex_lock(&controller->lock);
	known = session_lookup(controller, connection_session, cookie) != NULL;
	pthread_mutex_unlock(&controller->lock);
	return known;
}

/* Makes session the connection's session (one reference per connection). */
static void attach(struct controller *controller, struct session **slot, struct session *session)
{
	struct session *old = *slot;

	if (old == session)
		return;
	if (old) {
		if (old->references)
			old->references--;
		if (old->ended && old->references == 0)
			session_free(old);
		else if (!old->ended && old->device == session->device)
			session_end(controller, old); /* a new Inform replaces the device's old session */
	}
	*slot = session;
	session->references++;
}

static struct session *session_new(struct controller *controller, struct device *device, enum cwmp_version version)
{
	struct session *session = calloc(1, sizeof(*session));
	unsigned char random_bytes[16];

	if (!session)
		return NULL;
	if (getrandom(random_bytes, sizeof(random_bytes), 0) != sizeof(random_bytes)) {
		free(session);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(random_bytes); i++)
		snprintf(session->token + 2 * i, 3, "%02x", random_bytes[i]);
	session->device = device;
	session->version = version;
	session->last_used_ms = monotonic_ms();
	if (hashmap_put(&controller->sessions, session->token, session) < 0) {
		free(session);
		return NULL;
	}
	device->session = session;
	controller->open_sessions++;
	controller->metrics.sessions++;
	return session;
}

static void reply_message(struct cwmp_reply *reply, const struct cwmp_message *message, int http_status)
{
	if (cwmp_encode(message, &reply->body, &reply->length) < 0) {
		reply->http_status = 500;
		return;
	}
	reply->http_status = http_status;
}

/* A CWMP fault answering the device's request (HTTP 500 per SOAP 1.1). */
static void reply_fault(struct controller *controller, struct cwmp_reply *reply, enum cwmp_version version,
			const char *id, unsigned int code, const char *string)
{
	struct cwmp_message fault;

	cwmp_fault_message(&fault, version, id, code, string);
	controller->metrics.faults_sent++;
	reply_message(reply, &fault, 500);
}

static enum cwmp_version guess_version(const char *body, size_t length)
{
	if (memmem(body, length, "urn:dslforum-org:cwmp-1-2", 25))
		return CWMP_VERSION_1_2;
	if (memmem(body, length, "urn:dslforum-org:cwmp-1-1", 25))
		return CWMP_VERSION_1_1;
	return CWMP_VERSION_1_0;
}

static void events_text(const struct cwmp_inform *inform, char *text, size_t size)
{
	size_t used = 0;

	text[0] = '\0';
	for (size_t i = 0; i < inform->event_count && used < size; i++) {
		int written = snprintf(text + used, size - used, "%s%s", i ? "," : "", inform->events[i].code);

		if (written < 0)
			break;
		used += (size_t)written;
	}
}

static int handle_inform(struct controller *controller, const struct cwmp_exchange *exchange,
			 const struct cwmp_message *message, struct cwmp_reply *reply, struct store_batch *batch)
{
	const struct cwmp_inform *inform = &message->body.inform;
	struct cwmp_message response = { 0 };
	struct device *device;
	struct session *session;
	const char *bound_device_key = exchange->bound_device_key;
	const struct device *bound_device = NULL;
	char key[DEVICE_KEY_SIZE], events[256];

	if (strlen(inform->device_id.oui) > 64 || strlen(inform->device_id.product_class) > 64 ||
	    strlen(inform->device_id.serial_number) > 64 || strlen(inform->device_id.manufacturer) > 64) {
		reply_fault(controller, reply, message->version, message->id, 8003,
			    "DeviceId fields are limited to 64 characters");
		return 0;
	}
	device_key(&inform->device_id, key, sizeof(key));
	if (exchange->session_authenticated) {
		/* no credentials came with this request: the session it belongs
		 * to vouches for it, within that session's binding */
		struct session *known = session_lookup(controller, *exchange->connection_session, exchange->cookie);

		if (!known) { /* the session ended since the request began: let the device retry */
			reply->http_status = 503;
			reply->retry_after = controller->config.retry_after_seconds;
			return 0;
		}
		bound_device = known->bound_device;
		bound_device_key = bound_device ? bound_device->key : NULL;
	}
	if (bound_device_key && strcmp(bound_device_key, key) != 0) {
		log_warn_limited("Inform from %s with credentials of %s refused", key, bound_device_key);
		controller->metrics.auth_failures++;
		reply->http_status = 403;
		return 0;
	}
	if (controller->open_sessions >= controller->config.max_sessions ||
	    store_pending(controller->store) >= controller->config.max_pending_writes) {
		controller->metrics.overload_rejections++;
		reply->http_status = 503;
		reply->retry_after = controller->config.retry_after_seconds;
		return 0;
	}
	device = device_find(controller, key);
	if (!device)
		device = device_create(controller, 0, &inform->device_id);
	if (!device)
		return -ENOMEM;
	set_text(&device->manufacturer, inform->device_id.manufacturer);
	device_apply_parameters(device, inform->parameters, inform->parameter_count);
	if (cwmp_inform_has_event(inform, "0 BOOTSTRAP"))
		device->attributes_probed = false;
	device->last_inform = realtime_seconds();
	device->inform_count++;
	set_text(&device->last_address, exchange->address);
	events_text(inform, events, sizeof(events));
	set_text(&device->last_events, events);
	device_regroup(controller, device, batch);
	if (device->session) /* it starts over: the old session was dropped */
		session_end(controller, device->session);
	session = session_new(controller, device, message->version);
	if (!session)
		return -ENOMEM;
	session->bound_device = bound_device_key ? device : NULL;
	if (probe_wanted(&controller->config, device, inform, realtime_seconds())) {
		session->probe_next = AWAIT_PROBE_VALUES;
		session->probe_leaves = controller->config.probe_style == ACS_PROBE_LEAF;
	}
	attach(controller, exchange->connection_session, session);
	campaign_on_inform(controller, device, batch);
	store_batch_device(controller->store, batch, device);
	device_event(controller, device, DEVICE_EVENT_INFORM, 0, batch, "Inform %s from %s", events, exchange->address);
	controller->metrics.informs++;

	response.version = message->version;
	response.type = CWMP_INFORM_RESPONSE;
	response.id = message->id;
	response.body.inform_response.max_envelopes = 1;
	response.hold_requests = controller->config.hold_requests &&
				 (session->probe_next != AWAIT_NOTHING || (member_active(device->member) &&
							    device->member->state == MEMBER_QUEUED));
	snprintf(reply->cookie, sizeof(reply->cookie), "%s", session->token);
	reply_message(reply, &response, 200);
	return 0;
}

static void handle_transfer_complete(struct controller *controller, struct session *session,
				     const struct cwmp_message *message, struct cwmp_reply *reply,
				     struct store_batch *batch)
{
	const struct cwmp_transfer_complete *transfer = &message->body.transfer_complete;
	struct device *device = session->device;
	struct cwmp_message response = { 0 };

	controller->metrics.transfer_completes++;
	store_batch_transfer(batch, device->id, transfer);
	device_event(controller, device, DEVICE_EVENT_TRANSFER, transfer->fault.code, batch,
		     "TransferComplete %s: fault %u", transfer->command_key, transfer->fault.code);
	if (transfer->fault.code)
		fault_record(controller, device, fault_campaign(device, "TransferComplete", transfer->command_key),
			     transfer->fault.code, transfer->fault.string, "TransferComplete", batch);
	log_info("TransferComplete from %s: key %s, fault %u", device->key, transfer->command_key, transfer->fault.code);
	campaign_on_transfer_complete(controller, device, transfer, batch);
	store_batch_device(controller->store, batch, device);
	response.version = session->version;
	response.type = CWMP_TRANSFER_COMPLETE_RESPONSE;
	response.id = message->id;
	reply_message(reply, &response, 200);
}

static void handle_get_rpc_methods(struct session *session, const struct cwmp_message *message,
				   struct cwmp_reply *reply)
{
	static const char *methods[] = { "Inform", "TransferComplete", "GetRPCMethods" };
	struct cwmp_message response = { 0 };

	response.version = session ? session->version : message->version;
	response.type = CWMP_GET_RPC_METHODS_RESPONSE;
	response.id = message->id;
	response.body.get_rpc_methods_response.methods = methods;
	response.body.get_rpc_methods_response.count = 3;
	reply_message(reply, &response, 200);
}

static const char *awaited_name(enum awaiting awaited)
{
	switch (awaited) {
	case AWAIT_DOWNLOAD:
		return "Download";
	case AWAIT_SET_PARAMETERS:
		return "SetParameterValues";
	case AWAIT_PROBE_NAMES:
		return "GetParameterNames";
	default:
		return "GetParameterValues";
	}
}

/* The response type that answers awaited. */
static enum cwmp_message_type expected_response(enum awaiting awaited)
{
	switch (awaited) {
	case AWAIT_DOWNLOAD:
		return CWMP_DOWNLOAD_RESPONSE;
	case AWAIT_SET_PARAMETERS:
		return CWMP_SET_PARAMETER_VALUES_RESPONSE;
	case AWAIT_PROBE_NAMES:
		return CWMP_GET_PARAMETER_NAMES_RESPONSE;
	default:
		return CWMP_GET_PARAMETER_VALUES_RESPONSE;
	}
}

/* Interprets a response or fault to the request we sent last. */
static void handle_response(struct controller *controller, struct session *session,
			    const struct cwmp_message *message, struct store_batch *batch)
{
	struct device *device = session->device;
	enum awaiting awaited = session->awaiting;
	/* a failover may have re-dispatched the member since we sent the RPC:
	 * the answer then belongs to the replaced dispatch and moves nothing */
	bool current = device->member && device->member->dispatch == session->awaiting_dispatch;

	session->awaiting = AWAIT_NOTHING;
	if (message->type == CWMP_FAULT) {
		const struct cwmp_fault *fault = &message->body.fault;

		controller->metrics.faults_received++;
		fault_record(controller, device, fault_campaign(device, awaited_name(awaited), NULL), fault->code,
			     fault->string, awaited_name(awaited), batch);
		log_info("fault %u (%s) from %s", fault->code, fault->string, device->key);
		if (awaited == AWAIT_DOWNLOAD && current)
			campaign_on_download_fault(controller, device, fault->code, batch);
		else if (awaited == AWAIT_SET_PARAMETERS && current)
			campaign_on_set_parameters_done(controller, device, true, batch);
		else if (probe_awaiting(awaited))
			probe_on_reply(controller, session, awaited, message, batch);
		store_batch_device(controller->store, batch, device);
		return;
	}
	if (probe_awaiting(awaited)) {
		probe_on_reply(controller, session, awaited, message, batch);
		return;
	}
	switch (message->type) {
	case CWMP_SET_PARAMETER_VALUES_RESPONSE:
		if (awaited == AWAIT_SET_PARAMETERS && current)
			campaign_on_set_parameters_done(controller, device, false, batch);
		break;
	case CWMP_DOWNLOAD_RESPONSE:
		if (awaited == AWAIT_DOWNLOAD && current)
			campaign_on_download_response(controller, device, message->body.download_response.status, batch);
		break;
	default:
		break;
	}
}

/* A reply the ACS cannot use (not CWMP it can read, or the answer to
 * another request) ends the awaited request as a fault with code, logged
 * once per device: the session goes on, it never loops on HTTP 500. */
static void handle_unusable_reply(struct controller *controller, struct session *session, unsigned int code,
				  const char *why, struct store_batch *batch)
{
	struct device *device = session->device;
	struct cwmp_message fault = { 0 };
	char text[256];

	snprintf(text, sizeof(text), "unusable reply to %s: %s", awaited_name(session->awaiting), why);
	if (!device->reply_warned)
		log_warn("%s sent an %s; it counts as fault %u (logged once per device)", device->key, text, code);
	else
		log_debug("%s sent an %s", device->key, text);
	device->reply_warned = true;
	fault.version = session->version;
	fault.type = CWMP_FAULT;
	fault.body.fault.code = code;
	fault.body.fault.string = text;
	handle_response(controller, session, &fault, batch);
}

struct request_scratch {
	struct rpc_scratch rpc;
	struct probe_scratch probe;
	char id[32];
};

/* Sends the next request of ours, or ends the session with an empty 204. */
static void next_request(struct controller *controller, struct session *session, struct cwmp_reply *reply,
			 struct store_batch *batch)
{
	struct request_scratch scratch;
	struct cwmp_message message = { 0 };
	enum awaiting awaiting = AWAIT_NOTHING;

	message.version = session->version;
	snprintf(scratch.id, sizeof(scratch.id), "acs-%u", ++session->next_id);
	message.id = scratch.id;
	if (session->probe_next != AWAIT_NOTHING)
		awaiting = probe_request(&controller->config, session, &message, &scratch.probe);
	if (awaiting == AWAIT_NOTHING)
		awaiting = campaign_next_rpc(controller, session->device, &message, &scratch.rpc);
	if (awaiting == AWAIT_NOTHING) {
		reply->http_status = 204;
		session_end(controller, session);
		return;
	}
	session->awaiting = awaiting;
	session->awaiting_dispatch = session->device->member ? session->device->member->dispatch : 0;
	controller->metrics.rpcs_sent++;
	device_event_rpc(controller, session->device, &message, batch);
	reply_message(reply, &message, 200);
}

static int handle_locked(struct controller *controller, const struct cwmp_exchange *exchange,
			 const struct cwmp_message *message, struct cwmp_reply *reply, struct store_batch *batch)
{
	struct session *session = NULL;

	if (message && message->type == CWMP_INFORM)
		return handle_inform(controller, exchange, message, reply, batch);
	session = session_lookup(controller, *exchange->connection_session, exchange->cookie);
	if (!session) {
		if (!message) { /* an empty POST outside a session: nothing to do */
			reply->http_status = 204;
			return 0;
		}
		if (message->type == CWMP_GET_RPC_METHODS) {
			handle_get_rpc_methods(NULL, message, reply);
			return 0;
		}
		reply_fault(controller, reply, message->version, message->id, 8003,
			    "no session: a session starts with an Inform");
		return 0;
	}
	session->last_used_ms = monotonic_ms();
	attach(controller, exchange->connection_session, session);
	if (!message) {
		next_request(controller, session, reply, batch);
		return 0;
	}
	switch (message->type) {
	case CWMP_TRANSFER_COMPLETE:
		handle_transfer_complete(controller, session, message, reply, batch);
		return 0;
	case CWMP_GET_RPC_METHODS:
		handle_get_rpc_methods(session, message, reply);
		return 0;
	default:
		break;
	}
	if (!cwmp_message_is_response(message->type)) {
		reply_fault(controller, reply, session->version, message->id, 8000, NULL);
		return 0;
	}
	if (message->type != CWMP_FAULT && session->awaiting != AWAIT_NOTHING &&
	    message->type != expected_response(session->awaiting)) {
		char why[96];

		snprintf(why, sizeof(why), "a %s", cwmp_message_type_name(message->type));
		handle_unusable_reply(controller, session, 9002, why, batch);
	} else {
		handle_response(controller, session, message, batch);
	}
	next_request(controller, session, reply, batch);
	return 0;
}

/* A body that does not decode: inside a session awaiting our request's
 * answer it ends that request as a fault; otherwise the device gets a
 * CWMP fault (HTTP 500). */
static void handle_undecodable(struct controller *controller, const struct cwmp_exchange *exchange,
			       const struct cwmp_error *error, struct cwmp_reply *reply, struct store_batch *batch)
{
	struct session *session = session_lookup(controller, *exchange->connection_session, exchange->cookie);

	if (!session || session->awaiting == AWAIT_NOTHING) {
		log_info_limited("bad CWMP request from %s: %s", exchange->address, error->message);
		reply_fault(controller, reply, guess_version(exchange->body, exchange->length), NULL,
			    error->acs_fault_code ? error->acs_fault_code : 8002, error->message);
		return;
	}
	session->last_used_ms = monotonic_ms();
	attach(controller, exchange->connection_session, session);
	handle_unusable_reply(controller, session, error->cpe_fault_code ? error->cpe_fault_code : 9002, error->message,
			      batch);
	next_request(controller, session, reply, batch);
}

int session_handle(struct controller *controller, const struct cwmp_exchange *exchange, struct cwmp_reply *reply,
		   struct store_batch **batch_out)
{
	struct cwmp_limits limits;
	struct cwmp_message *message = NULL;
	struct cwmp_error error;
	struct store_batch *batch;
	int result = 0, decoded = 0;

	memset(reply, 0, sizeof(*reply));
	*batch_out = NULL;
	if (exchange->length > 0) {
		cwmp_limits_default(&limits);
		limits.max_document_bytes = controller->config.max_request_bytes;
		decoded = cwmp_decode(exchange->body, exchange->length, &limits, &message, &error);
	}
	batch = store_batch_new();
	if (!batch) {
		cwmp_message_free(message);
		return -ENOMEM;
	}
	pthread_mutex_lock(&controller->lock);
	controller->metrics.http_requests++;
	if (decoded < 0)
		handle_undecodable(controller, exchange, &error, reply, batch);
	else
		result = handle_locked(controller, exchange, message, reply, batch);
	pthread_mutex_unlock(&controller->lock);
	cwmp_message_free(message);
	if (result < 0 || store_batch_empty(batch)) {
		store_batch_free(batch);
		return result;
	}
	*batch_out = batch;
	return 0;
}
