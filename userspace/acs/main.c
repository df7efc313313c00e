/* cascade-acs: the grouping controller and CWMP ACS. Parses flags and the
 * config file, loads the registry from SQLite, starts the store writer,
 * the connection requester, the CWMP and API servers, then ticks campaigns
 * and expires sessions until SIGTERM or SIGINT. */
#include <errno.h>
#include <getopt.h>
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

static void usage(FILE *stream)
{
	fprintf(stream,
		"Usage: cascade-acs [--cwmp ADDR:PORT] [--api ADDR:PORT] [--db FILE] [--config FILE]\n"
		"                   [--api-token-file FILE] [--log-level LEVEL]\n"
		"\n"
		"The cascade controller: a CWMP (TR-069) ACS that groups devices, elects\n"
		"masters and runs upgrade campaigns through them.\n"
		"\n"
		"  --cwmp ADDR:PORT        CWMP (device) listener (default 127.0.0.1:7547; port 0: any)\n"
		"  --api ADDR:PORT         operator JSON API and /metrics (default 127.0.0.1:7548)\n"
		"  --db FILE               SQLite database (default ./cascade-acs.db)\n"
		"  --config FILE           inih config file (policies, auth, limits; see docs/acs.md)\n"
		"  --api-token-file FILE   require \"Authorization: Bearer <token in FILE>\" on the API\n"
		"  --log-level LEVEL       error, warn, info (default) or debug\n"
		"  -h, --help              this text\n"
		"\n"
		"Flags override the config file. The bound ports are logged as\n"
		"\"cwmp listening on ADDR:PORT\" and \"api listening on ADDR:PORT\".\n");
}

struct overrides {
	const char *cwmp, *api, *database, *config, *token_file, *log_level;
};

static int parse_arguments(int argc, char **argv, struct overrides *overrides)
{
	static const struct option options[] = {
		{ "cwmp", required_argument, NULL, 'c' },   { "api", required_argument, NULL, 'a' },
		{ "db", required_argument, NULL, 'd' },     { "config", required_argument, NULL, 'f' },
		{ "api-token-file", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int option;

	while ((option = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (option) {
		case 'c': overrides->cwmp = optarg; break;
		case 'a': overrides->api = optarg; break;
		case 'd': overrides->database = optarg; break;
		case 'f': overrides->config = optarg; break;
		case 't': overrides->token_file = optarg; break;
		case 'l': overrides->log_level = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cascade-acs: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static int apply_overrides(struct acs_config *config, const struct overrides *overrides)
{
	struct {
		const char *value;
		char *target;
		size_t size;
	} pairs[] = {
		{ overrides->cwmp, config->cwmp_address, sizeof(config->cwmp_address) },
		{ overrides->api, config->api_address, sizeof(config->api_address) },
		{ overrides->database, config->database, sizeof(config->database) },
		{ overrides->token_file, config->api_token_file, sizeof(config->api_token_file) },
		{ overrides->log_level, config->log_level, sizeof(config->log_level) },
	};
	enum log_level level;

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (pairs[i].value && snprintf(pairs[i].target, pairs[i].size, "%s", pairs[i].value) >= (int)pairs[i].size)
			return -EINVAL;
	if (log_level_from_name(config->log_level, &level) < 0) {
		log_error("unknown log level \"%s\" (error, warn, info, debug)", config->log_level);
		return -EINVAL;
	}
	log_set_level(level);
	return 0;
}

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
	struct overrides overrides = { 0 };
	struct acs_config config;
	struct controller controller;
	struct MHD_Daemon *cwmp_daemon = NULL, *api_daemon = NULL;
	struct connection_guard guard = { 0 };
	struct login_limit cwmp_logins = { 0 }, api_logins = { 0 };
	char token[4096];
	uint16_t cwmp_port = 0, api_port = 0;
	sigset_t signals;
	int status = 1;

	log_init("cascade-acs");
	if (parse_arguments(argc, argv, &overrides) < 0)
		return 2;
	acs_config_defaults(&config);
	if (overrides.config && acs_config_load(&config, overrides.config) < 0)
		return 2;
	if (apply_overrides(&config, &overrides) < 0 || read_token(config.api_token_file, token, sizeof(token)) < 0)
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
	if (connection_requester_start(&controller) < 0)
		goto out;
	if (cwmp_server_start(&controller, &cwmp_daemon, &cwmp_port) < 0 ||
	    api_server_start(&controller, token[0] ? token : NULL, &api_daemon, &api_port) < 0)
		goto out;
	{
		char host[128];

		snprintf(host, sizeof(host), "%s", config.cwmp_address);
		*strrchr(host, ':') = '\0';
		log_info("cwmp listening on %s:%u", host, cwmp_port);
		snprintf(host, sizeof(host), "%s", config.api_address);
		*strrchr(host, ':') = '\0';
		log_info("api listening on %s:%u", host, api_port);
	}
	run(&controller);
	status = 0;
out:
	if (api_daemon) /* its handlers wait for commits: the writer still runs */
		MHD_stop_daemon(api_daemon);
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
	credentials_free(controller.credentials);
	controller_destroy(&controller);
	curl_global_cleanup();
	return status;
}
