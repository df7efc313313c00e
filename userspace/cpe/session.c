/* The CWMP session loop (see session.h). */
#include "cpe/session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"
#include "cpe/cwmp_client.h"
#include "cpe/faults.h"
#include "cwmp/cwmp.h"

struct session {
	struct session_context *context;
	struct session_outcome *outcome;
	struct cwmp_client client;
	struct cwmp_http_reply reply;
	uint64_t deadline_ms;
	unsigned int exchanges;
	bool server_error;      /* the last reply was a 500: only a SOAP Fault is acceptable */
};

static int fail(struct session *session, int code, const char *format, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct session *session, int code, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	vsnprintf(session->outcome->error, sizeof(session->outcome->error), format, arguments);
	va_end(arguments);
	return code;
}

static void next_id(struct session *session, char *id, size_t size)
{
	snprintf(id, size, "cpe-%u", ++session->context->next_id);
}

/* POSTs body; 0 with session->reply filled for a 200 or 204, else fails. */
static int exchange(struct session *session, const char *body, size_t length)
{
	int result;

	if (++session->exchanges > SESSION_MAX_EXCHANGES)
		return fail(session, -E2BIG, "more than %d exchanges in one session", SESSION_MAX_EXCHANGES);
	if (monotonic_ms() > session->deadline_ms)
		return fail(session, -ETIMEDOUT, "session longer than %d s", SESSION_MAX_MS / 1000);
	if (session->context->stopping && session->context->stopping(session->context->stopping_context))
		return fail(session, -ECANCELED, "shutting down");
	result = cwmp_client_post(&session->client, body, length, &session->reply);
	if (result < 0)
		return fail(session, result, "cannot reach the ACS: %s", session->client.error);
	session->outcome->http_status = session->reply.status;
	session->server_error = session->reply.status == 500 && session->reply.length > 0;
	if (session->reply.status == 200 || session->reply.status == 204 || session->server_error)
		return 0; /* SOAP 1.1 carries a Fault with HTTP 500 */
	if (session->reply.status == 503) {
		session->outcome->retry_after_ms = session->reply.retry_after_ms;
		return fail(session, -EAGAIN, "ACS busy (503, Retry-After %llu s)",
			    (unsigned long long)session->reply.retry_after_ms / 1000);
	}
	if (session->reply.status == 401 || session->reply.status == 403)
		return fail(session, -EACCES, "ACS refused our credentials (HTTP %ld)", session->reply.status);
	return fail(session, -EPROTO, "ACS answered HTTP %ld", session->reply.status);
}

static bool reply_is_empty(const struct session *session)
{
	return session->reply.status == 204 || session->reply.length == 0;
}

static int inform(struct session *session, const struct event_set *events, unsigned int retry_count, bool *hold)
{
	struct cwmp_message *message = NULL;
	struct cwmp_error error;
	char id[32], *body = NULL;
	size_t length = 0;
	int result;

	next_id(session, id, sizeof(id));
	result = inform_encode(session->context, events, retry_count, id, &body, &length);
	if (result < 0)
		return fail(session, result, "cannot encode the Inform: %s", strerror(-result));
	result = exchange(session, body, length);
	free(body);
	if (result < 0)
		return result;
	if (reply_is_empty(session))
		return fail(session, -EPROTO, "ACS answered the Inform with an empty reply");
	if (cwmp_decode(session->reply.body, session->reply.length, NULL, &message, &error) < 0)
		return fail(session, -EPROTO, "ACS answered the Inform with bad SOAP: %s", error.message);
	if (message->type == CWMP_FAULT) {
		result = fail(session, -EPROTO, "ACS answered the Inform with fault %u (%s)", message->body.fault.code,
			      message->body.fault.string ? message->body.fault.string : "");
	} else if (message->type != CWMP_INFORM_RESPONSE) {
		result = fail(session, -EPROTO, "ACS answered the Inform with %s", cwmp_message_type_name(message->type));
	} else {
		*hold = message->hold_requests;
		session->outcome->informed = true;
	}
	cwmp_message_free(message);
	return result;
}

/* The reply to an ACS message the codec refused: a fault echoing its ID. */
static int fault_for_bad_request(struct session *session, const struct cwmp_error *error, char **body,
				 size_t *length)
{
	char id[128];
	unsigned int code = error->cpe_fault_code ? error->cpe_fault_code : FAULT_INVALID_ARGUMENTS;

	cwmp_id_peek(session->reply.body, session->reply.length, id, sizeof(id));
	log_warn_limited("bad request from the ACS, answering fault %u: %s", code, error->message);
	return rpc_encode_fault(session->context->config->cwmp_version, id[0] ? id : NULL, code, error->message, body,
				length);
}

static int encode_transfer_complete(struct session *session, const struct transfer_record *record, char **body,
				    size_t *length)
{
	struct cwmp_message message = { 0 };
	char id[32], start[32], complete[32];

	next_id(session, id, sizeof(id));
	cwmp_format_time(record->start_time, start, sizeof(start));
	cwmp_format_time(record->complete_time, complete, sizeof(complete));
	message.version = session->context->config->cwmp_version;
	message.type = CWMP_TRANSFER_COMPLETE;
	message.id = id;
	message.body.transfer_complete = (struct cwmp_transfer_complete){
		.command_key = record->command_key,
		.fault = { record->fault_code, record->fault_code ? record->fault_string : "" },
		.start_time = start,
		.complete_time = complete,
	};
	return cwmp_encode(&message, body, length);
}

/* Handles the reply to a TransferComplete; true when it was acknowledged. */
static bool transfer_acknowledged(struct session *session, const struct transfer_record *record,
				  const struct cwmp_message *message)
{
	if (message->type == CWMP_TRANSFER_COMPLETE_RESPONSE) {
		transfer_store_remove(session->context->transfers, record->command_key);
		session->outcome->transfers_delivered++;
		log_info("TransferComplete %s (fault %u) delivered", record->command_key, record->fault_code);
		return true;
	}
	if (message->type == CWMP_FAULT)
		log_warn_limited("ACS refused TransferComplete %s: fault %u (%s)", record->command_key,
				 message->body.fault.code, message->body.fault.string ? message->body.fault.string : "");
	else
		log_warn_limited("ACS answered TransferComplete %s with %s", record->command_key,
				 cwmp_message_type_name(message->type));
	return false;
}

int session_run(struct session_context *context, const struct event_set *events, unsigned int retry_count,
		struct session_outcome *outcome)
{
	struct session session = { .context = context, .outcome = outcome };
	struct transfer_record transfers[TRANSFER_STORE_MAX];
	const struct transfer_record *awaiting = NULL;
	size_t transfer_count, next_transfer = 0;
	bool hold = false, empty_sent = false;
	char *outgoing = NULL;
	size_t outgoing_length = 0;
	int result;

	memset(outcome, 0, sizeof(*outcome));
	session.deadline_ms = monotonic_ms() + SESSION_MAX_MS;
	result = cwmp_client_open(&session.client, context->config, context->stopping, context->stopping_context);
	if (result < 0)
		return fail(&session, result, "cannot set up libcurl");
	result = inform(&session, events, retry_count, &hold);
	if (result < 0)
		goto out;
	transfer_count = transfer_store_snapshot(context->transfers, transfers, TRANSFER_STORE_MAX);
	for (;;) {
		struct cwmp_message *message = NULL;
		struct cwmp_error error;

		if (!outgoing && !hold && !empty_sent && next_transfer < transfer_count) {
			awaiting = &transfers[next_transfer++];
			result = encode_transfer_complete(&session, awaiting, &outgoing, &outgoing_length);
			if (result < 0) {
				fail(&session, result, "cannot encode TransferComplete");
				goto out;
			}
		}
		if (!outgoing)
			empty_sent = true;
		result = exchange(&session, outgoing, outgoing ? outgoing_length : 0);
		free(outgoing);
		outgoing = NULL;
		if (result < 0)
			goto out;
		if (reply_is_empty(&session)) {
			if (awaiting)
				log_warn_limited("ACS ended the session without acknowledging TransferComplete %s",
						 awaiting->command_key);
			outcome->completed = true;
			break;
		}
		if (session.server_error &&
		    (cwmp_decode(session.reply.body, session.reply.length, NULL, &message, &error) < 0 ||
		     message->type != CWMP_FAULT)) {
			cwmp_message_free(message);
			result = fail(&session, -EPROTO, "ACS answered HTTP 500 without a SOAP Fault");
			goto out;
		}
		if (!message && cwmp_decode(session.reply.body, session.reply.length, NULL, &message, &error) < 0) {
			awaiting = NULL;
			next_transfer = transfer_count;
			result = fault_for_bad_request(&session, &error, &outgoing, &outgoing_length);
			if (result < 0) {
				fail(&session, result, "cannot encode a fault");
				goto out;
			}
			continue;
		}
		if (awaiting) {
			const struct transfer_record *record = awaiting;

			awaiting = NULL;
			if (!transfer_acknowledged(&session, record, message))
				next_transfer = transfer_count; /* the rest wait for a later session */
			if (cwmp_message_is_response(message->type)) {
				cwmp_message_free(message);
				continue;
			}
			/* An ACS request instead of our response: answer it. */
		}
		if (cwmp_message_is_response(message->type)) {
			log_warn_limited("ignoring an unexpected %s from the ACS",
					 cwmp_message_type_name(message->type));
			cwmp_message_free(message);
			continue;
		}
		hold = message->hold_requests;
		outcome->acs_requests++;
		log_debug("ACS request: %s", cwmp_message_type_name(message->type));
		result = rpc_handle(context->rpc, message, &outgoing, &outgoing_length);
		cwmp_message_free(message);
		if (result < 0) {
			fail(&session, result, "cannot encode a response");
			goto out;
		}
	}
	result = 0;
out:
	free(outgoing);
	outcome->transfers_left = (unsigned int)(transfer_store_snapshot(context->transfers, transfers,
									 TRANSFER_STORE_MAX));
	cwmp_client_close(&session.client);
	return result;
}
