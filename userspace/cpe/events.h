/* The Inform's EventStruct list: the single events (0 BOOTSTRAP, 1 BOOT,
 * 2 PERIODIC, 6 CONNECTION REQUEST, 7 TRANSFER COMPLETE) at most once each,
 * and "M Download" once per command key. Events stay pending until an
 * InformResponse acknowledges the Inform that carried them. */
#ifndef CASCADE_CPE_EVENTS_H
#define CASCADE_CPE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cpe/transfer_store.h"
#include "cwmp/cwmp.h"

#define EVENT_BOOTSTRAP          "0 BOOTSTRAP"
#define EVENT_BOOT               "1 BOOT"
#define EVENT_PERIODIC           "2 PERIODIC"
#define EVENT_CONNECTION_REQUEST "6 CONNECTION REQUEST"
#define EVENT_TRANSFER_COMPLETE  "7 TRANSFER COMPLETE"
#define EVENT_M_DOWNLOAD         "M Download"
#define EVENT_MAX                32

struct event_entry {
	char code[32];
	char command_key[COMMAND_KEY_MAX + 1];
};

struct event_set {
	struct event_entry entries[EVENT_MAX];
	size_t count;
};

void event_set_clear(struct event_set *set);
/* Adds an event unless the same code (and, for "M " events, command key)
 * is already there. -ENOSPC when full. */
int event_set_add(struct event_set *set, const char *code, const char *command_key);
bool event_set_has(const struct event_set *set, const char *code);
/* Adds every event of other. */
void event_set_merge(struct event_set *set, const struct event_set *other);
/* Fills events (EVENT_MAX entries) pointing into set. */
size_t event_set_export(const struct event_set *set, struct cwmp_event *events);
/* "1 BOOT,2 PERIODIC" for logs. */
void event_set_describe(const struct event_set *set, char *out, size_t size);

#endif
