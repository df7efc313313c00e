/* cascade-cpe's agent: owns the parameter store, the durable queues, the
 * download worker, the connection-request listener and the CPU meter, and
 * runs the scheduling loop on the calling thread - when to open a CWMP
 * session (boot, periodic Inform with jitter, connection request, a
 * finished download), which events it carries, and the back-off after a
 * failed session. */
#ifndef CASCADE_CPE_AGENT_H
#define CASCADE_CPE_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpe/agent_state.h"
#include "cpe/config.h"
#include "cpe/connection_request.h"
#include "cpe/cpu_meter.h"
#include "cpe/data_model.h"
#include "cpe/download_queue.h"
#include "cpe/download_worker.h"
#include "cpe/events.h"
#include "cpe/parameter_store.h"
#include "cpe/rpc.h"
#include "cpe/session.h"
#include "cpe/transfer_store.h"

struct agent {
	struct cpe_config config;
	int lock_fd;                        /* flock on DATA_DIR/.lock */
	struct cpe_cpu_meter cpu;
	struct data_model_context model;
	struct parameter_store parameters;
	struct agent_state state;
	struct transfer_store transfers;
	struct download_queue downloads;
	struct download_worker worker;
	struct connection_request_listener listener;
	bool listener_started;
	struct rpc_context rpc;
	struct session_context session;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	bool connection_requested;
	bool transfer_ready;
	struct event_set pending;
	unsigned int retry_count;           /* failed sessions in a row */
	uint64_t next_attempt_ms;           /* no session before this */
	uint64_t next_periodic_ms;          /* 0: periodic Inform off */
	uint64_t periodic_generation;       /* parameter generation it was computed at */
};

/* Sets everything up from config (copied); logs and returns a negative
 * errno when the agent cannot run. */
int agent_open(struct agent *agent, const struct cpe_config *config);
/* Runs until agent_request_stop. */
int agent_run(struct agent *agent);
/* Thread-safe; the loop, a running session and a fetch end promptly. */
void agent_request_stop(struct agent *agent);
void agent_close(struct agent *agent);

#endif
