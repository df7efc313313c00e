/* cascade-master's link to the eBPF group egress meter: attach at start on
 * the configured interface (pins reused, so counters survive a restart),
 * map the configured destination prefixes to groups, and report the meter's
 * per-group totals in /-/stats and /metrics. Without root, BTF or bpffs the
 * server keeps serving without meters and says why in /-/stats. */
#ifndef CASCADE_MASTER_GROUP_METER_H
#define CASCADE_MASTER_GROUP_METER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "master/config.h"
#include "meter/meter_error.h"

struct group_meter;

struct master_group_meter {
	struct group_meter *meter;      /* NULL: serving without meters */
	char interface[32];
	char pin_dir[256];
	char reason[METER_ERROR_MESSAGE_SIZE]; /* why there is no meter, or "" */
};

/* Attaches (or, with the meter turned off, records why not). Never fails
 * the server: on error it logs one line and leaves link->meter NULL. */
void master_group_meter_start(struct master_group_meter *link, const struct master_config *config,
		      uint16_t listen_port);
/* Closes the handle; the filter stays attached and counting (a restarted
 * master reuses it). */
void master_group_meter_stop(struct master_group_meter *link);
/* {"attached": bool, "interface", "pin_dir", "reason", "groups": {...}} */
json_t *master_group_meter_json(const struct master_group_meter *link);
void master_group_meter_write_metrics(const struct master_group_meter *link, FILE *out);

#endif
