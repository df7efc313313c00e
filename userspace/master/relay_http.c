/* The relay's HTTP answers: GET|HEAD /pieces/NAME (the piece list of an
 * image served whole or being received, text/plain, cascade-pieces-v1) and
 * GET|HEAD /-/relay (JSON: settings, counters and every receiving image
 * with its verified bytes). */
#include "master/relay.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/manifest.h"
#include "master/connection.h"
#include "master/http_request.h"

#define PIECES_PREFIX "/pieces/"

static bool path_is(const struct http_request *request, const char *path)
{
	size_t length = strlen(path);

	return request->path.length == length && memcmp(request->path.data, path, length) == 0;
}

/* The served image, else the receiving one, called name (a reference). */
static struct image *find_image(struct server *server, const char *name)
{
	struct image *image = image_store_find(&server->store, name);

	return image != NULL ? image : relay_find_receiving(&server->relay, name);
}

static void respond_pieces(struct connection *connection, const struct http_request *request)
{
	struct http_string encoded = { request->path.data + strlen(PIECES_PREFIX),
				       request->path.length - strlen(PIECES_PREFIX) };
	char name[MANIFEST_NAME_MAX + 2];
	int length = http_percent_decode(encoded, name, sizeof(name));
	struct image *image;
	const char *text;
	size_t text_length;

	if (length == -EINVAL) {
		respond_error(connection, 400, "bad percent-encoding in image name");
		return;
	}
	image = length >= 0 && manifest_name_is_valid(name, (size_t)length)
			? find_image(connection->worker->server, name)
			: NULL;
	if (image == NULL || !image_relay_list(image, &text, &text_length)) {
		image_release(image);
		respond_in_memory(connection, 404, "text/plain", "no piece list for this name\n", 28,
				  request->method == HTTP_METHOD_HEAD);
		return;
	}
	/* The text is immutable while the image is held. */
	respond_in_memory(connection, 200, "text/plain; charset=utf-8", text, text_length,
			  request->method == HTTP_METHOD_HEAD);
	image_release(image);
}

static json_t *receiving_json(const struct relay_entry *entry)
{
	struct receiving *receiving = entry->image->relay->receiving;
	json_t *object;

	pthread_mutex_lock(&receiving->lock);
	object = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:b}", "name", entry->image->name, "size",
			   (json_int_t)receiving->pieces.size, "piece_size", (json_int_t)receiving->pieces.piece_size,
			   "pieces", (json_int_t)receiving->pieces.count, "pieces_verified",
			   (json_int_t)receiving->pieces_verified, "verified_bytes", (json_int_t)receiving->verified_bytes,
			   "failed_checks", (json_int_t)__atomic_load_n(&receiving->failed_checks, __ATOMIC_RELAXED),
			   "announced", entry->announced, "complete", receiving->complete, "ended", receiving->ended);
	pthread_mutex_unlock(&receiving->lock);
	return object;
}

static void respond_status(struct connection *connection, bool head_only)
{
	struct relay *relay = &connection->worker->server->relay;
	json_t *list = json_array(), *body;
	char *text = NULL;

	pthread_mutex_lock(&relay->lock);
	for (unsigned int i = 0; list != NULL && i < relay->count; i++)
		json_array_append_new(list, receiving_json(&relay->entries[i]));
	pthread_mutex_unlock(&relay->lock);
	body = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o?}", "piece_size", (json_int_t)relay->piece_size,
			 "wait_timeout_ms", (json_int_t)relay->wait_timeout_ms, "scans",
			 (json_int_t)__atomic_load_n(&relay->scans, __ATOMIC_RELAXED), "waits",
			 (json_int_t)__atomic_load_n(&relay->waits, __ATOMIC_RELAXED), "wait_timeouts",
			 (json_int_t)__atomic_load_n(&relay->wait_timeouts, __ATOMIC_RELAXED), "streams_ended",
			 (json_int_t)__atomic_load_n(&relay->streams_ended, __ATOMIC_RELAXED), "lists_computed",
			 (json_int_t)__atomic_load_n(&relay->lists_computed, __ATOMIC_RELAXED), "receiving", list);
	text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (text == NULL) {
		respond_error(connection, 500, "cannot render the relay state");
		return;
	}
	respond_in_memory(connection, 200, "application/json", text, strlen(text), head_only);
	free(text);
}

bool relay_route(struct connection *connection, const struct http_request *request)
{
	if (request->path.length > strlen(PIECES_PREFIX) &&
	    memcmp(request->path.data, PIECES_PREFIX, strlen(PIECES_PREFIX)) == 0) {
		respond_pieces(connection, request);
		return true;
	}
	if (path_is(request, "/-/relay")) {
		respond_status(connection, request->method == HTTP_METHOD_HEAD);
		return true;
	}
	return false;
}
