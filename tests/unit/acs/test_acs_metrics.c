/* Unit tests for cascade-acs's /metrics text: every sample belongs to a
 * family announced with # HELP and # TYPE before it (what promtool and
 * Prometheus want), the build and process families are there, and the
 * process figures read from /proc are this process's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acs/campaign.h"
#include "acs/metrics_text.h"
#include "acs/process_figures.h"
#include "common/clock.h"
#include "common/settings.h"
#include "campaign_fixture.h"

/* The value of the sample line that starts with prefix, or -1. */
static double sample(const char *text, const char *prefix)
{
	const char *line = text;
	size_t length = strlen(prefix);

	while (line && *line) {
		if (strncmp(line, prefix, length) == 0 && line[length] == ' ')
			return strtod(line + length + 1, NULL);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return -1;
}

static void test_every_family_has_help_and_type(void **state)
{
	struct fixture *fixture = *state;
	char *text, *copy, *line, *save = NULL, announced[64][96];
	size_t families = 0, samples = 0;

	start(fixture, CAMPAIGN_MODE_URL, 4);
	fixture->devices[3]->open_faults = 2;
	text = metrics_text(&fixture->controller, 7);
	assert_non_null(text);
	copy = strdup(text);
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[96];
		bool found = false;

		if (strncmp(line, "# HELP ", 7) == 0) {
			char *next = strtok_r(NULL, "\n", &save);

			assert_true(sscanf(line + 7, "%95s", name) == 1);
			assert_true(strlen(line) > 8 + strlen(name)); /* a help text follows the name */
			assert_non_null(next);
			assert_true(strncmp(next, "# TYPE ", 7) == 0 && strncmp(next + 7, name, strlen(name)) == 0);
			assert_true(strstr(next, " gauge") || strstr(next, " counter"));
			assert_true(families < 64);
			snprintf(announced[families++], sizeof(announced[0]), "%s", name);
			continue;
		}
		assert_true(line[0] != '#'); /* no TYPE without its HELP */
		assert_true(sscanf(line, "%95[a-z_]", name) == 1);
		for (size_t i = 0; i < families && !found; i++)
			found = strcmp(announced[i], name) == 0;
		if (!found)
			fail_msg("sample %s has no # HELP / # TYPE", line);
		samples++;
	}
	free(copy);
	assert_true(families >= 30);
	assert_true(samples >= families);
	{
		char build[160];

		snprintf(build, sizeof(build), "cascade_build_info{program=\"cascade-acs\",version=\"%s\"}",
			 settings_version());
		assert_true(sample(text, build) == 1);
	}
	assert_true(sample(text, "cascade_acs_devices") == 8);
	assert_true(sample(text, "cascade_acs_store_pending") == 7);
	assert_true(sample(text, "cascade_acs_faults_open") == 2);
	assert_true(sample(text, "cascade_acs_devices_with_faults") == 1);
	assert_true(sample(text, "cascade_acs_campaign_devices{campaign=\"1\",state=\"queued\"}") == 1);
	assert_true(sample(text, "process_resident_memory_bytes") > 0);
	assert_true(sample(text, "process_start_time_seconds") > 1.6e9);
	free(text);
}

static void test_process_figures(void **state)
{
	struct process_figures before, after;
	int fd;

	(void)state;
	assert_int_equal(process_figures_read(&before), 0);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(process_figures_read(&after), 0);
	assert_true(after.open_fds == before.open_fds + 1);
	close(fd);
	assert_true(before.resident_bytes > 0 && before.virtual_bytes >= before.resident_bytes);
	assert_true(before.max_fds >= before.open_fds);
	assert_true(before.start_time_seconds <= (double)realtime_seconds() + 1);
	assert_true(before.start_time_seconds > (double)realtime_seconds() - 3600);
	assert_true(before.cpu_seconds >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_family_has_help_and_type, setup, teardown),
		cmocka_unit_test(test_process_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
