/* The attribute probe: reading a device's attributes (versions, CPU
 * occupancy, cache, ConnectionRequestURL, X_CASCADE_ parameters) with
 * GetParameterValues / GetParameterNames when its Inform lacks them.
 *
 * A probe runs within one session as a small state machine: the
 * attributes' leaf names (in the partial style ROOT.DeviceInfo. first, the
 * leaves after a fault); after a fault of the leaves, the mandatory leaves
 * alone; then GetParameterNames of
 * ROOT. (next level) and GetParameterValues of the X_CASCADE_ names found.
 * It succeeds once the values are read (a fault of the later steps only
 * means fewer attributes). A probe fails when even the mandatory leaves
 * are faulted, or when the session ends with a probe request unanswered
 * (the device dropped the connection or restarted its agent): the device
 * is then not probed again before [acs] probe_retry, doubled for every
 * failure in a row (at most a day), so its campaign RPCs are never held
 * up by a probe it cannot answer. In memory only; a restart probes again
 * once. All functions run with the controller lock held. */
#ifndef CASCADE_ACS_PROBE_H
#define CASCADE_ACS_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "acs/model.h"
#include "acs/store.h"

struct probe_scratch {
	char names[5][160];
	const char *list[5];
};

/* Whether the session this Inform opens should probe the device. */
bool probe_wanted(const struct acs_config *config, const struct device *device, const struct cwmp_inform *inform,
		  uint64_t now_seconds);
/* The session's next probe request built into message (strings in
 * scratch), or AWAIT_NOTHING when the probe is over. */
enum awaiting probe_request(const struct acs_config *config, struct session *session, struct cwmp_message *message,
			    struct probe_scratch *scratch);
/* The device answered probe request `awaited` (a response, or a fault). */
void probe_on_reply(struct controller *controller, struct session *session, enum awaiting awaited,
		    const struct cwmp_message *message, struct store_batch *batch);
/* The session ended with probe request `awaited` unanswered. */
void probe_on_dropped(struct controller *controller, struct device *device, enum awaiting awaited);
/* Whether awaited is one of the probe's requests. */
bool probe_awaiting(enum awaiting awaited);

#endif
