/* Connection Requests: an HTTP GET with Digest authentication to a device's
 * ConnectionRequestURL, asking it to open a CWMP session now. One thread
 * drives libcurl's multi interface with at most `concurrency` requests in
 * flight; requests for the same device within a second are merged, and a
 * device whose request still waits in the queue gets no second one (when
 * devices answer slowly, the tick's retries would otherwise pile up
 * duplicates and delay every device's request behind them). */
#include "acs/connection_request.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

#define QUEUE_LIMIT 1000000

struct pending_request {
	char *url;
	struct device *device; /* devices live as long as the controller */
	struct pending_request *next;
};

struct connection_requester {
	struct controller *controller;
	pthread_t thread;
	pthread_mutex_t lock;
	struct pending_request *head, *tail;
	size_t queued;
	bool stopping;
	CURLM *multi;
	unsigned int running;
	CURL **active; /* running transfers, `running` of them */
};

static size_t discard_body(char *data, size_t size, size_t count, void *user)
{
	(void)data;
	(void)user;
	return size * count;
}

static void start_transfer(struct connection_requester *requester, struct pending_request *request)
{
	const struct acs_config *config = &requester->controller->config;
	CURL *easy = curl_easy_init();

	__atomic_store_n(&request->device->connection_request_waiting, false, __ATOMIC_RELAXED);
	if (!easy) {
		free(request->url);
		free(request);
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, request->url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, request->url);
	curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)config->connection_request_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
	if (config->connection_request_username[0]) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_DIGEST);
		curl_easy_setopt(easy, CURLOPT_USERNAME, config->connection_request_username);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, config->connection_request_password);
	}
	free(request);
	if (curl_multi_add_handle(requester->multi, easy) != CURLM_OK) {
		char *url = NULL;

		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &url);
		free(url);
		curl_easy_cleanup(easy);
		return;
	}
	requester->active[requester->running++] = easy;
}

static void finish_transfers(struct connection_requester *requester)
{
	struct controller *controller = requester->controller;
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(requester->multi, &left))) {
		CURL *easy = message->easy_handle;
		char *url = NULL;
		long status = 0;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &url);
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		if (message->data.result != CURLE_OK || status < 200 || status >= 300) {
			__atomic_add_fetch(&controller->metrics.connection_request_failures, 1, __ATOMIC_RELAXED);
			log_debug("connection request to %s failed: %s (HTTP %ld)", url,
				  curl_easy_strerror(message->data.result), status);
		}
		curl_multi_remove_handle(requester->multi, easy);
		curl_easy_cleanup(easy);
		free(url);
		for (unsigned int i = 0; i < requester->running; i++) {
			if (requester->active[i] == easy) {
				requester->active[i] = requester->active[--requester->running];
				break;
			}
		}
	}
}

static void *requester_main(void *argument)
{
	struct connection_requester *requester = argument;
	unsigned int concurrency = requester->controller->config.connection_request_concurrency;

	for (;;) {
		int still_running;

		pthread_mutex_lock(&requester->lock);
		if (requester->stopping) {
			pthread_mutex_unlock(&requester->lock);
			break;
		}
		while (requester->head && requester->running < concurrency) {
			struct pending_request *request = requester->head;

			requester->head = request->next;
			if (!requester->head)
				requester->tail = NULL;
			requester->queued--;
			pthread_mutex_unlock(&requester->lock);
			start_transfer(requester, request);
			pthread_mutex_lock(&requester->lock);
		}
		pthread_mutex_unlock(&requester->lock);
		curl_multi_perform(requester->multi, &still_running);
		finish_transfers(requester);
		curl_multi_poll(requester->multi, NULL, 0, 1000, NULL);
	}
	return NULL;
}

int connection_requester_start(struct controller *controller)
{
	struct connection_requester *requester = calloc(1, sizeof(*requester));
	int status;

	if (!requester)
		return -ENOMEM;
	requester->controller = controller;
	pthread_mutex_init(&requester->lock, NULL);
	requester->multi = curl_multi_init();
	requester->active = calloc(controller->config.connection_request_concurrency, sizeof(CURL *));
	if (!requester->multi || !requester->active) {
		if (requester->multi)
			curl_multi_cleanup(requester->multi);
		free(requester->active);
		free(requester);
		return -ENOMEM;
	}
	status = pthread_create(&requester->thread, NULL, requester_main, requester);
	if (status != 0) {
		curl_multi_cleanup(requester->multi);
		free(requester->active);
		free(requester);
		return -status;
	}
	controller->requester = requester;
	return 0;
}

void connection_requester_stop(struct controller *controller)
{
	struct connection_requester *requester = controller->requester;
	struct pending_request *request, *next;

	if (!requester)
		return;
	pthread_mutex_lock(&requester->lock);
	requester->stopping = true;
	pthread_mutex_unlock(&requester->lock);
	curl_multi_wakeup(requester->multi);
	pthread_join(requester->thread, NULL);
	for (unsigned int i = 0; i < requester->running; i++) {
		char *url = NULL;

		curl_easy_getinfo(requester->active[i], CURLINFO_PRIVATE, &url);
		curl_multi_remove_handle(requester->multi, requester->active[i]);
		curl_easy_cleanup(requester->active[i]);
		free(url);
	}
	free(requester->active);
	curl_multi_cleanup(requester->multi);
	for (request = requester->head; request; request = next) {
		next = request->next;
		free(request->url);
		free(request);
	}
	pthread_mutex_destroy(&requester->lock);
	free(requester);
	controller->requester = NULL;
}

void connection_request(struct controller *controller, struct device *device)
{
	struct connection_requester *requester = controller->requester;
	struct pending_request *request;
	uint64_t now = monotonic_ms();

	if (!requester || !device->connection_request_url || strncmp(device->connection_request_url, "http", 4) != 0)
		return;
	if (device->connection_requested_ms && now - device->connection_requested_ms < 1000)
		return;
	if (__atomic_load_n(&device->connection_request_waiting, __ATOMIC_RELAXED))
		return;
	device->connection_requested_ms = now;
	request = calloc(1, sizeof(*request));
	if (!request)
		return;
	request->url = strdup(device->connection_request_url);
	if (!request->url) {
		free(request);
		return;
	}
	request->device = device;
	__atomic_add_fetch(&controller->metrics.connection_requests, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&requester->lock);
	if (requester->queued >= QUEUE_LIMIT) {
		pthread_mutex_unlock(&requester->lock);
		device->connection_requested_ms = 0; /* not queued: the next tick may try again */
		free(request->url);
		free(request);
		return;
	}
	if (requester->tail)
		requester->tail->next = request;
	else
		requester->head = request;
	requester->tail = request;
	requester->queued++;
	__atomic_store_n(&device->connection_request_waiting, true, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&requester->lock);
	curl_multi_wakeup(requester->multi);
}
