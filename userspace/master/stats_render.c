/* /-/stats as JSON (jansson) and /metrics in the Prometheus text format. */
#include "master/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "master/image.h"
#include "master/cpu_meter.h"
#include "master/group_meter.h"

static const int counted_statuses[] = STATS_STATUSES;
#define COUNTED_STATUS_COUNT (sizeof(counted_statuses) / sizeof(counted_statuses[0]))

static json_t *status_object(struct stats *stats)
{
	json_t *object = json_object();
	char key[16];

	for (size_t i = 0; i < STATS_STATUS_SLOTS; i++) {
		uint64_t count = stats_read(&stats->status_counts[i]);

		if (count == 0)
			continue;
		if (i < COUNTED_STATUS_COUNT)
			snprintf(key, sizeof(key), "%d", counted_statuses[i]);
		else
			snprintf(key, sizeof(key), "other");
		json_object_set_new(object, key, json_integer((json_int_t)count));
	}
	return object;
}

static json_t *images_array(const struct image_table *table)
{
	json_t *array = json_array();

	for (size_t i = 0; table != NULL && i < table->count; i++) {
		const struct image *image = table->images[i];

		json_array_append_new(array, json_pack("{s:s, s:I, s:s, s:s, s:I, s:I}",
			"name", image->name, "size", (json_int_t)image->size,
			"sha256", image->hex, "send", image_send_method_name(image->send_method),
			"bytes_sent", (json_int_t)stats_read(&image->counters->bytes),
			"requests", (json_int_t)stats_read(&image->counters->requests)));
	}
	return array;
}

static void registries(struct stats *stats, json_t *names, json_t *groups)
{
	char key[16];

	pthread_mutex_lock(&stats->registry_lock);
	for (size_t i = 0; i < stats->name_count; i++)
		json_object_set_new(names, stats->names[i]->name,
				    json_integer((json_int_t)stats_read(&stats->names[i]->bytes)));
	for (size_t i = 0; i < stats->group_count; i++) {
		snprintf(key, sizeof(key), "%" PRIu32, stats->groups[i]->group);
		json_object_set_new(groups, key, json_pack("{s:I, s:I}",
			"bytes", (json_int_t)stats_read(&stats->groups[i]->bytes),
			"requests", (json_int_t)stats_read(&stats->groups[i]->requests)));
	}
	pthread_mutex_unlock(&stats->registry_lock);
}

/* null when /proc could not tell (the reason is logged nowhere: a
 * container without /proc/net is a normal place to run). */
static json_t *tcp_memory_json(const struct server_state_view *view)
{
	const struct tcp_memory *memory = &view->tcp_memory;

	if (view->tcp_memory_result != 0)
		return json_null();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "pages", (json_int_t)memory->pages,
			 "gate_pages", (json_int_t)view->send_gate_pages,
			 "low_pages", (json_int_t)memory->low_pages,
			 "pressure_pages", (json_int_t)memory->pressure_pages,
			 "limit_pages", (json_int_t)memory->limit_pages,
			 "pressure_events", (json_int_t)memory->pressure_events,
			 "pressure_seconds", (double)memory->pressure_milliseconds / 1000.0);
}

/* The meters' part of /-/stats: the group meter and, inside it, the CPU. */
static json_t *meter_json(const struct server_state_view *view)
{
	json_t *meter = master_group_meter_json(view->group_meter, master_group_meter_exporter(view->group_meter));

	if (meter != NULL)
		json_object_set_new(meter, "cpu", master_cpu_meter_json(view->cpu_meter));
	return meter;
}

int stats_render_json(struct stats *stats, const struct server_state_view *view,
		      const struct image_table *table, char **out, size_t *length)
{
	json_t *names = json_object();
	json_t *groups = json_object();
	json_t *root;
	char *text;

	registries(stats, names, groups);
	root = json_pack(
		"{s:s, s:s, s:s, s:I, s:{s:I, s:I, s:s}, s:i, s:I,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:i},"
		" s:{s:I, s:o}, s:I,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I},"
		" s:o, s:o, s:o,"
		" s:{s:I, s:I, s:I, s:s?}, s:o, s:o}",
		"role", view->role, "send_mode", view->send_mode,
		"congestion_control", view->congestion_control, "zc_max_size", (json_int_t)view->zc_max_size,
		"pacing", "rate", (json_int_t)view->pacing.rate, "from", (json_int_t)view->pacing.from_bytes,
		"scope", pacing_scope_name(view->pacing.scope),
		"threads", (int)view->threads,
		"uptime_seconds", (json_int_t)((uint64_t)time(NULL) - stats->started_unix),
		"connections",
		"open", (json_int_t)stats_read(&stats->connections_open),
		"accepted", (json_int_t)stats_read(&stats->connections_accepted),
		"rejected", (json_int_t)stats_read(&stats->connections_rejected),
		"timed_out", (json_int_t)stats_read(&stats->connections_timed_out),
		"aborted", (json_int_t)stats_read(&stats->connections_aborted),
		"max", (int)view->max_connections,
		"requests", "total", (json_int_t)stats_read(&stats->requests),
		"by_status", status_object(stats),
		"bytes_sent", (json_int_t)stats_read(&stats->bytes_sent),
		"send",
		"splice_bytes", (json_int_t)stats_read(&stats->splice_bytes),
		"zc_bytes", (json_int_t)stats_read(&stats->zc_bytes),
		"copy_bytes", (json_int_t)stats_read(&stats->copy_bytes),
		"mapping_drops", (json_int_t)stats_read(&stats->mapping_drops),
		"sendfile_bytes", (json_int_t)stats_read(&stats->sendfile_bytes),
		"splice_operations", (json_int_t)stats_read(&stats->splice_operations),
		"socket_full_waits", (json_int_t)stats_read(&stats->socket_full_waits),
		"gate_holds", (json_int_t)stats_read(&stats->send_gate_holds),
		"paced_bodies", (json_int_t)stats_read(&stats->paced_bodies),
		"slow_clients", (json_int_t)stats_read(&stats->slow_clients),
		"zc_notifications", (json_int_t)stats_read(&stats->zc_notifications),
		"zc_copied_notifications", (json_int_t)stats_read(&stats->zc_copied_notifications),
		"images", images_array(table), "image_bytes_sent", names, "groups", groups,
		"reload", "generation", (json_int_t)view->generation,
		"reloads", (json_int_t)stats_read(&stats->reloads),
		"failures", (json_int_t)stats_read(&stats->reload_failures),
		"last_error", view->last_reload_error ? strerror(-view->last_reload_error) : NULL,
		"meter", meter_json(view), "tcp_memory", tcp_memory_json(view));
	if (root == NULL)
		return -ENOMEM;
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (text == NULL)
		return -ENOMEM;
	*length = strlen(text);
	*out = text;
	return 0;
}

void stats_write_label(FILE *out, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\n') {
			fputs("\\n", out);
			continue;
		}
		if (*value == '\\' || *value == '"')
			fputc('\\', out);
		fputc(*value, out);
	}
}

void stats_metric_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void single_metric(FILE *out, const char *name, const char *type, const char *help,
			  uint64_t value)
{
	stats_metric_header(out, name, type, help);
	fprintf(out, "%s %" PRIu64 "\n", name, value);
}

/* One line per image name of a counter kept in struct name_counters. */
static void per_image_metric(FILE *out, struct stats *stats, const char *name, const char *help,
			     size_t counter_offset)
{
	stats_metric_header(out, name, "counter", help);
	for (size_t i = 0; i < stats->name_count; i++) {
		const uint64_t *counter =
			(const uint64_t *)((const char *)stats->names[i] + counter_offset);

		fprintf(out, "%s{image=\"", name);
		stats_write_label(out, stats->names[i]->name);
		fprintf(out, "\"} %" PRIu64 "\n", stats_read(counter));
	}
}

static void registry_metrics(FILE *out, struct stats *stats)
{
	pthread_mutex_lock(&stats->registry_lock);
	per_image_metric(out, stats, "cascade_master_image_bytes_sent_total",
			 "Body bytes sent per image name.", offsetof(struct name_counters, bytes));
	per_image_metric(out, stats, "cascade_master_image_requests_total",
			 "Image requests answered 200 or 206, per image name.",
			 offsetof(struct name_counters, requests));
	stats_metric_header(out, "cascade_master_group_bytes_sent_total", "counter",
		      "Body bytes sent to requests carrying group=N.");
	for (size_t i = 0; i < stats->group_count; i++)
		fprintf(out, "cascade_master_group_bytes_sent_total{group=\"%" PRIu32 "\"} %" PRIu64 "\n",
			stats->groups[i]->group, stats_read(&stats->groups[i]->bytes));
	pthread_mutex_unlock(&stats->registry_lock);
}

/* The host's TCP memory; nothing when /proc could not tell. */
static void tcp_memory_metrics(FILE *out, const struct server_state_view *view)
{
	const struct tcp_memory *memory = &view->tcp_memory;

	if (view->tcp_memory_result != 0)
		return;
	single_metric(out, "cascade_master_tcp_memory_pages", "gauge",
		      "Pages held by every TCP socket of the host (/proc/net/sockstat).", memory->pages);
	stats_metric_header(out, "cascade_master_tcp_memory_threshold_pages", "gauge",
			    "The host's net.ipv4.tcp_mem (pressure starts above pressure, ends below low) "
			    "and the send gate's mark (image sends held at or over it; 0: off).");
	fprintf(out, "cascade_master_tcp_memory_threshold_pages{threshold=\"low\"} %" PRIu64 "\n",
		memory->low_pages);
	fprintf(out, "cascade_master_tcp_memory_threshold_pages{threshold=\"pressure\"} %" PRIu64 "\n",
		memory->pressure_pages);
	fprintf(out, "cascade_master_tcp_memory_threshold_pages{threshold=\"limit\"} %" PRIu64 "\n",
		memory->limit_pages);
	fprintf(out, "cascade_master_tcp_memory_threshold_pages{threshold=\"gate\"} %" PRIu64 "\n",
		view->send_gate_pages);
	single_metric(out, "cascade_master_tcp_memory_pressure_events_total", "counter",
		      "Times the kernel entered TCP memory pressure (TcpExt TCPMemoryPressures).",
		      memory->pressure_events);
	stats_metric_header(out, "cascade_master_tcp_memory_pressure_seconds_total", "counter",
			    "Time the kernel spent under TCP memory pressure (TcpExt TCPMemoryPressuresChrono).");
	fprintf(out, "cascade_master_tcp_memory_pressure_seconds_total %.3f\n",
		(double)memory->pressure_milliseconds / 1000.0);
}

int stats_render_prometheus(struct stats *stats, const struct server_state_view *view,
			    const struct image_table *table, char **out, size_t *length)
{
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);

	if (stream == NULL)
		return -ENOMEM;
	stats_metric_header(stream, "cascade_master_info", "gauge",
			    "Role, send mode and TCP congestion control of this server.");
	fprintf(stream, "cascade_master_info{role=\"%s\",send_mode=\"%s\",congestion_control=\"%s\"} 1\n",
		view->role, view->send_mode, view->congestion_control);
	single_metric(stream, "cascade_master_connections_open", "gauge", "Open client connections.",
		      stats_read(&stats->connections_open));
	single_metric(stream, "cascade_master_connections_accepted_total", "counter",
		      "Connections accepted.", stats_read(&stats->connections_accepted));
	single_metric(stream, "cascade_master_connections_rejected_total", "counter",
		      "Connections over the cap, answered 503.",
		      stats_read(&stats->connections_rejected));
	single_metric(stream, "cascade_master_connections_timed_out_total", "counter",
		      "Connections closed for idleness, a slow request head or a stalled client.",
		      stats_read(&stats->connections_timed_out));
	single_metric(stream, "cascade_master_connections_aborted_total", "counter",
		      "Responses cut because the client went away.",
		      stats_read(&stats->connections_aborted));
	stats_metric_header(stream, "cascade_master_requests_total", "counter", "Requests by status.");
	for (size_t i = 0; i < STATS_STATUS_SLOTS; i++) {
		if (i < COUNTED_STATUS_COUNT)
			fprintf(stream, "cascade_master_requests_total{status=\"%d\"} %" PRIu64 "\n",
				counted_statuses[i], stats_read(&stats->status_counts[i]));
		else
			fprintf(stream, "cascade_master_requests_total{status=\"other\"} %" PRIu64 "\n",
				stats_read(&stats->status_counts[i]));
	}
	single_metric(stream, "cascade_master_bytes_sent_total", "counter", "Body bytes sent.",
		      stats_read(&stats->bytes_sent));
	stats_metric_header(stream, "cascade_master_send_bytes_total", "counter",
		      "Body bytes by send method.");
	fprintf(stream, "cascade_master_send_bytes_total{method=\"splice\"} %" PRIu64 "\n",
		stats_read(&stats->splice_bytes));
	fprintf(stream, "cascade_master_send_bytes_total{method=\"zc\"} %" PRIu64 "\n",
		stats_read(&stats->zc_bytes));
	fprintf(stream, "cascade_master_send_bytes_total{method=\"copy\"} %" PRIu64 "\n",
		stats_read(&stats->copy_bytes));
	fprintf(stream, "cascade_master_send_bytes_total{method=\"sendfile\"} %" PRIu64 "\n",
		stats_read(&stats->sendfile_bytes));
	single_metric(stream, "cascade_master_send_gate_holds_total", "counter",
		      "Times a response's next body bytes waited for the host's TCP memory (--tcp-memory-gate).",
		      stats_read(&stats->send_gate_holds));
	single_metric(stream, "cascade_master_paced_bodies_total", "counter",
		      "Bodies the kernel paced at --pacing-rate (of --pacing-from bytes or more).",
		      stats_read(&stats->paced_bodies));
	single_metric(stream, "cascade_master_mapping_drops_total", "counter",
		      "Times a copied image's mapped pages were dropped (--mapped-resident-max).",
		      stats_read(&stats->mapping_drops));
	single_metric(stream, "cascade_master_zc_copied_notifications_total", "counter",
		      "send_zc notifications where the kernel copied instead.",
		      stats_read(&stats->zc_copied_notifications));
	single_metric(stream, "cascade_master_images_served", "gauge", "Images in the table.",
		      table ? table->count : 0);
	single_metric(stream, "cascade_master_reloads_total", "counter", "Manifest reloads.",
		      stats_read(&stats->reloads));
	single_metric(stream, "cascade_master_reload_failures_total", "counter",
		      "Manifest reloads that failed.", stats_read(&stats->reload_failures));
	registry_metrics(stream, stats);
	tcp_memory_metrics(stream, view);
	bool exporter = master_group_meter_exporter(view->group_meter);

	master_group_meter_write_metrics(view->group_meter, stream, exporter);
	if (exporter)
		master_cpu_meter_write_metrics(view->cpu_meter, stream, view->group_meter->pin_dir);
	if (fclose(stream) != 0 || text == NULL) {
		free(text);
		return -ENOMEM;
	}
	*out = text;
	*length = size;
	return 0;
}
