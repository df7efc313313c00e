/* A group's tree of sources (campaign sources = tree): the master is the
 * root, and every member with an eligible file server that holds the image,
 * or receives it and relays what it receives (it checks pieces, and the
 * campaign has a piece list), serves further slaves. Each source takes as
 * many children as its measured egress says it can feed (one while it is
 * still receiving; more while its uplink has headroom), none while its CPU
 * occupancy is over the limit. File-server members are placed first, so
 * the tree grows sources before it serves leaves; stock devices are
 * leaves. A relay whose children cannot download from it (a bad piece, or
 * it is gone) leaves the tree, and its children resume elsewhere. */
#include "acs/campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"

/* Egress at or over this share of a source's capacity: saturated (a
 * reading of an uplink its children fill runs 80-95%: no child is added on
 * noise, which would only halve what every child gets). More children are
 * added to fill TARGET_PERCENT of it. */
#define SATURATED_PERCENT 60
#define TARGET_PERCENT    85

unsigned int tree_children_limit(const struct source_figures *figures, unsigned int fanout, unsigned int relay_fanout)
{
	unsigned int limit, children = figures->children;

	if (fanout == 0)
		fanout = 1;
	if (figures->over_occupancy)
		return children < fanout ? children : fanout;
	if (figures->receiving)
		return relay_fanout < fanout ? relay_fanout : fanout;
	if (figures->capacity == 0)
		return fanout; /* nothing to follow: the campaign's fan-out */
	limit = figures->current_limit ? figures->current_limit : 1;
	if (figures->egress_valid && children > 0) {
		if (figures->egress * 100 >= figures->capacity * SATURATED_PERCENT) {
			limit = children; /* its uplink is full: more children would only share it */
		} else {
			/* the children it has take egress / children each: enough of
			 * them to fill the capacity, at most twice as many per step */
			uint64_t goal = figures->capacity * TARGET_PERCENT / 100;
			uint64_t wanted = figures->egress ? (children * goal + figures->egress - 1) / figures->egress
							  : 2ull * children;

			limit = wanted > 2ull * children ? 2 * children : (unsigned int)wanted;
		}
	}
	return limit < 1 ? 1 : limit > fanout ? fanout : limit;
}

static bool in_flight(const struct campaign_member *member)
{
	return member->state == MEMBER_QUEUED || member->state == MEMBER_DOWNLOADING;
}

bool campaign_bad_source(const struct campaign_group *group, uint32_t device_id)
{
	for (size_t i = 0; i < group->bad_master_count; i++)
		if (group->bad_masters[i] == device_id)
			return true;
	return false;
}

/* A member that may serve others once it has (some of) the image. */
static bool source_capable(struct controller *controller, const struct campaign_member *member, uint64_t now_seconds)
{
	const struct campaign_group *group = member->group;

	return member->device->file_server_enable && !campaign_bad_source(group, member->device->id) &&
	       member->state != MEMBER_FAILED && member->state != MEMBER_CANCELLED &&
	       policy_eligible(&controller->config, member->device, group->campaign->image_size, now_seconds);
}

/* A member receiving the image that relays what it receives. */
static bool relays(const struct campaign_member *member)
{
	const struct campaign *campaign = member->group->campaign;

	return member->device->checks_pieces && campaign->pieces_sha256 && campaign->pieces_sha256[0];
}

/* Whether the member serves children now: the master once it is done or
 * relaying, any other capable member likewise. */
static bool serves_now(struct controller *controller, const struct campaign_member *member, uint64_t now_ms,
		       uint64_t now_seconds)
{
	const struct campaign_group *group = member->group;

	if (member != group->master && member->role != ROLE_SLAVE)
		return false;
	if (member->state == MEMBER_DONE)
		return member == group->master || source_capable(controller, member, now_seconds);
	if (member->state != MEMBER_DOWNLOADING || !relays(member) ||
	    now_ms - member->since_ms < controller->config.relay_warmup_ms)
		return false;
	return member == group->master || source_capable(controller, member, now_seconds);
}

/* The member of group whose device is device_id, or NULL. */
static struct campaign_member *member_of(struct controller *controller, const struct campaign_group *group,
					 uint32_t device_id)
{
	struct device *device = device_id ? device_by_id(controller, device_id) : NULL;

	return device && device->member && device->member->group == group ? device->member : NULL;
}

bool source_occupancy(const struct controller *controller, const struct device *device, uint64_t now_ms,
		      uint32_t *occupancy)
{
	uint64_t fresh = 3 * controller->config.source_poll_interval_ms;

	if (device->measured.has_occupancy && fresh && device->measured.at_ms + fresh >= now_ms) {
		*occupancy = device->measured.occupancy;
		return true;
	}
	*occupancy = device->cpu_occupancy;
	return device->has_occupancy;
}

bool source_egress(const struct controller *controller, const struct device *device, uint64_t now_ms, uint64_t *rate)
{
	uint64_t fresh = 3 * controller->config.source_poll_interval_ms;

	*rate = device->measured.rate;
	return device->measured.has_rate && fresh && device->measured.at_ms + fresh >= now_ms;
}

/* Per member of a group during one pump. */
struct tree_node {
	int parent;                /* index of the source it downloads from, -1: none (origin, or done) */
	unsigned int children;     /* in flight from it, holding a slot */
	unsigned int released;     /* in flight from it, slot released (overdue) */
	unsigned int limit;
	bool serves;
	bool done;
};

/* After a source's limit changed, readings wait this long to count. */
static uint64_t settle_ms(const struct acs_config *config)
{
	return config->source_poll_interval_ms > 500 ? config->source_poll_interval_ms : 500;
}

static unsigned int figure_limit(struct controller *controller, struct campaign_member *member,
				 const struct tree_node *node, uint64_t now_ms)
{
	const struct acs_config *config = &controller->config;
	struct device *device = member->device;
	struct source_figures figures = {
		.receiving = member->state != MEMBER_DONE,
		.children = node->children,
		.current_limit = member->children_limit,
		.capacity = (uint64_t)device->bandwidth * 125, /* kbit/s */
	};
	uint32_t occupancy;

	/* a reading counts once its whole window came after the source was done
	 * and its limit last changed (and a settling time: the new children's
	 * first bytes come after their sessions), and when something was sent
	 * at all. Children that come and go under one limit do not void it:
	 * with images that take less than a reading to send, children always
	 * come and go, and the gaps between them are what the reading must see */
	figures.egress_valid = source_egress(controller, device, now_ms, &figures.egress) && figures.egress > 0 &&
			       device->measured.window_start_ms >= member->children_limit_since_ms + settle_ms(config);
	figures.over_occupancy = source_occupancy(controller, device, now_ms, &occupancy) &&
				 occupancy > campaign_occupancy_limit(config);
	return tree_children_limit(&figures, member->group->campaign->fanout, config->relay_fanout);
}

/* Whether candidate is member or below it (then it cannot feed member). */
static bool descends_from(const struct tree_node *nodes, size_t count, int candidate, int member)
{
	for (size_t steps = 0; candidate >= 0 && steps <= count; steps++) {
		if (candidate == member)
			return true;
		candidate = nodes[candidate].parent;
	}
	return false;
}

/* The best source with a free slot for member (index), or -1. Sources
 * that hold the whole image come first (a relay is bound by its own
 * intake), then the most free slots, then the one that started first;
 * the source member last failed against comes last, and not at all while
 * it is still receiving. */
static int pick_source(struct campaign_group *group, const struct tree_node *nodes, int member)
{
	const struct campaign_member *placed = group->members[member];
	bool has_children = nodes[member].children + nodes[member].released > 0;
	int best = -1;

	for (size_t i = 0; i < group->member_count; i++) {
		const struct tree_node *node = &nodes[i];
		const struct campaign_member *candidate = group->members[i];
		unsigned int spare, best_spare;
		bool avoid, best_avoid;

		if (!node->serves || (int)i == member || node->children >= node->limit ||
		    node->children + node->released >= 2 * node->limit)
			continue;
		if (has_children && descends_from(nodes, group->member_count, (int)i, member))
			continue;
		avoid = candidate->device->id == placed->failed_source_id;
		if (avoid && !node->done)
			continue; /* it still waits for bytes itself: it would stall again */
		if (best < 0) {
			best = (int)i;
			continue;
		}
		best_avoid = group->members[best]->device->id == placed->failed_source_id;
		if (avoid != best_avoid) {
			if (best_avoid)
				best = (int)i;
			continue;
		}
		if (node->done != nodes[best].done) {
			if (node->done)
				best = (int)i;
			continue;
		}
		spare = node->limit - node->children;
		best_spare = nodes[best].limit - nodes[best].children;
		if (spare != best_spare) {
			if (spare > best_spare)
				best = (int)i;
			continue;
		}
		if (candidate->since_ms < group->members[best]->since_ms)
			best = (int)i;
	}
	return best;
}

/* Links every in-flight member to its source and counts children. */
static void link_nodes(struct controller *controller, struct campaign_group *group, struct tree_node *nodes,
		       uint64_t now_ms)
{
	for (size_t i = 0; i < group->member_count; i++)
		nodes[i].parent = -1;
	for (size_t i = 0; i < group->member_count; i++) {
		struct campaign_member *member = group->members[i];
		struct campaign_member *source;
		struct tree_node *node;

		nodes[i].done = member->state == MEMBER_DONE;
		if (!member->source_device_id || (!in_flight(member) && now_ms - member->since_ms > 10000))
			continue;
		source = member_of(controller, group, member->source_device_id);
		if (!source || source == member)
			continue;
		node = &nodes[source->group_index];
		if (!in_flight(member))
			continue;
		nodes[i].parent = (int)source->group_index;
		if (member->slot_released)
			node->released++;
		else
			node->children++;
	}
}

/* Depth of node below the root (0 for the master), bounded. */
static unsigned int depth_of(const struct tree_node *nodes, size_t count, int node)
{
	unsigned int depth = 0;

	while (node >= 0 && nodes[node].parent >= 0 && depth <= count) {
		node = nodes[node].parent;
		depth++;
	}
	return depth;
}

/* The child of source that came last (the least of the image received):
 * a downloading slave serving nobody itself, or -1. Only a cascade agent
 * (X_CASCADE_ parameters) moves: it lets a Download of the same image
 * supersede the running one and resumes from its bytes; a stock device
 * would queue the second Download and fetch the image twice. */
static int newest_child(const struct campaign_group *group, const struct tree_node *nodes, int source)
{
	int newest = -1;

	for (size_t i = 0; i < group->member_count; i++) {
		const struct campaign_member *child = group->members[i];

		if (nodes[i].parent != source || child->state != MEMBER_DOWNLOADING || child->role != ROLE_SLAVE ||
		    !child->device->cascade_capable || nodes[i].children + nodes[i].released > 0)
			continue;
		if (newest < 0 || child->since_ms > group->members[newest]->since_ms)
			newest = (int)i;
	}
	return newest;
}

/* The end game: nothing of the open waves is left to place, and yet a
 * source that holds the whole image serves nobody while another shares its
 * uplink among two children or more (the last children placed there wait
 * behind each other: the campaign's tail). The idle source takes over the
 * busiest source's newest child, which resumes at its offset there
 * (Range); its siblings get the uplink to themselves. Only downloading
 * children move (a queued one may be answering its Download right now),
 * each to a source with no child: every move evens the load, none undoes
 * one. */
static void rebalance(struct controller *controller, struct campaign_group *group, struct tree_node *nodes,
		      size_t cut, struct store_batch *batch)
{
	struct campaign *campaign = group->campaign;

	for (size_t i = 0; i < cut; i++)
		if (group->members[i]->state == MEMBER_PENDING && group->members[i]->role == ROLE_SLAVE)
			return; /* placing comes first */
	for (size_t idle = 0; idle < group->member_count; idle++) {
		struct tree_node *thief = &nodes[idle];
		unsigned int most = 1;
		int busiest = -1, child;

		if (!thief->serves || !thief->done || thief->limit == 0 || thief->children + thief->released > 0)
			continue;
		for (size_t i = 0; i < group->member_count; i++) {
			unsigned int load = nodes[i].children + nodes[i].released;

			if (load > most && newest_child(group, nodes, (int)i) >= 0) {
				most = load;
				busiest = (int)i;
			}
		}
		if (busiest < 0)
			return; /* no source shares its uplink: nothing to even out */
		child = newest_child(group, nodes, busiest);
		log_info("campaign %u group %u: %s moves from %s (%u children) to idle %s, resuming at its offset",
			 campaign->id, group->group->id, group->members[child]->device->key,
			 group->members[busiest]->device->key, most, group->members[idle]->device->key);
		if (group->members[child]->slot_released)
			nodes[busiest].released--;
		else
			nodes[busiest].children--;
		if (group->members[child]->attempts)
			group->members[child]->attempts--; /* re-pointed, not failed */
		member_dispatch_from(controller, group->members[child], group->members[idle]->device->id, batch);
		nodes[child].parent = (int)idle;
		thief->children++;
		group->rebalanced++;
	}
}

void tree_pump(struct controller *controller, struct campaign_group *group, struct store_batch *batch)
{
	struct campaign *campaign = group->campaign;
	uint64_t now_ms = monotonic_ms(), now_seconds = realtime_seconds();
	size_t count = group->member_count, cut;
	struct tree_node *nodes = calloc(count ? count : 1, sizeof(*nodes));
	unsigned int sources = 0, depth = 0;

	if (!nodes)
		return;
	link_nodes(controller, group, nodes, now_ms);
	for (size_t i = 0; i < count; i++) {
		struct campaign_member *member = group->members[i];

		member->children = nodes[i].children;
		nodes[i].serves = serves_now(controller, member, now_ms, now_seconds);
		if (!nodes[i].serves)
			continue;
		if (member->state == MEMBER_DONE && member->since_ms > member->children_limit_since_ms)
			member->children_limit_since_ms = member->since_ms; /* readings while it received tell nothing */
		nodes[i].limit = figure_limit(controller, member, &nodes[i], now_ms);
		if (nodes[i].limit != member->children_limit) {
			member->children_limit_since_ms = now_ms;
			log_debug("campaign %u group %u: %s may serve %u at once (was %u; %u serving, egress %lu bytes/s)",
				  campaign->id, group->group->id, member->device->key, nodes[i].limit, member->children_limit,
				  nodes[i].children, (unsigned long)member->device->measured.rate);
		}
		member->children_limit = nodes[i].limit;
		sources++;
		if (depth_of(nodes, count, (int)i) > depth)
			depth = depth_of(nodes, count, (int)i);
	}
	group->sources = sources;
	group->max_depth = depth;
	cut = campaign_waves_cut(&campaign->waves, campaign->waves.open, count);
	/* file servers first (they become sources), then the leaves */
	for (int pass = 0; pass < 2 && sources; pass++) {
		for (size_t i = 0; i < cut; i++) {
			struct campaign_member *member = group->members[i];
			int source;

			if (member->state != MEMBER_PENDING || member->role != ROLE_SLAVE ||
			    source_capable(controller, member, now_seconds) != (pass == 0))
				continue;
			source = pick_source(group, nodes, (int)i);
			if (source < 0) {
				if (pass == 1)
					break; /* a leaf has no descendants: nothing is free for any */
				continue;
			}
			member_dispatch_from(controller, member, group->members[source]->device->id, batch);
			nodes[source].children++;
			nodes[i].parent = source;
			if (campaign->state != CAMPAIGN_RUNNING)
				goto out;
		}
	}
	rebalance(controller, group, nodes, cut, batch);
out:
	free(nodes);
}

/* The relay leaves the tree: it is never a source (or master) again in
 * this campaign, its children resume elsewhere, and what its children
 * failed against it is refunded. It goes on with its own download. */
static void drop_relay(struct campaign_group *group, struct campaign_member *relay, const char *reason,
		       struct store_batch *batch)
{
	struct campaign *campaign = group->campaign;
	uint32_t relay_id = relay->device->id, *bigger;

	log_warn("campaign %u group %u: relay %s leaves the tree (%s); its children resume elsewhere", campaign->id,
		 group->group->id, relay->device->key, reason);
	bigger = realloc(group->bad_masters, (group->bad_master_count + 1) * sizeof(*bigger));
	if (bigger) {
		group->bad_masters = bigger;
		group->bad_masters[group->bad_master_count++] = relay_id;
	}
	for (size_t i = 0; i < group->member_count; i++) {
		struct campaign_member *member = group->members[i];
		unsigned int refund = member->failed_source_id == relay_id ? member->failures_against_source : 0;

		if (member->role == ROLE_SLAVE && in_flight(member) && member->source_device_id == relay_id) {
			if (member->attempts)
				member->attempts--; /* re-pointed, not failed */
			member_set_state(campaign, member, MEMBER_PENDING, batch);
		}
		if (refund == 0)
			continue;
		member->attempts -= refund < member->attempts ? refund : member->attempts;
		member->failures_against_source = 0;
		if (member->state == MEMBER_FAILED)
			member_set_state(campaign, member, MEMBER_PENDING, batch);
	}
	store_batch_campaign_group(batch, group);
}

bool tree_relay_fault(struct controller *controller, struct campaign_member *member, uint32_t code,
		      struct store_batch *batch)
{
	struct campaign_group *group = member->group;
	struct campaign_member *relay;
	bool bad_bytes = code == 9018 || code == 9019, gone;
	char reason[96];

	if (group->campaign->sources != SOURCES_TREE || !member->source_device_id ||
	    (group->master && member->source_device_id == group->master->device->id))
		return false;
	relay = member_of(controller, group, member->source_device_id);
	if (!relay)
		return false;
	if (member->failed_source_id != relay->device->id) {
		member->failed_source_id = relay->device->id;
		member->failures_against_source = 0;
	}
	member->failures_against_source++;
	/* gone or refusing; a stalled relay that still receives is waiting for
	 * its own source, not at fault. A relay is dropped on the first such
	 * fault: unlike a master it costs nothing to lose (it stays a leaf). */
	gone = code == 9015 || code == 9016 || (code == 9017 && relay->state == MEMBER_DONE);
	if (!bad_bytes && !gone)
		return false;
	snprintf(reason, sizeof(reason), bad_bytes ? "a child reported fault %u: bad bytes"
						   : "a child cannot download from it, fault %u",
		 code);
	member->fault_code = code;
	member_set_state(group->campaign, member, MEMBER_PENDING, batch);
	drop_relay(group, relay, reason, batch);
	return true;
}
