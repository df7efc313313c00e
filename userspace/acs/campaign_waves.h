/* A campaign's waves (hawkBit's rollout groups): every group's members are
 * opened to dispatch in cumulative shares, e.g. "5%,25%,100%". The next
 * wave opens when the done devices of the open waves reach the success
 * threshold; the campaign halts when their failed devices reach the error
 * threshold, or when the open waves finish under the success threshold.
 * Shares and thresholds are kept in basis points (percent x100). */
#ifndef CASCADE_ACS_CAMPAIGN_WAVES_H
#define CASCADE_ACS_CAMPAIGN_WAVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAMPAIGN_MAX_WAVES 16

struct campaign_waves {
	unsigned int count;                     /* 0 or 1: one wave, everything open */
	uint32_t share_bp[CAMPAIGN_MAX_WAVES];  /* cumulative, increasing, the last 10000 */
	uint32_t success_bp, error_bp;
	unsigned int open;                      /* in memory: waves opened so far (1..count) */
};

/* "5%,25%,100%" (a last 100% is added when missing; "" is one wave) into
 * waves->count and share_bp. Returns 0, or -EINVAL with why filled. */
int campaign_waves_parse(const char *text, struct campaign_waves *waves, char *why, size_t why_size);
/* The shares as "5%,25%,100%" ("" for one wave). */
void campaign_waves_format(const struct campaign_waves *waves, char *text, size_t size);
/* How many of a group's member_count members (in their order) the first
 * open waves cover: ceil(share x count), at least 1, all for the last. */
size_t campaign_waves_cut(const struct campaign_waves *waves, unsigned int open, size_t member_count);

#endif
