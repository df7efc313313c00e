/* The agent's setup, scheduling loop and shutdown (see agent.h). */
#include "cpe/agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "cpe/backoff.h"

#define CPU_SAMPLE_INTERVAL_MS 5000
#define IDLE_WAKE_MS           60000

static bool agent_stopping(void *argument)
{
	struct agent *agent = argument;
	bool stopping;

	pthread_mutex_lock(&agent->lock);
	stopping = agent->stopping;
	pthread_mutex_unlock(&agent->lock);
	return stopping;
}

static void on_connection_request(void *argument)
{
	struct agent *agent = argument;

	pthread_mutex_lock(&agent->lock);
	agent->connection_requested = true;
	pthread_cond_signal(&agent->wake);
	pthread_mutex_unlock(&agent->lock);
}

static void on_transfer_complete(void *argument)
{
	struct agent *agent = argument;

	pthread_mutex_lock(&agent->lock);
	agent->transfer_ready = true;
	pthread_cond_signal(&agent->wake);
	pthread_mutex_unlock(&agent->lock);
}

static int lock_data_dir(struct agent *agent)
{
	char path[CPE_PATH_MAX + 16];

	if (mkdir(agent->config.data_dir, 0700) < 0 && errno != EEXIST) {
		log_error("cannot create data directory %s: %s", agent->config.data_dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/.lock", agent->config.data_dir);
	agent->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (agent->lock_fd < 0) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(agent->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		log_error("another cascade-cpe is using %s", agent->config.data_dir);
		return -EBUSY;
	}
	return 0;
}

/* Events every stored TransferComplete needs in the Inform that carries it. */
static void add_transfer_events(struct agent *agent)
{
	struct transfer_record records[TRANSFER_STORE_MAX];
	size_t count = transfer_store_snapshot(&agent->transfers, records, TRANSFER_STORE_MAX);

	for (size_t i = 0; i < count; i++) {
		event_set_add(&agent->pending, EVENT_TRANSFER_COMPLETE, "");
		event_set_add(&agent->pending, EVENT_M_DOWNLOAD, records[i].command_key);
	}
}

static int open_stores(struct agent *agent)
{
	char path[CPE_PATH_MAX + 32];
	int result;

	snprintf(path, sizeof(path), "%s/parameters.json", agent->config.data_dir);
	result = parameter_store_init(&agent->parameters, agent->config.root, path);
	if (result == 0)
		result = data_model_build(&agent->parameters, &agent->model);
	if (result == 0)
		result = agent_state_open(&agent->state, agent->config.data_dir);
	if (result == 0)
		result = transfer_store_open(&agent->transfers, agent->config.data_dir);
	if (result == 0)
		result = download_queue_open(&agent->downloads, agent->config.data_dir);
	if (result < 0)
		log_error("cannot load the agent's state from %s: %s", agent->config.data_dir, strerror(-result));
	return result;
}

int agent_open(struct agent *agent, const struct cpe_config *config)
{
	int result;

	memset(agent, 0, sizeof(*agent));
	agent->config = *config;
	agent->lock_fd = -1;
	pthread_mutex_init(&agent->lock, NULL);
	monotonic_condition_init(&agent->wake);
	result = lock_data_dir(agent);
	if (result < 0)
		return result;
	cpe_cpu_meter_open(&agent->cpu, &agent->config);
	agent->model = (struct data_model_context){ &agent->config, &agent->cpu, monotonic_ms() };
	result = open_stores(agent);
	if (result < 0)
		return result;
	download_queue_reconcile(&agent->downloads, &agent->transfers);
	agent->rpc = (struct rpc_context){ &agent->config, &agent->parameters, &agent->downloads, NULL };
	agent->session = (struct session_context){
		.config = &agent->config,
		.parameters = &agent->parameters,
		.transfers = &agent->transfers,
		.rpc = &agent->rpc,
		.stopping = agent_stopping,
		.stopping_context = agent,
	};
	if (agent->config.connection_request_address[0]) {
		result = connection_request_start(&agent->listener, &agent->config, &agent->parameters,
						  on_connection_request, agent);
		if (result < 0)
			return result;
		agent->listener_started = true;
	}
	agent->worker = (struct download_worker){
		.config = &agent->config,
		.queue = &agent->downloads,
		.transfers = &agent->transfers,
		.state = &agent->state,
		.parameters = &agent->parameters,
		.on_transfer_complete = on_transfer_complete,
		.context = agent,
	};
	result = download_worker_start(&agent->worker);
	if (result < 0) {
		log_error("cannot start the download worker: %s", strerror(-result));
		return result;
	}
	if (agent_state_needs_bootstrap(&agent->state, agent->config.acs_url))
		event_set_add(&agent->pending, EVENT_BOOTSTRAP, "");
	event_set_add(&agent->pending, EVENT_BOOT, "");
	add_transfer_events(agent);
	/* After a mass power cut, devices do not all inform in the same second. */
	if (agent->config.startup_jitter_ms)
		agent->next_attempt_ms = monotonic_ms() + random_u64() % (agent->config.startup_jitter_ms + 1);
	log_info("cascade-cpe %s-%s-%s started (boot %" PRIu64 "), ACS %s, data %s%s", agent->config.oui,
		 agent->config.product_class, agent->config.serial, agent_state_count_boot(&agent->state),
		 agent->config.acs_url, agent->config.data_dir,
		 cpe_config_is_master(&agent->config) ? ", master role" : "");
	return 0;
}

/* Recomputes the next periodic Inform when enabled or its interval changed. */
static void schedule_periodic(struct agent *agent, uint64_t now, bool force)
{
	uint64_t generation = parameter_store_generation(&agent->parameters);
	uint64_t interval_ms;

	if (!force && generation == agent->periodic_generation)
		return;
	agent->periodic_generation = generation;
	if (!parameter_store_get_bool(&agent->parameters, PARAM_PERIODIC_ENABLE, true)) {
		agent->next_periodic_ms = 0;
		return;
	}
	interval_ms = parameter_store_get_unsigned(&agent->parameters, PARAM_PERIODIC_INTERVAL, 300) * 1000;
	agent->next_periodic_ms =
		now + periodic_wait_ms(interval_ms, agent->config.periodic_jitter_percent, random_u64());
}

static void wait_for_work(struct agent *agent, uint64_t now, uint64_t next_cpu_sample)
{
	uint64_t deadline = now + IDLE_WAKE_MS;
	struct timespec until;

	if (agent->pending.count && agent->next_attempt_ms < deadline)
		deadline = agent->next_attempt_ms;
	if (agent->next_periodic_ms && agent->next_periodic_ms < deadline)
		deadline = agent->next_periodic_ms;
	if (next_cpu_sample < deadline)
		deadline = next_cpu_sample;
	if (deadline <= now || agent->stopping || agent->connection_requested || agent->transfer_ready)
		return;
	monotonic_deadline(&until, deadline - now);
	pthread_cond_timedwait(&agent->wake, &agent->lock, &until);
}

/* Removes the events the ACS acknowledged (those the Inform carried). */
static void forget_delivered(struct agent *agent, const struct event_set *delivered)
{
	struct event_set kept = { 0 };

	for (size_t i = 0; i < agent->pending.count; i++) {
		const struct event_entry *entry = &agent->pending.entries[i];
		bool sent = false;

		for (size_t j = 0; j < delivered->count && !sent; j++)
			sent = strcmp(delivered->entries[j].code, entry->code) == 0 &&
			       strcmp(delivered->entries[j].command_key, entry->command_key) == 0;
		if (!sent)
			event_set_add(&kept, entry->code, entry->command_key);
	}
	agent->pending = kept;
}

static void session_failed(struct agent *agent, const struct session_outcome *outcome, uint64_t now)
{
	struct retry_policy policy = { agent->config.retry_min_wait_ms, agent->config.retry_multiplier,
				       agent->config.retry_max_wait_ms };
	uint64_t wait;

	agent->retry_count++;
	wait = retry_wait_ms(&policy, agent->retry_count, outcome->retry_after_ms, random_u64());
	agent->next_attempt_ms = now + wait;
	log_warn("session failed: %s; retry %u in %.1f s", outcome->error, agent->retry_count, (double)wait / 1000.0);
}

/* Runs one session with the pending events (lock held, released meanwhile). */
static void run_session(struct agent *agent)
{
	struct event_set events = agent->pending;
	struct session_outcome outcome;
	unsigned int retry_count = agent->retry_count;
	char described[512];
	uint64_t now;
	int result;

	pthread_mutex_unlock(&agent->lock);
	event_set_describe(&events, described, sizeof(described));
	log_info("session: Inform with %s (retry %u)", described, retry_count);
	result = session_run(&agent->session, &events, retry_count, &outcome);
	if (outcome.informed && event_set_has(&events, EVENT_BOOTSTRAP))
		agent_state_set_bootstrapped(&agent->state, agent->config.acs_url);
	pthread_mutex_lock(&agent->lock);
	now = monotonic_ms();
	if (outcome.informed)
		forget_delivered(agent, &events);
	if (result == -ECANCELED || agent->stopping)
		return;
	if (result < 0) {
		add_transfer_events(agent);
		session_failed(agent, &outcome, now);
		return;
	}
	log_info("session done: %u ACS request(s), %u TransferComplete(s) delivered", outcome.acs_requests,
		 outcome.transfers_delivered);
	if (outcome.transfers_left && !outcome.transfers_delivered) {
		/* The ACS held or refused them: try again later, not at once. */
		snprintf(outcome.error, sizeof(outcome.error), "%u TransferComplete(s) not acknowledged",
			 outcome.transfers_left);
		add_transfer_events(agent);
		session_failed(agent, &outcome, now);
		return;
	}
	agent->retry_count = 0;
	agent->next_attempt_ms = now;
	if (outcome.transfers_left)
		add_transfer_events(agent);
}

int agent_run(struct agent *agent)
{
	uint64_t next_cpu_sample = monotonic_ms() + CPU_SAMPLE_INTERVAL_MS;

	pthread_mutex_lock(&agent->lock);
	schedule_periodic(agent, monotonic_ms(), true);
	while (!agent->stopping) {
		uint64_t now = monotonic_ms();
		uint32_t ignored;

		if (now >= next_cpu_sample) {
			pthread_mutex_unlock(&agent->lock);
			cpe_cpu_meter_sample(&agent->cpu, &ignored);
			pthread_mutex_lock(&agent->lock);
			next_cpu_sample = now + CPU_SAMPLE_INTERVAL_MS;
		}
		schedule_periodic(agent, now, false);
		if (agent->connection_requested) {
			agent->connection_requested = false;
			event_set_add(&agent->pending, EVENT_CONNECTION_REQUEST, "");
			agent->next_attempt_ms = now; /* the ACS is up: no need to wait out a back-off */
		}
		if (agent->transfer_ready) {
			agent->transfer_ready = false;
			add_transfer_events(agent);
		}
		if (agent->next_periodic_ms && now >= agent->next_periodic_ms) {
			event_set_add(&agent->pending, EVENT_PERIODIC, "");
			schedule_periodic(agent, now, true);
		}
		if (agent->pending.count && now >= agent->next_attempt_ms) {
			run_session(agent);
			continue;
		}
		wait_for_work(agent, now, next_cpu_sample);
	}
	pthread_mutex_unlock(&agent->lock);
	log_info("stopping");
	return 0;
}

void agent_request_stop(struct agent *agent)
{
	pthread_mutex_lock(&agent->lock);
	agent->stopping = true;
	pthread_cond_broadcast(&agent->wake);
	pthread_mutex_unlock(&agent->lock);
	download_queue_stop(&agent->downloads);
}

void agent_close(struct agent *agent)
{
	download_worker_stop(&agent->worker);
	if (agent->listener_started)
		connection_request_stop(&agent->listener);
	download_queue_close(&agent->downloads);
	transfer_store_close(&agent->transfers);
	agent_state_close(&agent->state);
	parameter_store_destroy(&agent->parameters);
	cpe_cpu_meter_close(&agent->cpu);
	if (agent->lock_fd >= 0)
		close(agent->lock_fd);
	pthread_cond_destroy(&agent->wake);
	pthread_mutex_destroy(&agent->lock);
}
