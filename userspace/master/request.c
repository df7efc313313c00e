/* Request routing: /images/NAME (looked up in the image table, never
 * opened as a path), /-/stats, /metrics, POST /-/reload; status codes for
 * everything else. Prepares the response; connection_advance sends it. */
#include "master/connection.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "master/admin_token.h"
#include "master/http_conditional.h"
#include "master/http_request.h"
#include "master/pacing.h"
#include "common/log_limit.h"
#include "meter_mark.h"

#define IMAGE_PREFIX "/images/"

static struct log_limit client_error_log = LOG_LIMIT_INITIALIZER("client error", 20);
static struct log_limit mark_log = LOG_LIMIT_INITIALIZER("SO_MARK", 1);

static bool path_is(const struct http_request *request, const char *path)
{
	size_t length = strlen(path);

	return request->path.length == length && memcmp(request->path.data, path, length) == 0;
}

/* Common fields of every head this connection sends. */
static void head_defaults(struct connection *connection, struct http_head *head, int status)
{
	memset(head, 0, sizeof(*head));
	head->status = status;
	head->keep_alive = connection->keep_alive;
	head->date = connection->worker->date;
}

static void start_response(struct connection *connection, int status)
{
	connection->state = CONNECTION_RESPONDING;
	connection->status = status;
	connection->progress_ms = connection->worker->now_ms;
	connection->output_sent = 0;
	stats_count_status(&connection->worker->server->stats, status);
}

/* Owns head_text (malloc'd) from now on. */
static void send_head(struct connection *connection, char *head_text, size_t length)
{
	connection->output = head_text;
	connection->output_length = (uint32_t)length;
	connection->output_sent = 0;
	connection_advance(connection);
}

static void respond_with_head(struct connection *connection, struct http_head *head,
			      const char *body, size_t body_length, bool head_only)
{
	char *text = malloc(HTTP_RESPONSE_HEAD_MAX + body_length);
	int length;

	start_response(connection, head->status);
	if (text == NULL) {
		connection_close(connection);
		return;
	}
	length = http_format_head(head, text, HTTP_RESPONSE_HEAD_MAX);
	if (length < 0) {
		free(text);
		log_error_limited("response head for status %d does not fit", head->status);
		connection_close(connection);
		return;
	}
	if (!head_only && !connection->head_request && body_length > 0) {
		memcpy(text + length, body, body_length);
		length += (int)body_length;
	}
	send_head(connection, text, (size_t)length);
}

void respond_in_memory(struct connection *connection, int status, const char *content_type,
		       const char *body, size_t body_length, bool head_only)
{
	struct http_head head;

	head_defaults(connection, &head, status);
	head.content_type = content_type;
	head.has_content_length = true;
	head.content_length = body_length;
	respond_with_head(connection, &head, body, body_length, head_only);
}

static void respond_status(struct connection *connection, int status, const char *allow,
			   unsigned int retry_after)
{
	struct http_head head;
	char body[96];
	int length = snprintf(body, sizeof(body), "%d %s\n", status, http_status_reason(status));

	head_defaults(connection, &head, status);
	head.content_type = "text/plain";
	head.has_content_length = true;
	head.content_length = (uint64_t)length;
	head.allow = allow;
	head.retry_after = retry_after;
	respond_with_head(connection, &head, body, (size_t)length, false);
}

static void log_client_error(struct connection *connection, int status, const char *reason)
{
	char peer[64];

	if (!log_limit_allow(&client_error_log, connection->worker->now_ms))
		return;
	connection_peer_text(connection, peer, sizeof(peer));
	log_warn("%s: %d %s: %s", peer, status, http_status_reason(status), reason);
}

void respond_error(struct connection *connection, int status, const char *reason)
{
	log_client_error(connection, status, reason);
	connection->keep_alive = false;
	respond_status(connection, status, NULL, 0);
}

/* Tags the socket for the eBPF group meter; without CAP_NET_ADMIN says so
 * once and carries on (the per-group statistics still count). */
static void set_group_mark(struct connection *connection, uint32_t group)
{
	struct server *server = connection->worker->server;
	uint32_t mark = group ? (METER_MARK_TAG | group) : 0;

	if (mark == connection->mark || __atomic_load_n(&server->mark_unavailable, __ATOMIC_RELAXED))
		return;
	if (setsockopt(connection->fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == 0) {
		connection->mark = mark;
		return;
	}
	if (errno == EPERM) {
		__atomic_store_n(&server->mark_unavailable, 1, __ATOMIC_RELAXED);
		log_warn("cannot set SO_MARK for group attribution (needs CAP_NET_ADMIN): %s; "
			 "group bytes are counted in /-/stats only", strerror(errno));
	} else if (log_limit_allow(&mark_log, connection->worker->now_ms)) {
		log_warn("setting SO_MARK 0x%08x failed: %s", mark, strerror(errno));
	}
}

/* Chooses status and byte range for an image request. */
static int image_status(const struct http_request *request, const struct image *image,
			struct http_byte_range *range)
{
	struct http_string etag = { image->etag, image->etag_length };

	switch (http_evaluate_preconditions(request, etag)) {
	case HTTP_CONDITION_NOT_MODIFIED:
		return 304;
	case HTTP_CONDITION_PRECONDITION_FAILED:
		return 412;
	case HTTP_CONDITION_PROCEED:
		break;
	}
	range->first = 0;
	range->last = image->size ? image->size - 1 : 0;
	if (!http_range_applies(request, etag))
		return 200;
	switch (http_range_parse(request->range, image->size, range)) {
	case HTTP_RANGE_PARTIAL:
		return 206;
	case HTTP_RANGE_UNSATISFIABLE:
		return 416;
	case HTTP_RANGE_NONE:
		break;
	}
	return 200;
}

/* The send path of one response, the decision table of docs/master.md:
 * in auto mode a small body (about one socket buffer) goes by sendfile in
 * the loop; a larger one by copy when its image is mapped (up to
 * --copy-max-size) while its loop sends fewer than --copy-until large
 * bodies, by sendfile beyond (thousands of copies in flight cost more
 * than sendfile through a small buffer); an unmapped one by splice while
 * its loop sends fewer than --sendfile-after large bodies (default 0:
 * never), by sendfile beyond (each splice holds an io-wq thread). */
static enum body_method body_method_for(const struct worker *worker, const struct image *image,
					uint64_t body_bytes)
{
	const struct master_config *config = &worker->server->config;

	/* A receiving image grows: only the splice path stops at its verified
	 * bytes and waits for more (relay.h). */
	if (image->relay != NULL && image->relay->receiving != NULL)
		return BODY_SPLICE;
	if (image->send_method == IMAGE_SEND_ZERO_COPY)
		return BODY_ZERO_COPY;
	switch (config->send_mode) {
	case SEND_MODE_SPLICE: return BODY_SPLICE;
	case SEND_MODE_SENDFILE: return BODY_SENDFILE;
	case SEND_MODE_COPY: return image->send_method == IMAGE_SEND_COPY ? BODY_COPY : BODY_SPLICE;
	case SEND_MODE_ZC:
	case SEND_MODE_AUTO: break;
	}
	if (body_bytes <= SMALL_BODY)
		return BODY_SENDFILE;
	if (image->send_method == IMAGE_SEND_COPY)
		return config->copy_until == 0 || worker->large_bodies < config->copy_until ? BODY_COPY
											    : BODY_SENDFILE;
	return worker->large_bodies >= config->sendfile_after ? BODY_SENDFILE : BODY_SPLICE;
}

/* A busy loop (--busy-after) sends large unmapped images by sendfile with
 * a smaller send buffer (--busy-send-buffer): hundreds of connections each
 * holding --send-buffer of unsent data is what makes the client, not the
 * server, run the transmissions (docs/master.md, the figures). Any other
 * response gets the connection's usual buffer back (unless that is the
 * kernel's sizing, which a socket cannot return to). */
static void size_send_buffer(struct connection *connection, bool busy_sendfile)
{
	const struct master_config *config = &connection->worker->server->config;
	uint64_t wanted = busy_sendfile && config->busy_send_buffer != 0 ? config->busy_send_buffer
									 : config->send_buffer;
	int size = (int)wanted;

	if (wanted == 0 || wanted == connection->send_buffer)
		return;
	if (setsockopt(connection->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) == 0)
		connection->send_buffer = wanted;
}

/* --pacing-rate for this body (pacing.h). */
static void pace_body(struct connection *connection)
{
	const struct pacing_rule *rule = &connection->worker->server->config.pacing;

	transfer_pacing_result(connection, pacing_body_start(connection->fd, rule, connection->body_total,
							     &connection->pacing));
}

static void respond_image(struct connection *connection, const struct http_request *request,
			  struct image *image)
{
	struct http_byte_range range;
	struct http_head head;
	int status = image_status(request, image, &range);
	bool head_only = request->method == HTTP_METHOD_HEAD;
	uint32_t group = http_query_group(request->query);
	const struct master_config *config = &connection->worker->server->config;
	bool busy_sendfile;

	head_defaults(connection, &head, status);
	head.image_fields = image->fields;
	head.image_fields_length = image->fields_length;
	if (status == 304 || status == 412) {
		head.has_content_length = status == 412;
		respond_with_head(connection, &head, NULL, 0, true);
		image_release(image);
		return;
	}
	if (status == 416) {
		head.unsatisfied_range = true;
		head.complete_length = image->size;
		head.has_content_length = true;
		respond_with_head(connection, &head, NULL, 0, true);
		image_release(image);
		return;
	}
	head.has_content_length = true;
	head.content_length = image->size ? range.last - range.first + 1 : 0;
	if (status == 206) {
		head.has_content_range = true;
		head.range = range;
		head.complete_length = image->size;
	}
	set_group_mark(connection, group);
	connection->group = group ? stats_group_counters(&connection->worker->server->stats, group)
				  : NULL;
	if (connection->group != NULL)
		stats_add(&connection->group->requests, 1);
	stats_add(&image->counters->requests, 1);
	connection->image = image;
	connection->body_next = range.first;
	connection->body_end = head_only ? range.first : range.first + head.content_length;
	connection->body_total = connection->body_end - connection->body_next;
	connection->body_method = body_method_for(connection->worker, image, connection->body_total);
	busy_sendfile = config->send_mode == SEND_MODE_AUTO && transfer_is_large(connection) &&
			connection->body_method == BODY_SENDFILE &&
			connection->worker->large_bodies >= config->busy_after;
	size_send_buffer(connection, busy_sendfile);
	pace_body(connection);
	if (transfer_is_large(connection))
		connection->worker->large_bodies++;
	respond_with_head(connection, &head, NULL, 0, true);
}

bool image_still_verified(struct server *server, struct image *image)
{
	char why[128];
	uint64_t one = 1;

	switch (image_check_on_disk(image, why, sizeof(why))) {
	case IMAGE_AS_VERIFIED:
		return true;
	case IMAGE_CHANGED_BEFORE:
		return false;
	case IMAGE_CHANGED_NOW:
		break;
	}
	log_error("image %s changed on disk since it was verified (%s): not served under sha256 "
		  "%.16s... any more; verifying it again", image->name, why, image->hex);
	__atomic_store_n(&server->reverify_requested, 1, __ATOMIC_RELEASE);
	if (write(server->reload_fd, &one, sizeof(one)) < 0)
		log_error("cannot ask for the image to be verified again: %s", strerror(errno));
	return false;
}

static void route_image(struct connection *connection, const struct http_request *request)
{
	struct http_string encoded = { request->path.data + strlen(IMAGE_PREFIX),
				       request->path.length - strlen(IMAGE_PREFIX) };
	char name[MANIFEST_NAME_MAX + 2];
	int length = http_percent_decode(encoded, name, sizeof(name));
	struct image *image;

	if (length == -EINVAL) {
		respond_error(connection, 400, "bad percent-encoding in image name");
		return;
	}
	if (length < 0 || !manifest_name_is_valid(name, (size_t)length)) {
		log_client_error(connection, 404, "not an image name (traversal attempt?)");
		respond_status(connection, 404, NULL, 0);
		return;
	}
	image = image_store_find(&connection->worker->server->store, name);
	if (image == NULL) /* not served whole: maybe being received (relay.h) */
		image = relay_find_receiving(&connection->worker->server->relay, name);
	if (image == NULL) {
		log_client_error(connection, 404, "no such image in the manifest");
		respond_status(connection, 404, NULL, 0);
		return;
	}
	if (!image_still_verified(connection->worker->server, image)) {
		image_release(image);
		log_client_error(connection, 503, "image changed on disk, being verified again");
		respond_status(connection, 503, NULL, 1);
		return;
	}
	respond_image(connection, request, image);
}

static void server_view(struct server *server, struct server_state_view *view,
			struct image_table *table)
{
	view->role = server->config.origin ? "origin" : "master";
	view->send_mode = send_mode_name(server->config.send_mode);
	view->congestion_control = server->config.congestion.in_effect;
	view->threads = server->worker_count;
	view->max_connections = server->config.max_connections;
	view->zc_max_size = server->config.zc_max_size;
	view->pacing = server->config.pacing;
	view->generation = table ? table->generation : 0;
	view->last_reload_error = __atomic_load_n(&server->last_reload_error, __ATOMIC_RELAXED);
	view->group_meter = &server->group_meter;
	view->cpu_meter = &server->cpu_meter;
	view->tcp_memory_result = tcp_memory_read("/proc", &view->tcp_memory);
	view->send_gate_pages = __atomic_load_n(&server->send_gate_pages, __ATOMIC_RELAXED);
}

static void respond_stats(struct connection *connection, bool prometheus, bool head_only)
{
	struct server *server = connection->worker->server;
	struct image_table *table = image_store_snapshot(&server->store);
	struct server_state_view view;
	char *text = NULL;
	size_t length = 0;
	int result;

	server_view(server, &view, table);
	if (prometheus)
		result = stats_render_prometheus(&server->stats, &view, table, &text, &length);
	else
		result = stats_render_json(&server->stats, &view, table, &text, &length);
	image_table_release(table);
	if (result != 0) {
		respond_error(connection, 500, "cannot render statistics");
		return;
	}
	respond_in_memory(connection, 200,
			  prometheus ? "text/plain; version=0.0.4" : "application/json",
			  text, length, head_only);
	free(text);
}

static void request_reload(struct connection *connection)
{
	struct server *server = connection->worker->server;
	uint64_t one = 1;

	connection->reload_ticket = __atomic_add_fetch(&server->reload_requested, 1,
						       __ATOMIC_ACQ_REL);
	connection->state = CONNECTION_WAITING_RELOAD;
	connection->state_since_ms = connection->worker->now_ms;
	if (write(server->reload_fd, &one, sizeof(one)) < 0)
		log_error("cannot signal the reload: %s", strerror(errno));
}

void connection_on_reload_done(struct connection *connection)
{
	struct server *server = connection->worker->server;
	struct image_table *table;
	char *text;
	int error;

	if (__atomic_load_n(&server->reload_completed, __ATOMIC_ACQUIRE) < connection->reload_ticket)
		return;
	error = __atomic_load_n(&server->last_reload_error, __ATOMIC_RELAXED);
	table = image_store_snapshot(&server->store);
	{
		json_t *body = json_pack("{s:b, s:I, s:I, s:s?}", "reloaded", error == 0,
					 "generation", (json_int_t)(table ? table->generation : 0),
					 "images", (json_int_t)(table ? table->count : 0),
					 "error", error ? strerror(-error) : NULL);

		text = body ? json_dumps(body, JSON_COMPACT) : NULL;
		json_decref(body);
	}
	image_table_release(table);
	if (text == NULL) {
		respond_error(connection, 500, "cannot render the reload result");
		return;
	}
	respond_in_memory(connection, error == 0 ? 200 : 500, "application/json", text,
			  strlen(text), false);
	free(text);
}

void request_handle(struct connection *connection, const struct http_request *request)
{
	bool read_only = request->method == HTTP_METHOD_GET || request->method == HTTP_METHOD_HEAD;
	bool head_only = request->method == HTTP_METHOD_HEAD;

	connection->keep_alive = request->keep_alive && !request->has_body &&
				 !connection->worker->stopping;
	connection->head_request = head_only;
	if (connection->over_capacity) {
		stats_add(&connection->worker->server->stats.connections_rejected, 1);
		log_client_error(connection, 503, "over --max-connections");
		connection->keep_alive = false;
		respond_status(connection, 503, NULL, 1);
		return;
	}
	if (request->method == HTTP_METHOD_UNKNOWN) {
		respond_error(connection, 501, "unknown method");
		return;
	}
	if (path_is(request, "/-/reload")) {
		if (request->method != HTTP_METHOD_POST) {
			log_client_error(connection, 405, "reload needs POST");
			respond_status(connection, 405, "POST", 0);
		} else if (!admin_request_allowed(connection->worker->server->config.admin_token,
						  &connection->peer.address, request->authorization)) {
			respond_error(connection, 403, connection->worker->server->config.admin_token[0]
							       ? "admin operation without the admin token"
							       : "admin operation from outside loopback");
		} else {
			request_reload(connection);
		}
		return;
	}
	if (!read_only) {
		log_client_error(connection, 405, "method not allowed");
		respond_status(connection, 405, "GET, HEAD", 0);
		return;
	}
	if (request->path.length > strlen(IMAGE_PREFIX) &&
	    memcmp(request->path.data, IMAGE_PREFIX, strlen(IMAGE_PREFIX)) == 0)
		route_image(connection, request);
	else if (path_is(request, "/-/stats"))
		respond_stats(connection, false, head_only);
	else if (path_is(request, "/metrics"))
		respond_stats(connection, true, head_only);
	else if (relay_route(connection, request))
		return;   /* /pieces/NAME, /-/relay */
	else {
		log_client_error(connection, 404, "no such path");
		respond_status(connection, 404, NULL, 0);
	}
}
