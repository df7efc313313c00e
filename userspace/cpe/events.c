/* Pending Inform events (see events.h). */
#include "cpe/events.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void event_set_clear(struct event_set *set)
{
	set->count = 0;
}

int event_set_add(struct event_set *set, const char *code, const char *command_key)
{
	bool multiple = code[0] == 'M' && code[1] == ' ';

	if (!command_key)
		command_key = "";
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->entries[i].code, code) == 0 &&
		    (!multiple || strcmp(set->entries[i].command_key, command_key) == 0))
			return 0;
	if (set->count == EVENT_MAX)
		return -ENOSPC;
	snprintf(set->entries[set->count].code, sizeof(set->entries[0].code), "%s", code);
	snprintf(set->entries[set->count].command_key, sizeof(set->entries[0].command_key), "%s", command_key);
	set->count++;
	return 0;
}

bool event_set_has(const struct event_set *set, const char *code)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->entries[i].code, code) == 0)
			return true;
	return false;
}

void event_set_merge(struct event_set *set, const struct event_set *other)
{
	for (size_t i = 0; i < other->count; i++)
		event_set_add(set, other->entries[i].code, other->entries[i].command_key);
}

size_t event_set_export(const struct event_set *set, struct cwmp_event *events)
{
	for (size_t i = 0; i < set->count; i++)
		events[i] = (struct cwmp_event){ set->entries[i].code, set->entries[i].command_key };
	return set->count;
}

void event_set_describe(const struct event_set *set, char *out, size_t size)
{
	size_t used = 0;

	if (size)
		out[0] = '\0';
	for (size_t i = 0; i < set->count && used < size; i++) {
		int written = snprintf(out + used, size - used, "%s%s%s%s", i ? "," : "", set->entries[i].code,
				       set->entries[i].command_key[0] ? ":" : "", set->entries[i].command_key);

		if (written < 0)
			break;
		used += (size_t)written;
	}
}
