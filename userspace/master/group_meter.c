/* Attaching the group egress meter for cascade-master and reading it, as
 * the kernel has it, for /-/stats and /metrics (see group_meter.h). */
#include "master/group_meter.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "master/stats.h"
#include "meter/group_meter.h"
#include "meter_types.h"

#define METER_GROUPS_REPORTED 4096

static void apply_group_prefixes(struct master_group_meter *gm, const struct master_config *config)
{
	for (unsigned int i = 0; i < config->group_prefix_count; i++) {
		struct meter_error error;

		if (group_meter_set_prefix(gm->meter, config->group_prefixes[i].prefix,
					   config->group_prefixes[i].group, &error) != 0)
			log_warn("meter: group %" PRIu32 " prefix %s not applied: %s",
				 config->group_prefixes[i].group, config->group_prefixes[i].prefix,
				 error.message);
	}
}

void master_group_meter_start(struct master_group_meter *gm, const struct master_config *config,
			      uint16_t listen_port)
{
	struct group_meter_options options;
	struct group_meter_status status;
	struct meter_error error;

	memset(gm, 0, sizeof(*gm));
	gm->started = true;
	gm->lease_fd = -1;
	pthread_mutex_init(&gm->lease_lock, NULL);
	gm->port = listen_port;
	snprintf(gm->interface, sizeof(gm->interface), "%s", config->meter_interface);
	snprintf(gm->pin_dir, sizeof(gm->pin_dir), "%s", config->bpf_pin_dir);
	gm->enabled = config->meter;
	if (!config->meter) {
		snprintf(gm->reason, sizeof(gm->reason), "turned off (--meter false)");
		log_info("serving without the group meter: turned off");
		return;
	}
	memset(&options, 0, sizeof(options));
	options.pin_dir = gm->pin_dir;
	options.interface = gm->interface;
	options.ports = &gm->port;
	options.port_count = 1;
	if (group_meter_attach(&options, &gm->meter, &error) != 0) {
		gm->meter = NULL;
		snprintf(gm->reason, sizeof(gm->reason), "%s", error.message);
		log_warn("serving without the group meter: %s", error.message);
		return;
	}
	apply_group_prefixes(gm, config);
	if (group_meter_get_status(gm->meter, &status, NULL) == 0)
		log_info("group meter attached on %s (tc pref %u, maps pinned in %s, counting %s)", gm->interface,
			 status.tc_priority, gm->pin_dir, status.port_count == 0 ? "every packet" : "the registered ports");
}

void master_group_meter_stop(struct master_group_meter *gm)
{
	if (!gm->started)
		return;
	group_meter_close(gm->meter);
	gm->meter = NULL;
	meter_exporter_release(&gm->lease_fd);
	pthread_mutex_destroy(&gm->lease_lock);
	gm->started = false;
}

bool master_group_meter_exporter(struct master_group_meter *gm)
{
	bool exporter;

	if (!gm->started || !gm->enabled)
		return false;
	pthread_mutex_lock(&gm->lease_lock);
	exporter = meter_exporter_lease(gm->pin_dir, &gm->lease_fd);
	pthread_mutex_unlock(&gm->lease_lock);
	return exporter;
}

/* Reads every group's totals; returns how many (0 on error). */
static size_t read_totals(struct master_group_meter *gm, struct group_meter_totals **totals)
{
	size_t count = 0;

	*totals = NULL;
	if (gm->meter == NULL)
		return 0;
	*totals = calloc(METER_GROUPS_REPORTED, sizeof(**totals));
	if (*totals == NULL)
		return 0;
	if (group_meter_read(gm->meter, *totals, METER_GROUPS_REPORTED, &count, NULL) != 0)
		return 0;
	return count < METER_GROUPS_REPORTED ? count : METER_GROUPS_REPORTED;
}

/* The meter's status now; false (and status zeroed) without a meter. */
static bool read_status(struct master_group_meter *gm, struct group_meter_status *status)
{
	memset(status, 0, sizeof(*status));
	return gm->meter != NULL && group_meter_get_status(gm->meter, status, NULL) == 0;
}

static bool port_counted(const struct master_group_meter *gm, const struct group_meter_status *status)
{
	if (!status->attached)
		return false;
	if (status->port_count == 0)
		return true;
	for (uint32_t i = 0; i < status->port_count && i < METER_MAX_PORTS; i++)
		if (status->ports[i] == gm->port)
			return true;
	return false;
}

static const char *shaper_name(uint32_t shaper)
{
	return shaper == METER_SHAPER_HTB ? "htb" : shaper == METER_SHAPER_EDT ? "edt" : "none";
}

json_t *master_group_meter_json(struct master_group_meter *gm, bool exporter)
{
	struct group_meter_totals *totals;
	struct group_meter_status status;
	bool have_status = read_status(gm, &status);
	size_t count = read_totals(gm, &totals);
	json_t *groups = json_object(), *ports = json_array();
	const char *reason = gm->reason[0] ? gm->reason : have_status && status.problem[0] ? status.problem : NULL;
	char key[16];

	for (size_t i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "%" PRIu32, totals[i].group);
		json_object_set_new(groups, key, json_pack("{s:I, s:I, s:I, s:s?, s:I, s:I}",
			"bytes", (json_int_t)totals[i].bytes,
			"packets", (json_int_t)totals[i].packets,
			"cap_bytes_per_second", (json_int_t)totals[i].cap_bytes_per_second,
			"htb_class", totals[i].htb_class[0] ? totals[i].htb_class : NULL,
			"dropped_packets", (json_int_t)(totals[i].dropped_packets + totals[i].shaper_dropped_packets),
			"shaper_dropped_packets", (json_int_t)totals[i].shaper_dropped_packets));
	}
	free(totals);
	for (uint32_t i = 0; have_status && i < status.port_count && i < METER_MAX_PORTS; i++)
		json_array_append_new(ports, json_integer(status.ports[i]));
	return json_pack("{s:b, s:s, s:s, s:s?, s:b, s:o, s:b, s:b, s:s, s:s, s:o}",
			 "attached", have_status && status.attached, "interface", gm->interface, "pin_dir", gm->pin_dir,
			 "reason", reason, "exporter", exporter, "ports", ports,
			 "every_packet", have_status && status.port_count == 0,
			 "port_counted", have_status && port_counted(gm, &status),
			 "shaper", shaper_name(status.shaper),
			 "shaper_state", group_meter_shaper_state_name(status.shaper_state), "groups", groups);
}

/* One line of a per-group series: NAME{pin_dir="...",group="N"[,EXTRA]} VALUE */
static void group_line(FILE *out, const char *name, const char *pin_dir, uint32_t group, const char *extra,
		       uint64_t value)
{
	fprintf(out, "%s{pin_dir=\"", name);
	stats_write_label(out, pin_dir);
	fprintf(out, "\",group=\"%" PRIu32 "\"%s} %" PRIu64 "\n", group, extra, value);
}

static void write_group_series(FILE *out, const char *pin_dir, const struct group_meter_totals *totals,
			       size_t count)
{
	stats_metric_header(out, "cascade_meter_group_bytes_total", "counter",
			    "Frame bytes out per group (eBPF, tc egress; host-wide, one exporter per pin directory).");
	for (size_t i = 0; i < count; i++)
		group_line(out, "cascade_meter_group_bytes_total", pin_dir, totals[i].group, "", totals[i].bytes);
	stats_metric_header(out, "cascade_meter_group_packets_total", "counter", "Frames (segments) out per group.");
	for (size_t i = 0; i < count; i++)
		group_line(out, "cascade_meter_group_packets_total", pin_dir, totals[i].group, "", totals[i].packets);
	stats_metric_header(out, "cascade_meter_group_dropped_packets_total", "counter",
			    "Packets of a capped group dropped: past the EDT horizon, or by its htb class's queue.");
	for (size_t i = 0; i < count; i++) {
		group_line(out, "cascade_meter_group_dropped_packets_total", pin_dir, totals[i].group, ",where=\"horizon\"",
			   totals[i].dropped_packets);
		group_line(out, "cascade_meter_group_dropped_packets_total", pin_dir, totals[i].group, ",where=\"shaper\"",
			   totals[i].shaper_dropped_packets);
	}
	stats_metric_header(out, "cascade_meter_group_cap_bytes_per_second", "gauge",
			    "The cap of a group: its total payload rate, all its slaves together.");
	for (size_t i = 0; i < count; i++)
		if (totals[i].cap_bytes_per_second != 0)
			group_line(out, "cascade_meter_group_cap_bytes_per_second", pin_dir, totals[i].group, "",
				   totals[i].cap_bytes_per_second);
}

static void write_meter_series(FILE *out, const char *pin_dir, const struct group_meter_status *status)
{
	stats_metric_header(out, "cascade_meter_info", "gauge",
			    "The group meter of a pin directory as the kernel has it (attached, shaper, interface).");
	fprintf(out, "cascade_meter_info{pin_dir=\"");
	stats_write_label(out, pin_dir);
	fprintf(out, "\",interface=\"");
	stats_write_label(out, status->interface);
	fprintf(out, "\",attached=\"%d\",shaper=\"%s\",shaper_state=\"%s\"} 1\n", status->attached,
		shaper_name(status->shaper), group_meter_shaper_state_name(status->shaper_state));
	stats_metric_header(out, "cascade_meter_port_counted", "gauge",
			    "Server ports whose unmarked packets the meter counts (none listed: every packet).");
	for (uint32_t i = 0; i < status->port_count && i < METER_MAX_PORTS; i++) {
		fprintf(out, "cascade_meter_port_counted{pin_dir=\"");
		stats_write_label(out, pin_dir);
		fprintf(out, "\",port=\"%u\"} 1\n", status->ports[i]);
	}
}

void master_group_meter_write_metrics(struct master_group_meter *gm, FILE *out, bool exporter)
{
	struct group_meter_totals *totals;
	struct group_meter_status status;
	bool have_status = read_status(gm, &status);
	size_t count;

	stats_metric_header(out, "cascade_master_meter_attached", "gauge",
			    "1 when the eBPF group meter counts this server's egress.");
	fprintf(out, "cascade_master_meter_attached %d\n", have_status && port_counted(gm, &status));
	stats_metric_header(out, "cascade_master_meter_exporter", "gauge",
			    "1 when this server exports its pin directory's host-wide cascade_meter_* series.");
	fprintf(out, "cascade_master_meter_exporter %d\n", exporter);
	if (!exporter || !have_status)
		return;
	write_meter_series(out, gm->pin_dir, &status);
	count = read_totals(gm, &totals);
	write_group_series(out, gm->pin_dir, totals, count);
	free(totals);
}
