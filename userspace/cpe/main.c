/* cascade-cpe: the cascade device agent. Parses flags and the config file,
 * opens the agent, and runs its loop on the main thread while a signal
 * thread turns SIGTERM/SIGINT into a clean stop (SIGHUP is ignored). */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "cpe/agent.h"
#include "cwmp/cwmp.h"

struct signal_thread {
	pthread_t thread;
	sigset_t signals;
	struct agent *agent;
};

static void *wait_for_signal(void *argument)
{
	struct signal_thread *context = argument;
	int received = 0;

	for (;;) {
		if (sigwait(&context->signals, &received) != 0)
			continue;
		if (received == SIGUSR1) /* agent_close asked this thread to end */
			return NULL;
		if (received == SIGHUP) {
			log_info("SIGHUP ignored: restart cascade-cpe to apply a new configuration");
			continue;
		}
		log_info("signal %d: stopping", received);
		agent_request_stop(context->agent);
		return NULL;
	}
}

int main(int argc, char **argv)
{
	static struct agent agent;
	struct cpe_config config;
	struct signal_thread signals = { .agent = &agent };
	int result;

	log_init("cascade-cpe");
	cpe_config_defaults(&config);
	result = cpe_config_from_arguments(&config, argc, argv);
	if (result != 0)
		return result > 0 ? 0 : 2;
	log_set_level((enum log_level)config.log_level);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&signals.signals);
	sigaddset(&signals.signals, SIGTERM);
	sigaddset(&signals.signals, SIGINT);
	sigaddset(&signals.signals, SIGUSR1);
	sigaddset(&signals.signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals.signals, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("cannot initialise libcurl");
		return 1;
	}
	cwmp_init();
	result = agent_open(&agent, &config);
	if (result == 0 && pthread_create(&signals.thread, NULL, wait_for_signal, &signals) != 0)
		result = -EAGAIN;
	if (result == 0) {
		result = agent_run(&agent);
		pthread_kill(signals.thread, SIGUSR1);
		pthread_join(signals.thread, NULL);
	}
	agent_close(&agent);
	curl_global_cleanup();
	return result == 0 ? 0 : 1;
}
