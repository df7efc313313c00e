/* Counters behind /-/stats and /metrics: connections, requests by status,
 * body bytes in total, per image name and per group (group=N), and how
 * bodies were sent. Updated lock-free from every event loop (relaxed
 * atomics); the per-name and per-group registries only lock to add. */
#ifndef CASCADE_MASTER_STATS_H
#define CASCADE_MASTER_STATS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/manifest.h"
#include "master/pacing.h"
#include "master/tcp_memory.h"

#define STATS_MAX_NAMES  4096
#define STATS_MAX_GROUPS 4096

struct name_counters {
	uint64_t bytes;
	uint64_t requests;
	char name[MANIFEST_NAME_MAX + 1];
};

struct group_counters {
	uint32_t group;
	uint64_t bytes;
	uint64_t requests;
};

/* Statuses counted one by one; anything else lands in "other". */
#define STATS_STATUSES { 200, 206, 304, 400, 403, 404, 405, 408, 412, 413, 414, 416, 431, \
			 500, 501, 503, 505 }
#define STATS_STATUS_SLOTS 18

struct stats {
	uint64_t started_unix;
	uint64_t connections_open;
	uint64_t connections_accepted;
	uint64_t connections_rejected;       /* over --max-connections: 503 */
	uint64_t connections_timed_out;      /* idle, slow head, stalled */
	uint64_t connections_aborted;        /* client vanished mid-response */
	uint64_t requests;
	uint64_t status_counts[STATS_STATUS_SLOTS];
	uint64_t bytes_sent;                 /* body bytes */
	uint64_t splice_bytes;
	uint64_t zc_bytes;
	uint64_t copy_bytes;                 /* SENDMSG from an image mapping */
	uint64_t mapping_drops;              /* --mapped-resident-max: mappings' pages dropped */
	uint64_t sendfile_bytes;             /* sendfile in the event loop */
	uint64_t splice_operations;          /* splice SQEs (both directions) */
	uint64_t socket_full_waits;          /* POLLOUT waits before a splice */
	uint64_t send_gate_holds;            /* sends held while the host's TCP memory was high */
	uint64_t paced_bodies;               /* bodies sent under --pacing-rate */
	uint64_t slow_clients;               /* switched to non-blocking + POLLOUT */
	uint64_t zc_notifications;
	uint64_t zc_copied_notifications;    /* kernel fell back to copying */
	uint64_t reloads;
	uint64_t reload_failures;

	pthread_mutex_t registry_lock;
	size_t name_count;
	struct name_counters *names[STATS_MAX_NAMES];
	struct name_counters other_names;
	size_t group_count;
	struct group_counters *groups[STATS_MAX_GROUPS];
	struct group_counters other_groups;
};

void stats_init(struct stats *stats);
void stats_destroy(struct stats *stats);

static inline void stats_add(uint64_t *counter, uint64_t amount)
{
	__atomic_add_fetch(counter, amount, __ATOMIC_RELAXED);
}

static inline uint64_t stats_read(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

void stats_count_status(struct stats *stats, int status);
/* Counters for an image name / a group, created on first use; past the
 * registry limits the shared "other" counters. Never NULL. */
struct name_counters *stats_image_counters(struct stats *stats, const char *name);
struct group_counters *stats_group_counters(struct stats *stats, uint32_t group);

struct image_table;
struct master_group_meter;
struct master_cpu_meter;
struct server_state_view {
	const char *role;                /* "master" or "origin" */
	const char *send_mode;
	const char *congestion_control; /* of every connection */
	unsigned int threads;
	unsigned int max_connections;
	uint64_t zc_max_size;
	struct pacing_rule pacing;       /* --pacing-rate in effect (0: none), --pacing-from */
	uint64_t generation;
	int last_reload_error;
	struct master_group_meter *group_meter;  /* the eBPF meters (host-wide counters) */
	struct master_cpu_meter *cpu_meter;
	struct tcp_memory tcp_memory;    /* the host's TCP memory (tcp_memory.h) */
	int tcp_memory_result;           /* 0, or why tcp_memory could not be read */
	uint64_t send_gate_pages;        /* the send gate's mark in force; 0: off */
};

/* Renders /-/stats (JSON, jansson) and /metrics (Prometheus text); *out
 * is malloc'd. Return 0 or -ENOMEM. */
int stats_render_json(struct stats *stats, const struct server_state_view *view,
		      const struct image_table *table, char **out, size_t *length);
int stats_render_prometheus(struct stats *stats, const struct server_state_view *view,
			    const struct image_table *table, char **out, size_t *length);
/* Prometheus text helpers: "# HELP" and "# TYPE" lines; a label value
 * with backslash, quote and newline escaped. */
void stats_metric_header(FILE *out, const char *name, const char *type, const char *help);
void stats_write_label(FILE *out, const char *value);

#endif
