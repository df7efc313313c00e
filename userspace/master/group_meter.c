/* Attaching the group egress meter for cascade-master and reading it for
 * the statistics endpoints. */
#include "master/group_meter.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "meter/group_meter.h"
#include "meter_types.h"

#define METER_GROUPS_REPORTED 4096

/* The ports already counted by a meter pinned in pin_dir, plus ours, so
 * several servers sharing one interface and pin folder (an origin and
 * masters on one host) are all counted. Returns how many; 0 = count all. */
static size_t merged_ports(const char *pin_dir, uint16_t own_port, uint16_t *ports)
{
	struct group_meter *existing = NULL;
	struct group_meter_status status;
	size_t count = 0;

	ports[count++] = own_port;
	if (group_meter_open(pin_dir, &existing, NULL) != 0)
		return count;
	memset(&status, 0, sizeof(status));
	if (group_meter_get_status(existing, &status, NULL) != 0) {
		group_meter_close(existing);
		return count;
	}
	if (status.port_count == 0)
		count = 0;           /* the pinned meter already counts every packet */
	for (uint32_t i = 0; count > 0 && i < status.port_count && i < METER_MAX_PORTS; i++) {
		bool known = false;

		for (size_t j = 0; j < count; j++)
			known = known || ports[j] == status.ports[i];
		if (known)
			continue;
		if (count == METER_MAX_PORTS)
			count = 0;   /* too many servers on one meter: count every packet */
		else
			ports[count++] = status.ports[i];
	}
	group_meter_close(existing);
	return count;
}

static void apply_group_prefixes(struct master_group_meter *link, const struct master_config *config)
{
	for (unsigned int i = 0; i < config->group_prefix_count; i++) {
		struct meter_error error;

		if (group_meter_set_prefix(link->meter, config->group_prefixes[i].prefix,
					    config->group_prefixes[i].group, &error) != 0)
			log_warn("meter: group %" PRIu32 " prefix %s not applied: %s",
				 config->group_prefixes[i].group, config->group_prefixes[i].prefix,
				 error.message);
	}
}

void master_group_meter_start(struct master_group_meter *link, const struct master_config *config,
		      uint16_t listen_port)
{
	struct group_meter_options options;
	struct meter_error error;
	uint16_t ports[METER_MAX_PORTS];

	memset(link, 0, sizeof(*link));
	snprintf(link->interface, sizeof(link->interface), "%s", config->meter_interface);
	snprintf(link->pin_dir, sizeof(link->pin_dir), "%s", config->bpf_pin_dir);
	if (!config->meter) {
		snprintf(link->reason, sizeof(link->reason), "turned off (--meter false)");
		log_info("serving without the group meter: turned off");
		return;
	}
	memset(&options, 0, sizeof(options));
	options.pin_dir = link->pin_dir;
	options.interface = link->interface;
	options.ports = ports;
	options.port_count = merged_ports(link->pin_dir, listen_port, ports);
	if (group_meter_attach(&options, &link->meter, &error) != 0) {
		link->meter = NULL;
		snprintf(link->reason, sizeof(link->reason), "%s", error.message);
		log_warn("serving without the group meter: %s", error.message);
		return;
	}
	apply_group_prefixes(link, config);
	log_info("group meter attached on %s (maps pinned in %s, %zu server ports counted%s)",
		 link->interface, link->pin_dir, options.port_count,
		 options.port_count == 0 ? ": every packet" : "");
}

void master_group_meter_stop(struct master_group_meter *link)
{
	if (link->meter != NULL)
		group_meter_close(link->meter);
	link->meter = NULL;
}

/* Reads every group's totals; returns how many (0 on error). */
static size_t read_totals(const struct master_group_meter *link, struct group_meter_totals **totals)
{
	size_t count = 0;

	*totals = NULL;
	if (link->meter == NULL)
		return 0;
	*totals = calloc(METER_GROUPS_REPORTED, sizeof(**totals));
	if (*totals == NULL)
		return 0;
	if (group_meter_read(link->meter, *totals, METER_GROUPS_REPORTED, &count, NULL) != 0)
		return 0;
	return count < METER_GROUPS_REPORTED ? count : METER_GROUPS_REPORTED;
}

json_t *master_group_meter_json(const struct master_group_meter *link)
{
	struct group_meter_totals *totals;
	size_t count = read_totals(link, &totals);
	json_t *groups = json_object();
	char key[16];

	for (size_t i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "%" PRIu32, totals[i].group);
		json_object_set_new(groups, key, json_pack("{s:I, s:I, s:I, s:I}",
			"bytes", (json_int_t)totals[i].bytes,
			"packets", (json_int_t)totals[i].packets,
			"cap_bytes_per_second", (json_int_t)totals[i].cap_bytes_per_second,
			"dropped_packets", (json_int_t)(totals[i].dropped_packets +
							totals[i].shaper_dropped_packets)));
	}
	free(totals);
	return json_pack("{s:b, s:s, s:s, s:s?, s:o}", "attached", link->meter != NULL,
			 "interface", link->interface, "pin_dir", link->pin_dir,
			 "reason", link->reason[0] ? link->reason : NULL, "groups", groups);
}

void master_group_meter_write_metrics(const struct master_group_meter *link, FILE *out)
{
	struct group_meter_totals *totals;
	size_t count = read_totals(link, &totals);

	fprintf(out, "# HELP cascade_master_meter_attached 1 when the eBPF group meter counts egress.\n"
		     "# TYPE cascade_master_meter_attached gauge\n"
		     "cascade_master_meter_attached %d\n", link->meter != NULL);
	if (count > 0)
		fprintf(out, "# HELP cascade_meter_group_bytes_total Frame bytes out per group (eBPF, tc egress).\n"
			     "# TYPE cascade_meter_group_bytes_total counter\n");
	for (size_t i = 0; i < count; i++)
		fprintf(out, "cascade_meter_group_bytes_total{group=\"%" PRIu32 "\"} %" PRIu64 "\n",
			totals[i].group, totals[i].bytes);
	free(totals);
}
