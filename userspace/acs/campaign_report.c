/* Campaign reports (see campaign_report.h). */
#include "acs/campaign_report.h"
#include "acs/campaign.h"

#include <time.h>

uint64_t campaign_clock_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

struct tally {
	size_t counts[MEMBER_STATE_COUNT];
	uint64_t origin_downloads;
	uint64_t from_masters; /* done members whose last download came from a master */
};

static void add_member(struct tally *tally, const struct campaign_member *member)
{
	tally->counts[member->state]++;
	tally->origin_downloads += member->origin_downloads;
	if (member->state == MEMBER_DONE && member->source_device_id != 0)
		tally->from_masters++;
}

json_t *member_counts_json(const size_t counts[MEMBER_STATE_COUNT])
{
	json_t *object = json_object();

	for (int state = 0; state < MEMBER_STATE_COUNT; state++)
		json_object_set_new(object, member_state_name((enum member_state)state),
				    json_integer((json_int_t)counts[state]));
	return object;
}

static json_t *group_json(const struct campaign_group *group, uint64_t image_size)
{
	struct tally tally = { 0 };

	for (size_t i = 0; i < group->member_count; i++)
		add_member(&tally, group->members[i]);
	return json_pack("{s:I, s:s, s:I, s:s?, s:I, s:b, s:o, s:I, s:I, s:I}", "group", (json_int_t)group->group->id,
			 "key", group->group->key, "devices", (json_int_t)group->member_count, "master",
			 group->master ? group->master->device->key : NULL, "failed_masters",
			 (json_int_t)group->failed_masters, "fallback_origin", group->fallback_origin, "counts",
			 member_counts_json(tally.counts), "origin_requests", (json_int_t)tally.origin_downloads, "origin_bytes",
			 (json_int_t)(tally.origin_downloads * image_size), "served_by_masters",
			 (json_int_t)tally.from_masters);
}

json_t *campaign_report_json(struct controller *controller, const struct campaign *campaign)
{
	struct tally tally = { 0 };
	uint64_t now = campaign_clock_ms(), size = campaign->image_size, direct_bytes, origin_bytes;
	json_t *groups = json_array(), *report;

	(void)controller;
	for (size_t i = 0; i < campaign->member_count; i++)
		add_member(&tally, &campaign->members[i]);
	for (size_t g = 0; g < campaign->group_count; g++)
		json_array_append_new(groups, group_json(&campaign->groups[g], size));
	direct_bytes = (uint64_t)campaign->member_count * size;
	origin_bytes = tally.origin_downloads * size;
	report = json_pack("{s:I, s:s, s:I, s:s, s:s, s:I, s:o, s:o, s:I, s:I, s:I, s:o}", "campaign",
			   (json_int_t)campaign->id, "image", campaign->image_name, "size", (json_int_t)size, "mode",
			   campaign_mode_name(campaign->mode), "state", campaign_state_name(campaign->state), "started_ms",
			   (json_int_t)campaign->started_ms, "finished_ms",
			   campaign->finished_ms ? json_integer((json_int_t)campaign->finished_ms) : json_null(),
			   "makespan_ms",
			   campaign->finished_ms ? json_integer((json_int_t)(campaign->finished_ms - campaign->started_ms))
						 : json_null(),
			   "elapsed_ms",
			   (json_int_t)((campaign->finished_ms ? campaign->finished_ms : now) - campaign->started_ms),
			   "devices", (json_int_t)campaign->member_count, "groups", (json_int_t)campaign->group_count,
			   "counts", member_counts_json(tally.counts));
	if (!report) {
		json_decref(groups);
		return NULL;
	}
	json_object_set_new(report, "still_running",
			    json_integer((json_int_t)(tally.counts[MEMBER_QUEUED] + tally.counts[MEMBER_DOWNLOADING])));
	json_object_set_new(report, "served_by_masters", json_integer((json_int_t)tally.from_masters));
	json_object_set_new(report, "origin",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:f}", "requests", (json_int_t)tally.origin_downloads,
				      "bytes", (json_int_t)origin_bytes, "direct_requests",
				      (json_int_t)campaign->member_count, "direct_bytes", (json_int_t)direct_bytes,
				      "saved_bytes", (json_int_t)(direct_bytes > origin_bytes ? direct_bytes - origin_bytes : 0),
				      "fraction_of_direct",
				      direct_bytes ? (double)origin_bytes / (double)direct_bytes : 0.0));
	json_object_set_new(report, "group_details", groups);
	return report;
}
