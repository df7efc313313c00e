/* cascade-master: the io_uring zero-copy HTTP/1.1 server of verified
 * images (also the origin with --origin). Reads its settings, starts the
 * event loops and runs the control loop until SIGTERM has drained them. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "master/config.h"
#include "master/server.h"

int main(int argc, char **argv)
{
	struct master_config config;
	struct server *server;
	sigset_t signals;
	int result;

	log_init("cascade-master");
	master_config_defaults(&config);
	result = master_config_from_arguments(&config, argc, argv);
	if (result == 1)
		return 0;
	if (result != 0)
		return 2;
	log_set_level(config.log_level);

	/* Event loops inherit this mask; only the control loop takes signals. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);

	server = calloc(1, sizeof(*server));
	if (server == NULL) {
		log_error("out of memory");
		return 1;
	}
	result = server_start(server, &config);
	if (result != 0) {
		log_error("cannot start: %s", strerror(-result));
		server_stop(server);
		free(server);
		return 1;
	}
	result = control_run(server);
	server_stop(server);
	free(server);
	return result;
}
