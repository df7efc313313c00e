/* Writes /metrics (see metrics_text.h): one table of the controller's own
 * counters and gauges, then the per-campaign device states, the build and
 * the process_* family Prometheus' client libraries export. */
#include "acs/metrics_text.h"
#include "acs/campaign.h"
#include "acs/connection_guard.h"
#include "acs/process_figures.h"
#include "acs/store.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/login_limit.h"
#include "common/settings.h"

enum family_type { GAUGE, COUNTER };

struct scalar {
	const char *name;
	enum family_type type;
	const char *help;
	uint64_t value;
};

static void family(FILE *out, const char *name, enum family_type type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type == COUNTER ? "counter" : "gauge");
}

static uint64_t relaxed(const uint64_t *value)
{
	return __atomic_load_n(value, __ATOMIC_RELAXED);
}

static void write_process(FILE *out)
{
	struct process_figures process;

	if (process_figures_read(&process) < 0)
		return; /* no /proc: the family is left out rather than shown as zeros */
	family(out, "process_cpu_seconds_total", COUNTER, "User and system CPU time spent, in seconds.");
	fprintf(out, "process_cpu_seconds_total %.2f\n", process.cpu_seconds);
	family(out, "process_resident_memory_bytes", GAUGE, "Resident memory size, in bytes.");
	fprintf(out, "process_resident_memory_bytes %llu\n", (unsigned long long)process.resident_bytes);
	family(out, "process_virtual_memory_bytes", GAUGE, "Virtual memory size, in bytes.");
	fprintf(out, "process_virtual_memory_bytes %llu\n", (unsigned long long)process.virtual_bytes);
	family(out, "process_open_fds", GAUGE, "Open file descriptors.");
	fprintf(out, "process_open_fds %llu\n", (unsigned long long)process.open_fds);
	if (process.max_fds) {
		family(out, "process_max_fds", GAUGE, "Most file descriptors the process may open.");
		fprintf(out, "process_max_fds %llu\n", (unsigned long long)process.max_fds);
	}
	family(out, "process_start_time_seconds", GAUGE, "Start time of the process since the Unix epoch, in seconds.");
	fprintf(out, "process_start_time_seconds %.2f\n", process.start_time_seconds);
}

char *metrics_text(struct controller *controller, size_t store_pending)
{
	const struct metrics *m = &controller->metrics;
	struct store_wal_figures wal = { 0 };
	uint64_t open_faults = 0, devices_with_faults = 0;
	char *text = NULL;
	size_t size = 0;
	FILE *out;

	if (controller->store)
		store_wal_figures(controller->store, &wal);
	for (size_t i = 0; i < controller->device_count; i++) {
		const struct device *device = controller->devices[i];

		if (device && device->open_faults) {
			open_faults += device->open_faults;
			devices_with_faults++;
		}
	}
	const struct scalar scalars[] = {
		{ "cascade_acs_devices", GAUGE, "Devices in the registry.", controller->device_count },
		{ "cascade_acs_groups", GAUGE, "Groups made by the grouping policy, emptied ones included.",
		  controller->group_count },
		{ "cascade_acs_sessions_open", GAUGE, "CWMP sessions open now.", controller->open_sessions },
		{ "cascade_acs_store_pending", GAUGE, "Write batches waiting for the database.", store_pending },
		{ "cascade_acs_replies_waiting", GAUGE, "CWMP replies held until their change is committed.",
		  relaxed(&m->replies_waiting) },
		{ "cascade_acs_faults_open", GAUGE, "Faults devices reported that no operator has cleared yet.",
		  open_faults },
		{ "cascade_acs_devices_with_faults", GAUGE, "Devices with at least one fault not cleared.",
		  devices_with_faults },
		{ "cascade_acs_store_failed_commits_total", COUNTER, "Database commits that failed.",
		  wal.failed_commits },
		{ "cascade_acs_wal_frames", GAUGE, "Pages in the write-ahead log not yet copied back.", wal.frames },
		{ "cascade_acs_wal_frames_written_total", COUNTER, "Pages appended to the write-ahead log.",
		  wal.frames_written },
		{ "cascade_acs_wal_checkpoints_total", COUNTER, "Complete checkpoints of the write-ahead log.",
		  wal.checkpoints },
		{ "cascade_acs_wal_forced_checkpoints_total", COUNTER,
		  "Checkpoints the writer ran itself because the write-ahead log passed its bound.",
		  wal.forced_checkpoints },
		{ "cascade_acs_http_requests_total", COUNTER, "CWMP HTTP requests handled.", m->http_requests },
		{ "cascade_acs_informs_total", COUNTER, "Informs accepted.", m->informs },
		{ "cascade_acs_sessions_total", COUNTER, "CWMP sessions opened.", m->sessions },
		{ "cascade_acs_transfer_completes_total", COUNTER, "TransferComplete requests received.",
		  m->transfer_completes },
		{ "cascade_acs_faults_received_total", COUNTER, "CWMP faults devices answered our requests with.",
		  m->faults_received },
		{ "cascade_acs_faults_sent_total", COUNTER, "CWMP faults sent to devices.", m->faults_sent },
		{ "cascade_acs_overload_rejections_total", COUNTER, "Informs answered 503 for lack of sessions or disk.",
		  m->overload_rejections },
		{ "cascade_acs_auth_failures_total", COUNTER, "Device requests refused for their credentials.",
		  relaxed(&m->auth_failures) },
		{ "cascade_acs_auth_blocked_addresses_total", COUNTER,
		  "Addresses blocked after too many failed logins (devices and API).",
		  (controller->cwmp_logins ? controller->cwmp_logins->blocked_total : 0) +
			  (controller->api_logins ? controller->api_logins->blocked_total : 0) },
		{ "cascade_acs_auth_refused_total", COUNTER, "Requests refused with 429 from blocked addresses.",
		  (controller->cwmp_logins ? controller->cwmp_logins->refused_total : 0) +
			  (controller->api_logins ? controller->api_logins->refused_total : 0) },
		{ "cascade_acs_slow_clients_closed_total", COUNTER,
		  "CWMP connections cut because a started request did not arrive within the request timeout.",
		  controller->guard ? controller->guard->closed_total : 0 },
		{ "cascade_acs_rpcs_sent_total", COUNTER, "Requests of ours sent to devices.", m->rpcs_sent },
		{ "cascade_acs_connection_requests_total", COUNTER, "Connection requests sent to devices.",
		  relaxed(&m->connection_requests) },
		{ "cascade_acs_connection_request_failures_total", COUNTER, "Connection requests that failed.",
		  relaxed(&m->connection_request_failures) },
	};

	out = open_memstream(&text, &size);
	if (!out)
		return NULL;
	family(out, "cascade_build_info", GAUGE, "The cascade build this cascade-acs is; the value is always 1.");
	fprintf(out, "cascade_build_info{program=\"cascade-acs\",version=\"%s\"} 1\n", settings_version());
	for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]); i++) {
		family(out, scalars[i].name, scalars[i].type, scalars[i].help);
		fprintf(out, "%s %llu\n", scalars[i].name, (unsigned long long)scalars[i].value);
	}
	family(out, "cascade_acs_campaign_devices", GAUGE, "Devices of each campaign by their state in it.");
	for (size_t i = 0; i < controller->campaign_count; i++) {
		const struct campaign *campaign = controller->campaigns[i];

		for (int state = 0; state < MEMBER_STATE_COUNT; state++)
			fprintf(out, "cascade_acs_campaign_devices{campaign=\"%u\",state=\"%s\"} %zu\n", campaign->id,
				member_state_name((enum member_state)state), campaign->counts[state]);
	}
	write_process(out);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
