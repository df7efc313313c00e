/* One CWMP session (TR-069 3.7): Inform → InformResponse, the pending
 * TransferCompletes (each removed from its store only on a
 * TransferCompleteResponse), an empty POST, then the ACS's RPCs one at a
 * time until it answers 204 (or an empty 200). Bounded in exchanges and
 * time; a malformed ACS request is answered with a fault and the session
 * goes on. */
#ifndef CASCADE_CPE_SESSION_H
#define CASCADE_CPE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "cpe/config.h"
#include "cpe/events.h"
#include "cpe/parameter_store.h"
#include "cpe/rpc.h"
#include "cpe/transfer_store.h"

#define SESSION_MAX_EXCHANGES 1000
#define SESSION_MAX_MS        (10 * 60 * 1000)

struct session_context {
	const struct cpe_config *config;
	struct parameter_store *parameters;
	struct transfer_store *transfers;
	struct rpc_context *rpc;
	unsigned int next_id;
	/* Polled between exchanges; true ends the session early (shutdown). */
	bool (*stopping)(void *context);
	void *stopping_context;
};

struct session_outcome {
	bool informed;              /* InformResponse received: events delivered */
	bool completed;             /* ended by the ACS with 204 */
	long http_status;           /* of the failing exchange */
	uint64_t retry_after_ms;    /* from a 503 */
	unsigned int transfers_delivered;
	unsigned int transfers_left;
	unsigned int acs_requests;
	char error[300];
};

/* Runs a session carrying events. Returns 0 when it completed, or a
 * negative errno with outcome->error saying what went wrong. */
int session_run(struct session_context *context, const struct event_set *events, unsigned int retry_count,
		struct session_outcome *outcome);

/* Builds and encodes the Inform (inform.c). */
int inform_encode(struct session_context *context, const struct event_set *events, unsigned int retry_count,
		  const char *id, char **body, size_t *length);

#endif
