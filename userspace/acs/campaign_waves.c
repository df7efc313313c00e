/* Waves of a campaign: parsing and printing the shares, how far into each
 * group the open waves reach, and the rule that opens the next wave or
 * halts the campaign (success and error thresholds over the devices of the
 * open waves), with the halt's reason. */
#include "acs/campaign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* "12.5%" or "12.5" into basis points (0 < bp <= 10000). */
static int parse_share(const char *text, uint32_t *share_bp)
{
	char *end;
	double percent = strtod(text, &end);

	if (end == text || (*end && strcmp(end, "%") != 0) || !(percent > 0) || percent > 100)
		return -EINVAL;
	*share_bp = (uint32_t)(percent * 100 + 0.5);
	return *share_bp ? 0 : -EINVAL;
}

int campaign_waves_parse(const char *text, struct campaign_waves *waves, char *why, size_t why_size)
{
	char copy[256], *word, *save = NULL;
	struct campaign_waves parsed = { 0 };

	if (!text || !*text) {
		waves->count = 0;
		return 0;
	}
	if (snprintf(copy, sizeof(copy), "%s", text) >= (int)sizeof(copy)) {
		snprintf(why, why_size, "too long");
		return -EINVAL;
	}
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		uint32_t share;

		if (parse_share(word, &share) < 0) {
			snprintf(why, why_size, "\"%.40s\" is not a share: expected percentages such as 5%%,25%%,100%%", word);
			return -EINVAL;
		}
		if (parsed.count && share <= parsed.share_bp[parsed.count - 1]) {
			snprintf(why, why_size, "shares are cumulative: each must be larger than the one before");
			return -EINVAL;
		}
		if (parsed.count == CAMPAIGN_MAX_WAVES - 1 && share != 10000) {
			snprintf(why, why_size, "at most %d waves", CAMPAIGN_MAX_WAVES);
			return -EINVAL;
		}
		parsed.share_bp[parsed.count++] = share;
	}
	if (parsed.count == 0) {
		snprintf(why, why_size, "no share given");
		return -EINVAL;
	}
	if (parsed.share_bp[parsed.count - 1] != 10000)
		parsed.share_bp[parsed.count++] = 10000;
	waves->count = parsed.count;
	memcpy(waves->share_bp, parsed.share_bp, sizeof(waves->share_bp));
	return 0;
}

void campaign_waves_format(const struct campaign_waves *waves, char *text, size_t size)
{
	size_t used = 0;

	text[0] = '\0';
	for (unsigned int i = 0; waves->count > 1 && i < waves->count && used < size; i++) {
		uint32_t bp = waves->share_bp[i];
		int written = bp % 100 ? snprintf(text + used, size - used, "%s%u.%02u%%", i ? "," : "", bp / 100, bp % 100)
				       : snprintf(text + used, size - used, "%s%u%%", i ? "," : "", bp / 100);

		if (written < 0)
			break;
		used += (size_t)written;
	}
}

size_t campaign_waves_cut(const struct campaign_waves *waves, unsigned int open, size_t member_count)
{
	uint64_t share;
	size_t cut;

	if (waves->count <= 1 || open >= waves->count || open == 0)
		return member_count;
	share = waves->share_bp[open - 1];
	cut = (size_t)((share * member_count + 9999) / 10000);
	return cut < 1 ? 1 : cut > member_count ? member_count : cut;
}

bool campaign_wave_allows(const struct campaign_member *member)
{
	const struct campaign_group *group = member->group;
	const struct campaign *campaign = group->campaign;

	return member->group_index < campaign_waves_cut(&campaign->waves, campaign->waves.open, group->member_count);
}

/* Done, failed and still active (pending, queued, downloading) members
 * of the first `open` waves, over every group. */
struct wave_tally {
	size_t members, done, failed, active;
};

static void tally(const struct campaign *campaign, unsigned int open, struct wave_tally *counts)
{
	memset(counts, 0, sizeof(*counts));
	for (size_t g = 0; g < campaign->group_count; g++) {
		const struct campaign_group *group = &campaign->groups[g];
		size_t cut = campaign_waves_cut(&campaign->waves, open, group->member_count);

		for (size_t i = 0; i < cut; i++) {
			enum member_state state = group->members[i]->state;

			if (state == MEMBER_CANCELLED)
				continue;
			counts->members++;
			if (state == MEMBER_DONE)
				counts->done++;
			else if (state == MEMBER_FAILED)
				counts->failed++;
			else
				counts->active++;
		}
	}
}

enum wave_verdict { WAVE_WAIT = 0, WAVE_ADVANCE, WAVE_HALT_ERRORS, WAVE_HALT_SHORT };

static enum wave_verdict judge(const struct campaign_waves *waves, const struct wave_tally *counts)
{
	if (counts->members == 0)
		return WAVE_ADVANCE;
	if (counts->failed && counts->failed * 10000 >= (uint64_t)waves->error_bp * counts->members)
		return WAVE_HALT_ERRORS;
	if (counts->done * 10000 >= (uint64_t)waves->success_bp * counts->members)
		return WAVE_ADVANCE;
	return counts->active ? WAVE_WAIT : WAVE_HALT_SHORT;
}

/* Opens waves while the open ones meet the success threshold; the verdict
 * on the last open wave, with its tally. */
static enum wave_verdict advance(struct campaign *campaign, struct wave_tally *counts)
{
	struct campaign_waves *waves = &campaign->waves;
	enum wave_verdict verdict = WAVE_WAIT;

	if (waves->open == 0)
		waves->open = 1;
	for (unsigned int step = 0; step < CAMPAIGN_MAX_WAVES; step++) {
		tally(campaign, waves->open, counts);
		verdict = judge(waves, counts);
		if (verdict == WAVE_HALT_SHORT && waves->open >= waves->count)
			return WAVE_WAIT; /* the last wave ends the campaign as any other would */
		if (verdict != WAVE_ADVANCE || waves->open >= waves->count)
			return verdict;
		waves->open++;
		log_info("campaign %u: wave %u of %u opens (%u.%02u%% of every group): %zu of %zu done so far",
			 campaign->id, waves->open, waves->count, waves->share_bp[waves->open - 1] / 100,
			 waves->share_bp[waves->open - 1] % 100, counts->done, counts->members);
	}
	return verdict;
}

bool campaign_waves_halted(const struct campaign *campaign)
{
	struct campaign waved = *campaign;
	struct wave_tally counts;
	enum wave_verdict verdict;

	if (campaign->waves.count <= 1)
		return false;
	waved.waves.open = 1;
	verdict = advance(&waved, &counts);
	return verdict == WAVE_HALT_ERRORS || verdict == WAVE_HALT_SHORT;
}

void campaign_waves_reason(const struct campaign *campaign, char *text, size_t size)
{
	struct campaign waved = *campaign;
	struct wave_tally counts;
	enum wave_verdict verdict;
	unsigned int open;

	waved.waves.open = 1;
	verdict = advance(&waved, &counts);
	open = waved.waves.open;
	if (verdict == WAVE_HALT_ERRORS)
		snprintf(text, size,
			 "wave %u of %u: %zu of its %zu devices failed, at or over the error threshold of %u.%02u%%", open,
			 campaign->waves.count, counts.failed, counts.members, campaign->waves.error_bp / 100,
			 campaign->waves.error_bp % 100);
	else if (verdict == WAVE_HALT_SHORT)
		snprintf(text, size, "wave %u of %u ended with %zu of its %zu devices done, under the success threshold of "
				     "%u.%02u%%", open, campaign->waves.count, counts.done, counts.members,
			 campaign->waves.success_bp / 100, campaign->waves.success_bp % 100);
	else
		snprintf(text, size, "wave %u of %u", open, campaign->waves.count);
}

void campaign_waves_update(struct controller *controller, struct campaign *campaign, struct store_batch *batch)
{
	unsigned int opened_before = campaign->waves.open;
	struct wave_tally counts;
	enum wave_verdict verdict;
	char reason[200];

	if (campaign->waves.count <= 1 || campaign->state != CAMPAIGN_RUNNING)
		return;
	verdict = advance(campaign, &counts);
	if (verdict == WAVE_HALT_ERRORS || verdict == WAVE_HALT_SHORT) {
		campaign->state = CAMPAIGN_HALTED;
		campaign_waves_reason(campaign, reason, sizeof(reason));
		log_error("campaign %u halted: %s; cancel it, or start another campaign for the rest", campaign->id,
			  reason);
		store_batch_campaign(batch, campaign);
		return;
	}
	if (campaign->waves.open != opened_before)
		for (size_t g = 0; g < campaign->group_count; g++)
			group_pump(controller, &campaign->groups[g], batch);
}
