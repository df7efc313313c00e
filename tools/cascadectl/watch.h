/* What `cascadectl campaign watch` prints and how it ends, apart from the
 * polling so it can be tested: every line starts with the time of the poll
 * (UTC), and the watch ends when the campaign is done (exit 0, 1 with
 * failures), halted (1) or cancelled (4: a cancelled campaign is never a
 * success; transfers still running are counted in the last line). */
#ifndef CASCADE_CASCADECTL_WATCH_H
#define CASCADE_CASCADECTL_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define WATCH_EXIT_DONE 0
#define WATCH_EXIT_FAILURES 1
#define WATCH_EXIT_TIMEOUT 3
#define WATCH_EXIT_CANCELLED 4

/* The line for one poll of campaign (GET /api/campaigns/ID) at now: a
 * progress bar on a terminal, counts otherwise. */
void watch_line(json_t *campaign, time_t now, bool terminal, char *line, size_t size);
/* Whether the campaign has ended; then *status is the exit status. */
bool watch_finished(json_t *campaign, int *status);

#endif
