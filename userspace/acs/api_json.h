/* JSON views of campaigns for the operator API (jansson). Called with the
 * controller lock held. */
#ifndef CASCADE_ACS_API_JSON_H
#define CASCADE_ACS_API_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "acs/model.h"

json_t *api_campaign_json(struct controller *controller, const struct campaign *campaign, bool detail,
			  bool with_devices);
json_t *api_campaigns_json(struct controller *controller);

#endif
