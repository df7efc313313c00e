/* cascade-swarm's statistics: session latencies (kept, then sorted for
 * p50/p99), per-profile outcomes and TransferComplete delays, the JSON
 * summary line printed on exit and served live at GET /-/stats (with the
 * downloads in flight). */
#include "swarm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define LATENCY_LIMIT (8u << 20)

/* Appends value to a growing array (at most LATENCY_LIMIT entries). */
static void append_value(uint64_t **values, size_t *count, size_t *capacity, size_t first_capacity, uint64_t value)
{
	if (*count == *capacity) {
		size_t wanted = *capacity ? *capacity * 2 : first_capacity;
		uint64_t *bigger;

		if (wanted > LATENCY_LIMIT)
			return;
		bigger = realloc(*values, wanted * sizeof(*bigger));
		if (!bigger)
			return;
		*values = bigger;
		*capacity = wanted;
	}
	(*values)[(*count)++] = value;
}

void swarm_stats_record_latency(struct swarm_stats *stats, uint64_t microseconds)
{
	append_value(&stats->latencies_us, &stats->latency_count, &stats->latency_capacity, 65536, microseconds);
}

void swarm_stats_record_transfer_complete(struct swarm_stats *stats, enum swarm_profile profile, uint64_t delay_ms)
{
	struct profile_stats *entry = &stats->profiles[profile];

	entry->transfer_completes++;
	append_value(&entry->delays_ms, &entry->delay_count, &entry->delay_capacity, 256, delay_ms);
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_ms(const struct swarm_stats *stats, double fraction)
{
	size_t index;

	if (!stats->latency_count)
		return 0;
	index = (size_t)(fraction * (double)(stats->latency_count - 1));
	return (double)stats->latencies_us[index] / 1000.0;
}

/* "profiles":{NAME:{...},...} for the profiles that have devices. */
static int format_profiles(const struct swarm_stats *stats, char *text, size_t size)
{
	size_t used = 0;
	int written = snprintf(text, size, "\"profiles\":{");

	if (written < 0 || (size_t)written >= size)
		return -ENOSPC;
	used = (size_t)written;
	for (int p = 0; p < PROFILE_COUNT; p++) {
		const struct profile_stats *entry = &stats->profiles[p];
		uint64_t p99 = 0, maximum = 0;

		if (!entry->devices)
			continue;
		if (entry->delay_count) {
			qsort(entry->delays_ms, entry->delay_count, sizeof(uint64_t), compare);
			p99 = entry->delays_ms[(size_t)(0.99 * (double)(entry->delay_count - 1))];
			maximum = entry->delays_ms[entry->delay_count - 1];
		}
		written = snprintf(text + used, size - used,
				   "%s\"%s\":{\"devices\":%u,\"downloads_ok\":%lu,\"downloads_failed\":%lu,"
				   "\"transfer_completes\":%lu,\"transfer_complete_p99_ms\":%lu,\"transfer_complete_max_ms\":%lu,"
				   "\"drops\":%lu,\"restarts\":%lu,\"stale_nonces\":%lu}",
				   text[used - 1] == '{' ? "" : ",", swarm_profile_name((enum swarm_profile)p),
				   entry->devices,
				   (unsigned long)entry->downloads_ok, (unsigned long)entry->downloads_failed,
				   (unsigned long)entry->transfer_completes, (unsigned long)p99, (unsigned long)maximum,
				   (unsigned long)entry->drops, (unsigned long)entry->restarts,
				   (unsigned long)entry->stale_nonces);
		if (written < 0 || (size_t)written >= size - used)
			return -ENOSPC;
		used += (size_t)written;
	}
	if (used + 2 > size)
		return -ENOSPC;
	text[used++] = '}';
	text[used] = '\0';
	return (int)used;
}

int swarm_stats_format(const struct swarm *swarm, double seconds, char *text, size_t size)
{
	const struct swarm_stats *stats = &swarm->stats;
	char profiles[4096];
	int length;

	if (format_profiles(stats, profiles, sizeof(profiles)) < 0)
		return -ENOSPC;
	if (stats->latency_count)
		qsort(stats->latencies_us, stats->latency_count, sizeof(uint64_t), compare);
	length = snprintf(text, size, "{\"downloads_running\":%u,\"devices\":%u,\"seconds\":%.3f,\"sessions\":%lu,\"sessions_per_second\":%.1f,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"informs\":%lu,\"failed_sessions\":%lu,\"overloads\":%lu,"
	       "\"http_errors\":%lu,\"rpcs\":%lu,\"downloads_ok\":%lu,\"downloads_failed\":%lu,"
	       "\"bytes_downloaded\":%lu,\"transfer_completes\":%lu,\"connection_requests\":%lu,\"bootstrapped\":%u,"
	       "\"hashed_downloads\":%lu,\"unhashed_downloads\":%lu,\"bytes_received\":%lu,\"bytes_discarded\":%lu,"
	       "\"range_requests\":%lu,\"resumes_in_place\":%lu,\"flaky_cuts\":%lu,\"source_addresses\":%u,"
	       "\"wrong_namespace\":%lu,%s}\n",
	       swarm->downloads_running, swarm->options.devices, seconds, (unsigned long)stats->sessions,
	       seconds > 0 ? (double)stats->sessions / seconds : 0.0, percentile_ms(stats, 0.5),
	       percentile_ms(stats, 0.99), (unsigned long)stats->informs, (unsigned long)stats->failed_sessions,
	       (unsigned long)stats->overloads, (unsigned long)stats->http_errors, (unsigned long)stats->rpcs,
	       (unsigned long)stats->downloads_ok, (unsigned long)stats->downloads_failed,
	       (unsigned long)stats->bytes_downloaded, (unsigned long)stats->transfer_completes,
	       (unsigned long)stats->connection_requests, swarm->bootstrapped, (unsigned long)stats->hashed_downloads,
	       (unsigned long)stats->unhashed_downloads, (unsigned long)stats->bytes_received,
	       (unsigned long)stats->bytes_discarded, (unsigned long)stats->range_requests,
	       (unsigned long)stats->resumes_in_place, (unsigned long)stats->flaky_cuts, swarm->source_addresses,
	       (unsigned long)stats->wrong_namespace, profiles);
	return length > 0 && (size_t)length < size ? length : -ENOSPC;
}

void swarm_stats_print(const struct swarm *swarm, double seconds)
{
	char text[8192];

	if (swarm_stats_format(swarm, seconds, text, sizeof(text)) > 0)
		printf("%s", text);
	fflush(stdout);
}
