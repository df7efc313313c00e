/* Readings of sources' /-/stats: one thread drives libcurl's multi
 * interface (at most 32 requests in flight, each bounded to 2 s and 64 KiB)
 * for GET FILE_SERVER_URL/-/stats of every source the campaign tick asks
 * about, and records, under the controller lock, the bytes the source's
 * server sent for the group (`groups[G].bytes`, else `bytes_sent`) and its
 * CPU occupancy (`meter.cpu.occupancy_basis_points`) with the time of the
 * reading (campaign_gates.c turns readings into rates). cascade-master and
 * cascade-swarm's simulated file servers answer the same fields. */
#include "acs/campaign.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_buffer.h"
#include "common/clock.h"
#include "common/log.h"

#define QUEUE_LIMIT 100000
#define CONCURRENCY 32
#define MAX_BODY    65536

struct reading {
	struct device *device; /* devices live as long as the controller */
	uint32_t group_id;
	char *url;
	struct byte_buffer body;
	struct reading *next;
};

struct source_poller {
	struct controller *controller;
	pthread_t thread;
	pthread_mutex_t lock;
	struct reading *head, *tail;
	size_t queued;
	bool stopping;
	CURLM *multi;
	unsigned int running;
	CURL *active[CONCURRENCY]; /* running transfers, `running` of them */
};

static void reading_free(struct reading *reading)
{
	if (!reading)
		return;
	free(reading->url);
	byte_buffer_free(&reading->body);
	free(reading);
}

static size_t keep_body(char *data, size_t size, size_t count, void *user)
{
	struct reading *reading = user;
	size_t bytes = size * count;

	if (byte_buffer_append(&reading->body, data, bytes, MAX_BODY) < 0)
		return 0;
	return bytes;
}

/* The egress counter and occupancy in a /-/stats document. */
static int parse_stats(const char *text, size_t length, uint32_t group_id, uint64_t *bytes, bool *has_occupancy,
		       uint32_t *occupancy)
{
	json_t *root = json_loadb(text, length, 0, NULL), *value;
	char key[16];

	if (!root || !json_is_object(root)) {
		json_decref(root);
		return -EINVAL;
	}
	snprintf(key, sizeof(key), "%u", group_id);
	value = json_object_get(json_object_get(json_object_get(root, "groups"), key), "bytes");
	if (!json_is_integer(value))
		value = json_object_get(root, "bytes_sent");
	if (!json_is_integer(value) || json_integer_value(value) < 0) {
		json_decref(root);
		return -EINVAL;
	}
	*bytes = (uint64_t)json_integer_value(value);
	value = json_object_get(json_object_get(json_object_get(root, "meter"), "cpu"), "occupancy_basis_points");
	*has_occupancy = json_is_integer(value) && json_integer_value(value) >= 0 && json_integer_value(value) <= 10000;
	*occupancy = *has_occupancy ? (uint32_t)json_integer_value(value) : 0;
	json_decref(root);
	return 0;
}

static void start_reading(struct source_poller *poller, struct reading *reading)
{
	CURL *easy = curl_easy_init();

	if (!easy) {
		reading_free(reading);
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, reading->url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, reading);
	curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, keep_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, reading);
	if (curl_multi_add_handle(poller->multi, easy) != CURLM_OK) {
		curl_easy_cleanup(easy);
		reading_free(reading);
		return;
	}
	poller->active[poller->running++] = easy;
}

static void finish_readings(struct source_poller *poller)
{
	struct controller *controller = poller->controller;
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(poller->multi, &left))) {
		CURL *easy = message->easy_handle;
		struct reading *reading = NULL;
		bool has_occupancy = false;
		uint32_t occupancy = 0;
		uint64_t bytes = 0;
		long status = 0;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&reading);
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		if (message->data.result == CURLE_OK && status == 200 &&
		    parse_stats(reading->body.data ? (const char *)reading->body.data : "", reading->body.length,
				reading->group_id, &bytes, &has_occupancy, &occupancy) == 0) {
			pthread_mutex_lock(&controller->lock);
			source_measurement_record(reading->device, bytes, has_occupancy, occupancy, monotonic_ms());
			pthread_mutex_unlock(&controller->lock);
		} else {
			log_debug("reading %s failed: %s (HTTP %ld)", reading->url, curl_easy_strerror(message->data.result),
				  status);
		}
		curl_multi_remove_handle(poller->multi, easy);
		curl_easy_cleanup(easy);
		reading_free(reading);
		for (unsigned int i = 0; i < poller->running; i++) {
			if (poller->active[i] == easy) {
				poller->active[i] = poller->active[--poller->running];
				break;
			}
		}
	}
}

static void *poller_main(void *argument)
{
	struct source_poller *poller = argument;

	for (;;) {
		int still_running;

		pthread_mutex_lock(&poller->lock);
		if (poller->stopping) {
			pthread_mutex_unlock(&poller->lock);
			break;
		}
		while (poller->head && poller->running < CONCURRENCY) {
			struct reading *reading = poller->head;

			poller->head = reading->next;
			if (!poller->head)
				poller->tail = NULL;
			poller->queued--;
			pthread_mutex_unlock(&poller->lock);
			start_reading(poller, reading);
			pthread_mutex_lock(&poller->lock);
		}
		pthread_mutex_unlock(&poller->lock);
		curl_multi_perform(poller->multi, &still_running);
		finish_readings(poller);
		curl_multi_poll(poller->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

int source_poller_start(struct controller *controller)
{
	struct source_poller *poller = calloc(1, sizeof(*poller));
	int status;

	if (!poller)
		return -ENOMEM;
	poller->controller = controller;
	pthread_mutex_init(&poller->lock, NULL);
	poller->multi = curl_multi_init();
	if (!poller->multi) {
		free(poller);
		return -ENOMEM;
	}
	status = pthread_create(&poller->thread, NULL, poller_main, poller);
	if (status != 0) {
		curl_multi_cleanup(poller->multi);
		free(poller);
		return -status;
	}
	controller->source_poller = poller;
	return 0;
}

void source_poller_stop(struct controller *controller)
{
	struct source_poller *poller = controller->source_poller;
	struct reading *reading, *next;

	if (!poller)
		return;
	pthread_mutex_lock(&poller->lock);
	poller->stopping = true;
	pthread_mutex_unlock(&poller->lock);
	curl_multi_wakeup(poller->multi);
	pthread_join(poller->thread, NULL);
	for (unsigned int i = 0; i < poller->running; i++) {
		reading = NULL;
		curl_easy_getinfo(poller->active[i], CURLINFO_PRIVATE, (char **)&reading);
		curl_multi_remove_handle(poller->multi, poller->active[i]);
		curl_easy_cleanup(poller->active[i]);
		reading_free(reading);
	}
	curl_multi_cleanup(poller->multi);
	for (reading = poller->head; reading; reading = next) {
		next = reading->next;
		reading_free(reading);
	}
	pthread_mutex_destroy(&poller->lock);
	free(poller);
	controller->source_poller = NULL;
}

void source_poller_request(struct controller *controller, struct device *device, uint32_t group_id)
{
	struct source_poller *poller = controller->source_poller;
	struct reading *reading;
	size_t base_length;

	if (!poller || !device->file_server_url || !file_server_url_acceptable(device->file_server_url))
		return;
	reading = calloc(1, sizeof(*reading));
	if (!reading)
		return;
	base_length = strlen(device->file_server_url);
	while (base_length && device->file_server_url[base_length - 1] == '/')
		base_length--;
	if (asprintf(&reading->url, "%.*s/-/stats", (int)base_length, device->file_server_url) < 0) {
		free(reading);
		return;
	}
	reading->device = device;
	reading->group_id = group_id;
	pthread_mutex_lock(&poller->lock);
	if (poller->queued >= QUEUE_LIMIT) {
		pthread_mutex_unlock(&poller->lock);
		reading_free(reading);
		return;
	}
	if (poller->tail)
		poller->tail->next = reading;
	else
		poller->head = reading;
	poller->tail = reading;
	poller->queued++;
	pthread_mutex_unlock(&poller->lock);
	curl_multi_wakeup(poller->multi);
}
