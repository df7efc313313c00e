/* The download worker thread: takes accepted Downloads from the queue in
 * order, waits out DelaySeconds, fetches (resuming), verifies, installs or
 * publishes, stores the TransferComplete record, dequeues, and tells the
 * agent to open a session. A shutdown interrupts a fetch and leaves the
 * request and its partial file for the next start. */
#ifndef CASCADE_CPE_DOWNLOAD_WORKER_H
#define CASCADE_CPE_DOWNLOAD_WORKER_H

#include <pthread.h>
#include <stdbool.h>

#include "cpe/agent_state.h"
#include "cpe/config.h"
#include "cpe/download_queue.h"
#include "cpe/parameter_store.h"
#include "cpe/transfer_store.h"

struct download_worker {
	const struct cpe_config *config;
	struct download_queue *queue;
	struct transfer_store *transfers;
	struct agent_state *state;
	struct parameter_store *parameters;
	/* Called (from the worker thread) after a TransferComplete is stored. */
	void (*on_transfer_complete)(void *context);
	void *context;
	pthread_t thread;
	bool started;
};

int download_worker_start(struct download_worker *worker);
/* Stops the queue (interrupting a fetch) and joins the thread. */
void download_worker_stop(struct download_worker *worker);
/* Removes downloads/ files untouched for a day, except the partial file
 * and progress record of every queued request (they resume). */
void download_worker_remove_stale_partials(struct download_worker *worker);
/* Carries out one request (no queue changes): fills record with its
 * outcome. Returns 0, or -ECANCELED when a shutdown interrupted it. */
int download_worker_run_one(struct download_worker *worker, const struct download_request *request,
			    struct transfer_record *record);

#endif
