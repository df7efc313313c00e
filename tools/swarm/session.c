/* A simulated device's CWMP sessions: Inform with its events and
 * parameters, TransferComplete when a download finished, answers to the
 * ACS's requests, empty POST until the ACS's 204 (at most
 * MAX_EXCHANGES of them); a failed session is retried with exponential
 * back-off and jitter (at least a 503's Retry-After), so a fleet rides
 * through an ACS restart without hammering it; periodic Informs; session
 * latency for the statistics. Profiles (profiles.c) change the cookie,
 * the namespace, the authentication (Basic only, or a Digest client that
 * re-sends its last nonce) and may drop a session without answering. */
#include "transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"

#define RESPONSE_LIMIT (1u << 20)
#define MAX_EXCHANGES 1000

static struct transfer *in_flight;

void swarm_transfer_track(struct transfer *transfer, CURL *easy)
{
	transfer->easy = easy;
	transfer->previous = NULL;
	transfer->next = in_flight;
	if (in_flight)
		in_flight->previous = transfer;
	in_flight = transfer;
}

void swarm_transfer_free(struct transfer *transfer, CURL *easy)
{
	if (easy)
		curl_easy_cleanup(easy);
	if (!transfer)
		return;
	if (transfer->easy) {
		if (transfer->previous)
			transfer->previous->next = transfer->next;
		else
			in_flight = transfer->next;
		if (transfer->next)
			transfer->next->previous = transfer->previous;
	}
	curl_slist_free_all(transfer->headers);
	free(transfer->request);
	byte_buffer_free(&transfer->response);
	free(transfer);
}

static size_t collect_body(char *data, size_t size, size_t count, void *user)
{
	struct transfer *transfer = user;

	return byte_buffer_append(&transfer->response, data, size * count, RESPONSE_LIMIT) == 0 ? size * count : 0;
}

static size_t collect_header(char *data, size_t size, size_t count, void *user)
{
	struct transfer *transfer = user;
	size_t bytes = size * count;
	char line[640];

	if (bytes >= sizeof(line))
		return bytes;
	memcpy(line, data, bytes);
	line[bytes] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "WWW-Authenticate:", 17) == 0) {
		const char *value = line + 17 + strspn(line + 17, " ");
		struct digest_challenge_fields challenge;

		if (!transfer->challenge[0] && digest_parse_challenge(value, &challenge) == 0)
			snprintf(transfer->challenge, sizeof(transfer->challenge), "%s", value);
	} else if (strncasecmp(line, "Set-Cookie:", 11) == 0) {
		char *start = strstr(line, "cascade_session=");

		snprintf(transfer->set_cookie, sizeof(transfer->set_cookie), "%s", line + 11 + strspn(line + 11, " "));
		if (start) {
			start += 16;
			start[strcspn(start, ";\r\n ")] = '\0';
			snprintf(transfer->cookie, sizeof(transfer->cookie), "%s", start);
		}
	} else if (strncasecmp(line, "Retry-After:", 12) == 0) {
		transfer->retry_after = (unsigned int)strtoul(line + 12, NULL, 10);
	}
	return bytes;
}

/* The path of the ACS URL (Digest's uri). */
static void acs_path(const struct swarm *swarm, char *path, size_t size)
{
	const char *start = strstr(swarm->options.acs_url, "://");
	const char *slash = start ? strchr(start + 3, '/') : NULL;

	snprintf(path, size, "%s", slash ? slash : "/");
}

/* A nonce-reuse device's own Digest Authorization: the last challenge's
 * nonce with nc=00000001, whatever it sent with it before. */
static struct curl_slist *add_digest(struct swarm *swarm, struct swarm_device *device, struct curl_slist *headers)
{
	char username[160], path[256], cnonce[24], authorization[1400], header[1500];

	snprintf(username, sizeof(username), swarm->options.username, device->serial);
	acs_path(swarm, path, sizeof(path));
	snprintf(cnonce, sizeof(cnonce), "%08x%08x", (unsigned int)rand_r(&swarm->random_state),
		 (unsigned int)rand_r(&swarm->random_state));
	if (digest_authorization(device->challenge, username, swarm->options.password ? swarm->options.password : "",
				 "POST", path, 1, cnonce, authorization, sizeof(authorization)) < 0)
		return headers;
	snprintf(header, sizeof(header), "Authorization: %s", authorization);
	return curl_slist_append(headers, header);
}

/* Credentials towards the ACS, as the device's profile speaks them. */
static void set_authentication(struct swarm *swarm, struct swarm_device *device, CURL *easy,
			       struct transfer *transfer)
{
	char username[160];

	if (!swarm->options.username)
		return;
	if (device->profile == PROFILE_NONCE_REUSE) {
		if (device->challenge && (device->exchanges == 0 || transfer->auth_tries))
			transfer->headers = add_digest(swarm, device, transfer->headers);
		return;
	}
	snprintf(username, sizeof(username), swarm->options.username, device->serial);
	curl_easy_setopt(easy, CURLOPT_HTTPAUTH,
			 (long)(device->profile == PROFILE_LEGACY && device->variant == LEGACY_BASIC_ONLY ? CURLAUTH_BASIC
													   : CURLAUTH_ANY));
	curl_easy_setopt(easy, CURLOPT_USERNAME, username);
	curl_easy_setopt(easy, CURLOPT_PASSWORD, swarm->options.password ? swarm->options.password : "");
}

/* POSTs body (NULL: an empty POST) to the ACS for the device; auth_tries
 * counts the 401s this body was sent again for. */
static int post_again(struct swarm *swarm, struct swarm_device *device, char *body, size_t length,
		      unsigned int auth_tries)
{
	struct transfer *transfer = calloc(1, sizeof(*transfer));
	CURL *easy = curl_easy_init();
	char header[256];

	if (!transfer || !easy) {
		free(body);
		swarm_transfer_free(transfer, easy);
		return -ENOMEM;
	}
	transfer->kind = TRANSFER_CWMP;
	transfer->device = device;
	transfer->swarm = swarm;
	transfer->auth_tries = auth_tries;
	transfer->request = body;
	transfer->request_length = body ? length : 0;
	transfer->headers = curl_slist_append(NULL, "Expect:");
	if (body) {
		transfer->headers = curl_slist_append(transfer->headers, "Content-Type: text/xml; charset=\"utf-8\"");
		transfer->headers = curl_slist_append(transfer->headers, "SOAPAction:");
	}
	if (device->cookie[0] && swarm_profile_sends_cookie(swarm, device)) {
		/* set_cookie: "cascade_session=T; Path=/; HttpOnly" */
		if (swarm_profile_echoes_cookie(device) && device->set_cookie[0])
			snprintf(header, sizeof(header), "Cookie: %s", device->set_cookie);
		else
			snprintf(header, sizeof(header), "Cookie: cascade_session=%s", device->cookie);
		transfer->headers = curl_slist_append(transfer->headers, header);
	}
	set_authentication(swarm, device, easy, transfer);
	curl_easy_setopt(easy, CURLOPT_URL, swarm->options.acs_url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, transfer->request ? transfer->request : "");
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)transfer->request_length);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, collect_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
	if (device->interface[0])
		curl_easy_setopt(easy, CURLOPT_INTERFACE, device->interface);
	/* a device that drops sessions on a partial path keeps no connection
	 * open: its "drop" really closes the socket the ACS waits on */
	if (device->profile == PROFILE_PARTIAL_PATH && device->variant != PARTIAL_PATH_FAULT)
		curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
	transfer->multi = swarm_profile_sends_cookie(swarm, device) ? swarm->multi : swarm->kept_multi;
	if (curl_multi_add_handle(transfer->multi, easy) != CURLM_OK) {
		swarm_transfer_free(transfer, easy);
		return -EIO;
	}
	swarm_transfer_track(transfer, easy);
	return 0;
}

static int post(struct swarm *swarm, struct swarm_device *device, char *body, size_t length)
{
	return post_again(swarm, device, body, length, 0);
}

void swarm_transfers_free_all(struct swarm *swarm)
{
	for (unsigned int guard = 0; in_flight && guard < 10000000; guard++) {
		struct transfer *transfer = in_flight;
		CURL *easy = transfer->easy;

		curl_multi_remove_handle(transfer->multi ? transfer->multi : swarm->multi, easy);
		swarm_transfer_free(transfer, easy);
	}
}

static int post_message(struct swarm *swarm, struct swarm_device *device, const struct cwmp_message *message)
{
	char *body;
	size_t length;
	int result = cwmp_encode(message, &body, &length);

	if (result < 0) {
		log_error("device %u: cannot encode %s: %d", device->index, cwmp_message_type_name(message->type), result);
		return result;
	}
	return post(swarm, device, body, length);
}

static void format_now(char *text, size_t size)
{
	cwmp_format_time((uint64_t)time(NULL), text, size);
}

static int send_inform(struct swarm *swarm, struct swarm_device *device)
{
	struct cwmp_parameter_value parameters[24];
	static char values[24][256], names[24][128];
	struct cwmp_event events[4];
	struct cwmp_message message = { 0 };
	char id[24], current_time[32];
	size_t event_count = 0;

	if (!device->bootstrapped) {
		events[event_count++] = (struct cwmp_event){ "0 BOOTSTRAP", "" };
		events[event_count++] = (struct cwmp_event){ "1 BOOT", "" };
	} else if (device->restarted) {
		events[event_count++] = (struct cwmp_event){ "1 BOOT", "" };
	} else if (device->connection_requested) {
		events[event_count++] = (struct cwmp_event){ "6 CONNECTION REQUEST", "" };
	} else {
		events[event_count++] = (struct cwmp_event){ "2 PERIODIC", "" };
	}
	if (device->transfer_pending) {
		events[event_count++] = (struct cwmp_event){ "7 TRANSFER COMPLETE", "" };
		events[event_count++] = (struct cwmp_event){ "M Download", device->transfer_command_key };
	}
	device->connection_requested = false;
	device->restarted = false;
	snprintf(id, sizeof(id), "cpe-%u", ++device->next_id);
	format_now(current_time, sizeof(current_time));
	message.version = swarm_profile_version(device);
	message.type = CWMP_INFORM;
	message.id = id;
	message.body.inform = (struct cwmp_inform){
		.device_id = { swarm->options.manufacturer, swarm->options.oui, swarm->options.product_class, device->serial },
		.events = events,
		.event_count = event_count,
		.max_envelopes = 1,
		.current_time = current_time,
		.retry_count = 0,
		.parameters = parameters,
		.parameter_count = swarm_device_parameters(swarm, device, true, parameters, values, names, 24),
	};
	return post_message(swarm, device, &message);
}

static int send_transfer_complete(struct swarm *swarm, struct swarm_device *device)
{
	struct cwmp_message message = { 0 };
	char id[24];

	snprintf(id, sizeof(id), "cpe-%u", ++device->next_id);
	message.version = swarm_profile_version(device);
	message.type = CWMP_TRANSFER_COMPLETE;
	message.id = id;
	message.body.transfer_complete = (struct cwmp_transfer_complete){
		.command_key = device->transfer_command_key,
		.fault = { device->transfer_fault, device->transfer_fault ? cwmp_fault_string(device->transfer_fault) : "" },
		.start_time = device->transfer_start,
		.complete_time = device->transfer_complete,
	};
	return post_message(swarm, device, &message);
}

void swarm_device_want_session(struct swarm *swarm, struct swarm_device *device)
{
	if (device->phase == PHASE_SESSION) {
		device->session_wanted = true;
		return;
	}
	if (device->phase == PHASE_WAITING)
		return;
	swarm_unschedule(swarm, device);
	device->phase = PHASE_WAITING;
	swarm->waiting[(swarm->waiting_head + swarm->waiting_count++) % swarm->options.devices] = device;
}

void swarm_device_timer_fired(struct swarm *swarm, struct swarm_device *device)
{
	swarm_device_want_session(swarm, device);
}

static void start_session(struct swarm *swarm, struct swarm_device *device)
{
	device->phase = PHASE_SESSION;
	device->session_wanted = false;
	device->hold_requests = false;
	device->cookie[0] = '\0';
	device->exchanges = 0;
	device->session_started_ns = monotonic_ns();
	swarm->sessions_running++;
	if (send_inform(swarm, device) < 0) {
		device->phase = PHASE_IDLE;
		swarm->sessions_running--;
		swarm_schedule(swarm, device, monotonic_ms() + 1000);
	}
}

void swarm_start_waiting_sessions(struct swarm *swarm)
{
	while (swarm->waiting_count && swarm->sessions_running < swarm->options.concurrency && !swarm->stopping) {
		struct swarm_device *device = swarm->waiting[swarm->waiting_head];

		swarm->waiting_head = (swarm->waiting_head + 1) % swarm->options.devices;
		swarm->waiting_count--;
		start_session(swarm, device);
	}
}

/* Wait before retrying a failed session: 1, 2, 4 ... s (the n-th failure
 * in a row), capped at --retry-max, a random point in the upper half of
 * that, and never less than the ACS's Retry-After. */
static uint64_t retry_delay_ms(struct swarm *swarm, struct swarm_device *device, unsigned int retry_after_seconds)
{
	unsigned int exponent = device->session_failures > 1 ? device->session_failures - 1 : 0;
	uint64_t cap = (uint64_t)swarm->options.retry_max_seconds * 1000, base, delay;

	base = 1000ull << (exponent < 20 ? exponent : 20);
	if (base > cap)
		base = cap;
	delay = base / 2 + (uint64_t)rand_r(&swarm->random_state) % (base / 2 + 1);
	if (retry_after_seconds && delay < retry_after_seconds * 1000ull)
		delay = retry_after_seconds * 1000ull + (uint64_t)rand_r(&swarm->random_state) % 1000;
	return delay;
}

/* Ends the session; ok says whether it ran to the ACS's 204. */
static void end_session(struct swarm *swarm, struct swarm_device *device, bool ok, unsigned int retry_seconds)
{
	uint64_t now = monotonic_ms();

	device->phase = PHASE_IDLE;
	swarm->sessions_running--;
	if (ok) {
		device->session_failures = 0;
		swarm->stats.sessions++;
		swarm_stats_record_latency(&swarm->stats, (monotonic_ns() - device->session_started_ns) / 1000);
		if (!device->bootstrapped) {
			device->bootstrapped = true;
			swarm->bootstrapped++;
		}
	} else {
		device->session_failures++;
		swarm->stats.failed_sessions++;
	}
	if (device->download_scheduled && ok)
		swarm_download_start(swarm, device);
	if (!ok) {
		swarm_schedule(swarm, device, now + retry_delay_ms(swarm, device, retry_seconds));
		return;
	}
	if (swarm->options.sessions_only || device->session_wanted) {
		swarm_device_want_session(swarm, device);
		return;
	}
	if (device->transfer_pending) { /* held back by HoldRequests: report it in a new session */
		swarm_schedule(swarm, device, now + 1000);
		return;
	}
	if (swarm->options.periodic_seconds > 0) {
		double jitter = 0.9 + 0.2 * (double)((device->index * 7919u) % 1000) / 1000.0;

		swarm_schedule(swarm, device, now + (uint64_t)(swarm->options.periodic_seconds * 1000 * jitter));
	}
}

/* The device walks away from its session without answering (a partial-
 * path profile): its connection is already closed (no keep-alive), and it
 * calls in again after --drop-delay, as after an agent restart when
 * restart is set. Not a failed session of the swarm's. */
static void drop_session(struct swarm *swarm, struct swarm_device *device, bool restart)
{
	struct profile_stats *profile = &swarm->stats.profiles[device->profile];

	device->phase = PHASE_IDLE;
	swarm->sessions_running--;
	device->cookie[0] = '\0';
	device->session_wanted = false;
	if (restart) {
		device->restarted = true;
		profile->restarts++;
	} else {
		profile->drops++;
	}
	swarm_schedule(swarm, device, monotonic_ms() + (uint64_t)(swarm->options.drop_delay_seconds * 1000));
}

/* The device's answer to an RPC of the ACS, as its profile gives it. */
static int answer(struct swarm *swarm, struct swarm_device *device, const struct cwmp_message *message)
{
	struct cwmp_message response = { 0 };
	char *raw = NULL;
	size_t raw_length = 0;

	switch (swarm_device_answer(swarm, device, message, &response, &raw, &raw_length)) {
	case ANSWER_RAW:
		return post(swarm, device, raw, raw_length);
	case ANSWER_DROP:
		drop_session(swarm, device, false);
		return 0;
	case ANSWER_RESTART:
		drop_session(swarm, device, true);
		return 0;
	default:
		return post_message(swarm, device, &response);
	}
}

/* The ACS's reply to our last POST, decoded. */
static void handle_reply(struct swarm *swarm, struct swarm_device *device, struct cwmp_message *message)
{
	int result;

	if (++device->exchanges > MAX_EXCHANGES) {
		log_warn("device %u: session ended after %u exchanges", device->index, MAX_EXCHANGES);
		end_session(swarm, device, false, 0);
		return;
	}
	if (message->version != swarm_profile_version(device) && swarm_profile_version(device) == CWMP_VERSION_1_0) {
		log_warn("device %u speaks cwmp-1-0 only; the ACS answered in %s", device->index,
			 cwmp_namespace(message->version));
		swarm->stats.wrong_namespace++;
		end_session(swarm, device, false, 0);
		return;
	}
	switch (message->type) {
	case CWMP_INFORM_RESPONSE:
		swarm->stats.informs++;
		device->acknowledged_informs++;
		if (swarm->ack_log)
			fprintf(swarm->ack_log, "%s inform %lu\n", device->serial, (unsigned long)device->acknowledged_informs);
		device->hold_requests = message->hold_requests;
		if (device->transfer_pending && !device->hold_requests)
			result = send_transfer_complete(swarm, device);
		else
			result = post(swarm, device, NULL, 0);
		break;
	case CWMP_TRANSFER_COMPLETE_RESPONSE:
		swarm->stats.transfer_completes++;
		if (swarm->ack_log)
			fprintf(swarm->ack_log, "%s transfer %s\n", device->serial, device->transfer_command_key);
		device->transfer_pending = false;
		if (device->transfer_done_ms)
			swarm_stats_record_transfer_complete(&swarm->stats, device->profile,
							     monotonic_ms() - device->transfer_done_ms);
		device->transfer_done_ms = 0;
		free(device->transfer_command_key);
		device->transfer_command_key = NULL;
		result = post(swarm, device, NULL, 0);
		break;
	case CWMP_FAULT:
		log_warn("device %u: ACS answered with fault %u (%s)", device->index, message->body.fault.code,
			 message->body.fault.string);
		end_session(swarm, device, false, 0);
		return;
	default:
		swarm->stats.rpcs++;
		device->hold_requests = message->hold_requests;
		result = answer(swarm, device, message);
		break;
	}
	if (result < 0)
		end_session(swarm, device, false, 0);
}

/* A nonce-reuse device takes the 401's challenge (a stale one is what its
 * old nonce earns) and sends the same body again with it. */
static int answer_challenge(struct swarm *swarm, struct swarm_device *device, struct transfer *transfer)
{
	char *body = NULL;

	if (!device->challenge && !(device->challenge = calloc(1, sizeof(*device->challenge))))
		return -ENOMEM;
	if (digest_parse_challenge(transfer->challenge, device->challenge) < 0)
		return -EINVAL;
	if (device->challenge->stale)
		swarm->stats.profiles[device->profile].stale_nonces++;
	if (transfer->request_length) {
		body = malloc(transfer->request_length);
		if (!body)
			return -ENOMEM;
		memcpy(body, transfer->request, transfer->request_length);
	}
	return post_again(swarm, device, body, transfer->request_length, transfer->auth_tries + 1);
}

void swarm_transfer_finished(struct swarm *swarm, CURL *easy, CURLcode result)
{
	struct transfer *transfer = NULL;
	struct swarm_device *device;
	struct cwmp_message *message = NULL;
	struct cwmp_error error;
	long status = 0;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&transfer);
	curl_multi_remove_handle(transfer && transfer->multi ? transfer->multi : swarm->multi, easy);
	if (!transfer) {
		curl_easy_cleanup(easy);
		return;
	}
	device = transfer->device;
	if (transfer->kind == TRANSFER_DOWNLOAD) {
		swarm_download_finished(swarm, device, easy, result);
		swarm_transfer_free(transfer, easy);
		return;
	}
	if (transfer->kind == TRANSFER_PIECES) {
		swarm_relay_list_finished(swarm, device, easy, result);
		swarm_transfer_free(transfer, easy);
		return;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	if (transfer->cookie[0]) {
		snprintf(device->cookie, sizeof(device->cookie), "%s", transfer->cookie);
		snprintf(device->set_cookie, sizeof(device->set_cookie), "%s", transfer->set_cookie);
	}
	if (result == CURLE_OK && status == 401 && device->profile == PROFILE_NONCE_REUSE && transfer->challenge[0] &&
	    transfer->auth_tries < 2 && answer_challenge(swarm, device, transfer) == 0) {
		swarm_transfer_free(transfer, easy);
		return;
	}
	if (result != CURLE_OK || (status != 200 && status != 204)) {
		if (status == 503)
			swarm->stats.overloads++;
		else
			swarm->stats.http_errors++;
		if (swarm->options.verbose || status != 503)
			log_debug("device %u: HTTP %ld (%s)", device->index, status, curl_easy_strerror(result));
		end_session(swarm, device, false, status == 503 ? transfer->retry_after : 0);
		swarm_transfer_free(transfer, easy);
		return;
	}
	if (status == 204 || transfer->response.length == 0) {
		end_session(swarm, device, true, 0);
		swarm_transfer_free(transfer, easy);
		return;
	}
	if (cwmp_decode(transfer->response.data, transfer->response.length, NULL, &message, &error) < 0) {
		log_warn("device %u: bad reply from the ACS: %s", device->index, error.message);
		end_session(swarm, device, false, 0);
		swarm_transfer_free(transfer, easy);
		return;
	}
	swarm_transfer_free(transfer, easy);
	handle_reply(swarm, device, message);
	cwmp_message_free(message);
}
