/* cascade-acs's /metrics: the Prometheus text exposition (format 0.0.4) of
 * the controller's counters and gauges, its build and its process, every
 * family with # HELP and # TYPE. Called with the controller lock held. */
#ifndef CASCADE_ACS_METRICS_TEXT_H
#define CASCADE_ACS_METRICS_TEXT_H

#include <stddef.h>

#include "acs/model.h"

/* malloc'd text, or NULL when out of memory. */
char *metrics_text(struct controller *controller, size_t store_pending);

#endif
