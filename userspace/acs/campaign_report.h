/* A campaign's report: when it started and ended, its makespan, what the
 * origin served against what it would have served with every device
 * downloading from it directly, and each group's results. Origin figures
 * count the Downloads from the origin that devices accepted, each as the
 * whole image (a resumed download fetches less). Called with the
 * controller lock held. */
#ifndef CASCADE_ACS_CAMPAIGN_REPORT_H
#define CASCADE_ACS_CAMPAIGN_REPORT_H

#include <jansson.h>

#include "acs/model.h"

json_t *campaign_report_json(struct controller *controller, const struct campaign *campaign);

/* {"pending": N, ..., "cancelled": N} */
json_t *member_counts_json(const size_t counts[MEMBER_STATE_COUNT]);

/* Unix milliseconds now (the campaigns' start and end times). */
uint64_t campaign_clock_ms(void);

#endif
