/* The physical bound of a rollout and its binding term (rollout_bound.h). */
#include "common/rollout_bound.h"

#include <errno.h>

int rollout_bound_compute(const struct rollout_links *links, struct rollout_bound *bound)
{
	double size = (double)links->image_bytes;

	if (links->image_bytes == 0 || links->devices == 0 || links->groups == 0 || links->groups > links->devices ||
	    !(links->origin_egress > 0) || links->device_downlink < 0 || links->source_egress_sum < 0)
		return -EINVAL;
	bound->terms[ROLLOUT_BOUND_ORIGIN] = (double)links->groups * size / links->origin_egress;
	bound->terms[ROLLOUT_BOUND_DOWNLINK] = links->device_downlink > 0 ? size / links->device_downlink : 0;
	bound->terms[ROLLOUT_BOUND_AGGREGATE] =
		(double)links->devices * size / (links->origin_egress + links->source_egress_sum);
	bound->binding = ROLLOUT_BOUND_ORIGIN;
	for (int term = 1; term < ROLLOUT_BOUND_TERMS; term++)
		if (bound->terms[term] > bound->terms[bound->binding])
			bound->binding = (enum rollout_bound_term)term;
	bound->seconds = bound->terms[bound->binding];
	return 0;
}

const char *rollout_bound_term_formula(enum rollout_bound_term term)
{
	switch (term) {
	case ROLLOUT_BOUND_ORIGIN:
		return "G·S / origin egress";
	case ROLLOUT_BOUND_DOWNLINK:
		return "S / device downlink";
	case ROLLOUT_BOUND_AGGREGATE:
		return "N·S / (origin egress + sources' egress)";
	default:
		return "?";
	}
}
