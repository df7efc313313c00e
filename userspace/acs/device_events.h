/* Each device's timeline: its Informs, the RPCs sent to it, its
 * TransferCompletes and its faults, newest first in the console. The rows
 * live in SQLite (device_events), at most [acs] device-events per device:
 * each new row drops the one that many places older. They ride along in
 * the request's batch but never hold a reply back (store_batch_must_wait),
 * so a crash may lose the last instant of them, nothing else. Called with
 * the controller lock held. */
#ifndef CASCADE_ACS_DEVICE_EVENTS_H
#define CASCADE_ACS_DEVICE_EVENTS_H

#include <stdint.h>

#include "acs/model.h"
#include "acs/store.h"

enum device_event_kind {
	DEVICE_EVENT_INFORM = 0,
	DEVICE_EVENT_RPC,
	DEVICE_EVENT_TRANSFER,
	DEVICE_EVENT_FAULT,
	DEVICE_EVENT_KIND_COUNT
};

/* "inform", "rpc", "transfer", "fault" ("?" for another number). */
const char *device_event_kind_name(int kind);

/* Adds a row to the device's timeline (nothing when [acs] device-events is 0). */
void device_event(struct controller *controller, struct device *device, enum device_event_kind kind, uint32_t code,
		  struct store_batch *batch, const char *format, ...) __attribute__((format(printf, 6, 7)));
/* The row for an RPC about to be sent (its method and what matters in it). */
void device_event_rpc(struct controller *controller, struct device *device, const struct cwmp_message *message,
		      struct store_batch *batch);

#endif
