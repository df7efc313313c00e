/* Statistics counters and the per-name / per-group registries. */
#include "master/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int counted_statuses[] = STATS_STATUSES;

void stats_init(struct stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->started_unix = (uint64_t)time(NULL);
	pthread_mutex_init(&stats->registry_lock, NULL);
	strcpy(stats->other_names.name, "(other)");
}

void stats_destroy(struct stats *stats)
{
	for (size_t i = 0; i < stats->name_count; i++)
		free(stats->names[i]);
	for (size_t i = 0; i < stats->group_count; i++)
		free(stats->groups[i]);
	stats->name_count = 0;
	stats->group_count = 0;
	pthread_mutex_destroy(&stats->registry_lock);
}

void stats_count_status(struct stats *stats, int status)
{
	size_t slot = STATS_STATUS_SLOTS - 1;

	for (size_t i = 0; i < sizeof(counted_statuses) / sizeof(counted_statuses[0]); i++) {
		if (counted_statuses[i] == status) {
			slot = i;
			break;
		}
	}
	stats_add(&stats->status_counts[slot], 1);
	stats_add(&stats->requests, 1);
}

struct name_counters *stats_image_counters(struct stats *stats, const char *name)
{
	struct name_counters *found = NULL;

	pthread_mutex_lock(&stats->registry_lock);
	for (size_t i = 0; i < stats->name_count && found == NULL; i++) {
		if (strcmp(stats->names[i]->name, name) == 0)
			found = stats->names[i];
	}
	if (found == NULL && stats->name_count < STATS_MAX_NAMES) {
		found = calloc(1, sizeof(*found));
		if (found != NULL) {
			snprintf(found->name, sizeof(found->name), "%s", name);
			stats->names[stats->name_count++] = found;
		}
	}
	pthread_mutex_unlock(&stats->registry_lock);
	return found ? found : &stats->other_names;
}

static struct group_counters *find_group(struct stats *stats, size_t count, uint32_t group)
{
	for (size_t i = 0; i < count; i++)
		if (stats->groups[i]->group == group)
			return stats->groups[i];
	return NULL;
}

/* Called for every image request with group=N: the table only grows and
 * each entry is published before the count that covers it, so a lookup of
 * a known group takes no lock; only adding one does. */
struct group_counters *stats_group_counters(struct stats *stats, uint32_t group)
{
	struct group_counters *found = find_group(stats, __atomic_load_n(&stats->group_count, __ATOMIC_ACQUIRE), group);

	if (found != NULL)
		return found;
	pthread_mutex_lock(&stats->registry_lock);
	found = find_group(stats, stats->group_count, group);
	if (found == NULL && stats->group_count < STATS_MAX_GROUPS) {
		found = calloc(1, sizeof(*found));
		if (found != NULL) {
			found->group = group;
			stats->groups[stats->group_count] = found;
			__atomic_store_n(&stats->group_count, stats->group_count + 1, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&stats->registry_lock);
	return found ? found : &stats->other_groups;
}
