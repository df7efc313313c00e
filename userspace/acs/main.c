/* cascade-acs: the grouping controller and CWMP ACS. Parses flags and the
 * config file, loads the registry from SQLite, starts the store writer,
 * the connection requester, the CWMP and API servers, then ticks campaigns
 * and expires sessions until SIGTERM or SIGINT. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <curl/curl.h>
#include <time.h>
#include <unistd.h>

#include "acs/auth.h"
#include "acs/campaign.h"
#include "acs/config.h"
#include "acs/connection_guard.h"
#include "acs/connection_request.h"
#include "acs/http.h"
#include "acs/model.h"
#include "acs/session.h"
#include "acs/store.h"
#include "acs/tls.h"
#include "common/clock.h"
#include "common/login_limit.h"
#include "common/log.h"
#include "common/token_file.h"
#include "cwmp/cwmp.h"

/* The operator API token from path (token_file.h rules), or "" when no
 * token file is configured. */
static int read_token(const char *path, char *token, size_t size)
{
	char why[700];
	int result;

	token[0] = '\0';
	if (!path[0])
		return 0;
	result = token_file_read(path, token, size, why, sizeof(why));
	if (result < 0) {
		log_error("API token: %s", why);
		return result;
	}
	return 0;
}

/* "NAME listening on HOST:PORT" with the port bound (the address may say 0). */
static void log_listening(const char *name, const char *address, uint16_t port)
{
	const char *colon = strrchr(address, ':');

	log_info("%s listening on %.*s:%u", name, colon ? (int)(colon - address) : (int)strlen(address), address, port);
}

static void raise_file_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		setrlimit(RLIMIT_NOFILE, &limit);
	}
}

/* Ticks campaigns and sessions until a signal asks to stop. */
static void run(struct controller *controller)
{
	sigset_t signals;
	struct timespec wait = { (time_t)(controller->config.tick_ms / 1000),
				 (long)(controller->config.tick_ms % 1000) * 1000000L };

	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	for (;;) {
		struct store_batch *batch;
		int signal_number = sigtimedwait(&signals, NULL, &wait);

		if (signal_number == SIGTERM || signal_number == SIGINT) {
			log_info("signal %d: stopping", signal_number);
			return;
		}
		if (controller->guard)
			connection_guard_check(controller->guard, monotonic_ms());
		batch = store_batch_new();
		pthread_mutex_lock(&controller->lock);
		sessions_expire(controller);
		if (batch)
			campaign_tick(controller, batch);
		pthread_mutex_unlock(&controller->lock);
		if (batch && !store_batch_empty(batch))
			store_submit(controller->store, batch, NULL, NULL);
		else
			store_batch_free(batch);
	}
}

int main(int argc, char **argv)
{
	struct acs_config config;
	struct controller controller;
	struct MHD_Daemon *cwmp_daemon = NULL, *api_daemon = NULL, *metrics_daemon = NULL;
	struct connection_guard guard = { 0 };
	struct login_limit cwmp_logins = { 0 }, api_logins = { 0 };
	char token[4096];
	uint16_t cwmp_port = 0, api_port = 0, metrics_port = 0;
	sigset_t signals;
	int status = 1;

	log_init("cascade-acs");
	status = acs_config_from_arguments(&config, argc, argv);
	if (status != 0)
		return status > 0 ? 0 : 2;
	status = 1;
	log_set_level((enum log_level)config.log_level);
	if (read_token(config.api_token_file, token, sizeof(token)) < 0)
		return 2;
	/* Signals are taken synchronously by the main loop; threads inherit the mask. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	raise_file_limit();
	cwmp_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (controller_init(&controller, &config) < 0)
		goto out;
	connection_guard_init(&guard, config.request_timeout_ms);
	controller.guard = &guard;
	if (login_limit_init(&cwmp_logins, config.auth_max_failures, config.auth_failure_window_ms) < 0)
		goto out;
	controller.cwmp_logins = &cwmp_logins;
	if (login_limit_init(&api_logins, config.auth_max_failures, config.auth_failure_window_ms) < 0)
		goto out;
	controller.api_logins = &api_logins;
	if (credentials_load(config.credentials_file, &controller.credentials) < 0)
		goto out;
	if (store_open(config.database, config.db_synchronous_full, &controller.store) < 0 ||
	    store_load(controller.store, &controller) < 0 || store_start(controller.store) < 0)
		goto out;
	if (connection_requester_start(&controller) < 0 || source_poller_start(&controller) < 0)
		goto out;
	if (cwmp_server_start(&controller, &cwmp_daemon, &cwmp_port) < 0 ||
	    api_server_start(&controller, token[0] ? token : NULL, &api_daemon, &api_port) < 0 ||
	    (config.metrics_address[0] && metrics_server_start(&controller, &metrics_daemon, &metrics_port) < 0))
		goto out;
	log_listening("cwmp", config.cwmp_address, cwmp_port);
	log_listening("api", config.api_address, api_port);
	if (metrics_daemon)
		log_listening("metrics", config.metrics_address, metrics_port);
	run(&controller);
	status = 0;
out:
	if (api_daemon) /* its handlers wait for commits: the writer still runs */
		MHD_stop_daemon(api_daemon);
	if (metrics_daemon)
		MHD_stop_daemon(metrics_daemon);
	if (cwmp_daemon) {
		MHD_socket listener = MHD_quiesce_daemon(cwmp_daemon); /* no new connections; ours to close */

		if (listener != MHD_INVALID_SOCKET)
			close(listener);
	}
	/* Commits what is queued, resuming the connections suspended for it;
	 * keep-alive requests still arriving are answered 503 (-ESHUTDOWN) at
	 * once, so none is suspended when the daemon stops, and the store
	 * they read stays allocated until then. */
	store_stop(controller.store);
	if (cwmp_daemon)
		MHD_stop_daemon(cwmp_daemon);
	store_close(controller.store);
	controller.store = NULL;
	acs_tls_release();
	connection_guard_destroy(&guard);
	if (controller.cwmp_logins)
		login_limit_destroy(&cwmp_logins);
	if (controller.api_logins)
		login_limit_destroy(&api_logins);
	connection_requester_stop(&controller);
	source_poller_stop(&controller);
	credentials_free(controller.credentials);
	controller_destroy(&controller);
	curl_global_cleanup();
	return status;
}
