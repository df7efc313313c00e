/* cascade-swarm's statistics: session latencies (kept, then sorted for
 * p50/p99), the JSON summary line printed on exit and served live at
 * GET /-/stats (with the downloads in flight). */
#include "swarm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define LATENCY_LIMIT (8u << 20)

void stats_record_latency(struct swarm_stats *stats, uint64_t microseconds)
{
	if (stats->latency_count == stats->latency_capacity) {
		size_t wanted = stats->latency_capacity ? stats->latency_capacity * 2 : 65536;
		uint64_t *bigger;

		if (wanted > LATENCY_LIMIT)
			return;
		bigger = realloc(stats->latencies_us, wanted * sizeof(*bigger));
		if (!bigger)
			return;
		stats->latencies_us = bigger;
		stats->latency_capacity = wanted;
	}
	stats->latencies_us[stats->latency_count++] = microseconds;
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

int stats_format(const struct swarm *swarm, double seconds, char *text, size_t size)
{
	const struct swarm_stats *stats = &swarm->stats;
	int length;

	if (stats->latency_count)
		qsort(stats->latencies_us, stats->latency_count, sizeof(uint64_t), compare);
	length = snprintf(text, size, "{\"downloads_running\":%u,\"devices\":%u,\"seconds\":%.3f,\"sessions\":%lu,\"sessions_per_second\":%.1f,"
	       "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"informs\":%lu,\"failed_sessions\":%lu,\"overloads\":%lu,"
	       "\"http_errors\":%lu,\"rpcs\":%lu,\"downloads_ok\":%lu,\"downloads_failed\":%lu,"
	       "\"bytes_downloaded\":%lu,\"transfer_completes\":%lu,\"connection_requests\":%lu,\"bootstrapped\":%u,"
	       "\"hashed_downloads\":%lu,\"unhashed_downloads\":%lu,\"bytes_received\":%lu,\"bytes_discarded\":%lu,"
	       "\"range_requests\":%lu,\"resumes_in_place\":%lu,\"flaky_cuts\":%lu,\"source_addresses\":%u}\n",
	       swarm->downloads_running, swarm->options.devices, seconds, (unsigned long)stats->sessions,
	       seconds > 0 ? (double)stats->sessions / seconds : 0.0, percentile_ms(stats, 0.5),
	       percentile_ms(stats, 0.99), (unsigned long)stats->informs, (unsigned long)stats->failed_sessions,
	       (unsigned long)stats->overloads, (unsigned long)stats->http_errors, (unsigned long)stats->rpcs,
	       (unsigned long)stats->downloads_ok, (unsigned long)stats->downloads_failed,
	       (unsigned long)stats->bytes_downloaded, (unsigned long)stats->transfer_completes,
	       (unsigned long)stats->connection_requests, swarm->bootstrapped, (unsigned long)stats->hashed_downloads,
	       (unsigned long)stats->unhashed_downloads, (unsigned long)stats->bytes_received,
	       (unsigned long)stats->bytes_discarded, (unsigned long)stats->range_requests,
	       (unsigned long)stats->resumes_in_place, (unsigned long)stats->flaky_cuts, swarm->source_addresses);
	return length > 0 && (size_t)length < size ? length : -ENOSPC;
}

void stats_print(const struct swarm *swarm, double seconds)
{
	char text[2048];

	if (stats_format(swarm, seconds, text, sizeof(text)) > 0)
		printf("%s", text);
	fflush(stdout);
}
