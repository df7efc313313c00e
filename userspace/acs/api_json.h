/* JSON views of the controller's model for the operator API
 * (jansson). Called with the controller lock held. */
#ifndef CASCADE_ACS_API_JSON_H
#define CASCADE_ACS_API_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "acs/model.h"

json_t *api_devices_json(struct controller *controller, uint32_t group_id, size_t offset, size_t limit);
json_t *api_groups_json(struct controller *controller);
json_t *api_campaign_json(struct controller *controller, const struct campaign *campaign, bool detail,
			  bool with_devices);
json_t *api_campaigns_json(struct controller *controller);

#endif
