/* cascade-master's side of the eBPF group egress meter: attach at start on
 * the configured interface, registering this server's listen port with the
 * meter (pins reused, so counters survive a restart), map the configured
 * destination prefixes to groups, and report the meter as the kernel has
 * it in /-/stats and /metrics. Without root, BTF or bpffs the server keeps
 * serving without meters and says why in /-/stats.
 *
 * The meter's counters are host-wide (one set per pin directory, whatever
 * number of servers share it): /-/stats of every server shows them, but on
 * /metrics only the server that holds the pin directory's exporter lease
 * exports the cascade_meter_* series, so a Prometheus sum over servers
 * counts each byte once. When that server exits another takes the lease
 * at its next scrape. */
#ifndef CASCADE_MASTER_GROUP_METER_H
#define CASCADE_MASTER_GROUP_METER_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "master/config.h"
#include "meter/meter_error.h"

struct group_meter;

struct master_group_meter {
	bool started;
	bool enabled;                    /* --meter true: eBPF meters wanted */
	struct group_meter *meter;       /* NULL: serving without the group meter */
	uint16_t port;                   /* this server's port, registered with the meter */
	char interface[32];
	char pin_dir[256];
	char reason[METER_ERROR_MESSAGE_SIZE]; /* why there is no meter, or "" */
	pthread_mutex_t lease_lock;
	int lease_fd;                    /* the exporter lease, -1 when not held */
};

/* Attaches (or, with the meter turned off, records why not). Never fails
 * the server: on error it logs one line and leaves gm->meter NULL. */
void master_group_meter_start(struct master_group_meter *gm, const struct master_config *config,
			      uint16_t listen_port);
/* Closes the handle and gives up the exporter lease; the filter stays
 * attached and counting (a restarted master reuses it). */
void master_group_meter_stop(struct master_group_meter *gm);
/* Takes or keeps the exporter lease; true while this server exports. */
bool master_group_meter_exporter(struct master_group_meter *gm);
/* {"attached", "interface", "pin_dir", "reason", "exporter", "ports",
 *  "every_packet", "port_counted", "shaper", "shaper_state", "groups": {...}} */
json_t *master_group_meter_json(struct master_group_meter *gm, bool exporter);
/* cascade_master_meter_attached and _exporter; the host-wide
 * cascade_meter_* series when exporter. */
void master_group_meter_write_metrics(struct master_group_meter *gm, FILE *out, bool exporter);

#endif
