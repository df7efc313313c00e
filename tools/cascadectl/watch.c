/* The lines and the end of `cascadectl campaign watch` (see watch.h). */
#include "watch.h"

#include <stdio.h>
#include <string.h>

static long long count_of(json_t *campaign, const char *state)
{
	return (long long)json_integer_value(json_object_get(json_object_get(campaign, "counts"), state));
}

static const char *text_of(json_t *object, const char *key)
{
	const char *value = json_string_value(json_object_get(object, key));

	return value ? value : "?";
}

void watch_line(json_t *campaign, time_t now, bool terminal, char *line, size_t size)
{
	long long total = (long long)json_integer_value(json_object_get(campaign, "devices"));
	long long done = count_of(campaign, "done"), failed = count_of(campaign, "failed");
	long long cancelled = count_of(campaign, "cancelled"), finished = done + failed + cancelled;
	char when[32] = "?", bar[48];
	struct tm utc;
	int width = 40, filled = total ? (int)(finished * width / total) : width;

	if (gmtime_r(&now, &utc))
		strftime(when, sizeof(when), terminal ? "%H:%M:%S" : "%Y-%m-%dT%H:%M:%SZ", &utc);
	if (!terminal) {
		snprintf(line, size,
			 "%s campaign %lld %s image %s mode %s: %lld devices, %lld done, %lld failed, %lld downloading, "
			 "%lld queued, %lld pending, %lld cancelled",
			 when, (long long)json_integer_value(json_object_get(campaign, "id")), text_of(campaign, "state"),
			 text_of(campaign, "image"), text_of(campaign, "mode"), total, done, failed,
			 count_of(campaign, "downloading"), count_of(campaign, "queued"), count_of(campaign, "pending"),
			 cancelled);
		return;
	}
	if (filled < 0 || filled > width)
		filled = width;
	memset(bar, '#', (size_t)filled);
	memset(bar + filled, '.', (size_t)(width - filled));
	bar[width] = '\0';
	snprintf(line, size, "%s [%s] %3lld%% %lld/%lld done, %lld failed, %lld downloading, %lld queued  %s", when, bar,
		 total ? finished * 100 / total : 100, done, total, failed, count_of(campaign, "downloading"),
		 count_of(campaign, "queued"), text_of(campaign, "state"));
}

bool watch_finished(json_t *campaign, int *status)
{
	const char *state = json_string_value(json_object_get(campaign, "state"));

	if (!state)
		return false;
	if (strcmp(state, "cancelled") == 0) {
		*status = WATCH_EXIT_CANCELLED;
		return true;
	}
	if (strcmp(state, "halted") == 0) {
		*status = WATCH_EXIT_FAILURES;
		return true;
	}
	if (strcmp(state, "done") == 0) {
		*status = count_of(campaign, "failed") ? WATCH_EXIT_FAILURES : WATCH_EXIT_DONE;
		return true;
	}
	return false;
}
