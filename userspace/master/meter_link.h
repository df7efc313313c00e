/* cascade-master's link to the eBPF group egress meter: attach at start on
 * the configured interface (pins reused, so counters survive a restart),
 * map the configured destination prefixes to groups, and report the meter's
 * per-group totals in /-/stats and /metrics. Without root, BTF or bpffs the
 * server keeps serving without meters and says why in /-/stats. */
#ifndef CASCADE_MASTER_METER_LINK_H
#define CASCADE_MASTER_METER_LINK_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "master/config.h"

struct egress_meter;

struct meter_link {
	struct egress_meter *meter;      /* NULL: serving without meters */
	char interface[32];
	char pin_dir[256];
	char reason[320];                /* why there is no meter, or "" */
};

/* Attaches (or, with the meter turned off, records why not). Never fails
 * the server: on error it logs one line and leaves link->meter NULL. */
void meter_link_start(struct meter_link *link, const struct master_config *config,
		      uint16_t listen_port);
/* Closes the handle; the filter stays attached and counting (a restarted
 * master reuses it). */
void meter_link_stop(struct meter_link *link);
/* {"attached": bool, "interface", "pin_dir", "reason", "groups": {...}} */
json_t *meter_link_json(const struct meter_link *link);
void meter_link_write_metrics(const struct meter_link *link, FILE *out);

#endif
