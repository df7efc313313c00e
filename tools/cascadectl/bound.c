/* cascadectl bound: the physical bound of a rollout (common/rollout_bound.h)
 * from the fleet and its links, with its binding term, and, given a
 * measured makespan, that makespan as a multiple of the bound. Benchmarks
 * and the demo print their figures with it. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "common/rollout_bound.h"
#include "meter/meter_values.h"

static const char *const term_names[ROLLOUT_BOUND_TERMS] = { "origin", "downlink", "aggregate" };

static int rate_option(const char *name, const char *text, double *rate)
{
	uint64_t bytes_per_second;

	if (meter_parse_rate(text, &bytes_per_second) < 0)
		return usage_error("bound", "--%s wants a rate such as 100mbit or 12.5MB/s, not \"%s\"", name, text);
	*rate = (double)bytes_per_second;
	return 0;
}

enum bound_option {
	OPTION_DEVICES = 1,
	OPTION_GROUPS,
	OPTION_IMAGE_SIZE,
	OPTION_ORIGIN,
	OPTION_DOWNLINK,
	OPTION_UPLINK,
	OPTION_SOURCES,
	OPTION_MAKESPAN,
};

static const struct cli_option bound_options[] = {
	CLI_OPTION("devices", "N", "devices in the rollout, masters included (required)", OPTION_DEVICES),
	CLI_OPTION("groups", "G", "groups: the origin sends each one copy (required)", OPTION_GROUPS),
	CLI_OPTION("image-size", "SIZE", "the image's size, e.g. 4M (required)", OPTION_IMAGE_SIZE),
	CLI_OPTION("origin", "RATE", "the origin's egress, e.g. 1gbit (required)", OPTION_ORIGIN),
	CLI_OPTION("downlink", "RATE", "every device's downlink", OPTION_DOWNLINK),
	CLI_OPTION("sources", "K", "devices that may serve, the masters included", OPTION_SOURCES),
	CLI_OPTION("uplink", "RATE", "each source's uplink", OPTION_UPLINK),
	CLI_OPTION("makespan", "SECONDS", "a measured makespan: print it as a multiple of the bound", OPTION_MAKESPAN),
	CLI_END_OF_OPTIONS,
};

const struct cli_command bound_command = {
	.words = "bound",
	.synopsis = "--devices N --groups G --image-size SIZE --origin RATE [--downlink RATE]\n"
		    "      [--sources K --uplink RATE] [--makespan SECONDS]",
	.summary = "the physical bound of a rollout, and a makespan as a multiple of it",
	.description = "A rollout of an image of S bytes to N devices in G groups cannot finish sooner than the\n"
		       "largest of G·S / origin egress, S / device downlink and N·S / (origin egress + the\n"
		       "sources' egress). Prints the bound with its binding term, or with --makespan the ratio.",
	.options = bound_options,
};

int command_bound(int argc, char **argv)
{
	struct rollout_links links = { 0 };
	struct rollout_bound bound;
	long long devices = 0, groups = 0, sources = 0;
	double uplink = 0, makespan = -1;
	uint64_t size = 0;
	struct cli_parser parser;
	int code;

	cli_begin(&parser, "cascadectl", &bound_command, argc, argv);
	while ((code = cli_next(&parser)) > 0) {
		const char *value = parser.value;
		char *end;

		switch (code) {
		case OPTION_DEVICES:
			if (parse_integer(value, 1, 100000000, &devices) < 0)
				return cli_bad_value(&parser, "expected 1..100000000");
			break;
		case OPTION_GROUPS:
			if (parse_integer(value, 1, 100000000, &groups) < 0)
				return cli_bad_value(&parser, "expected 1..100000000");
			break;
		case OPTION_SOURCES:
			if (parse_integer(value, 0, 100000000, &sources) < 0)
				return cli_bad_value(&parser, "expected 0..100000000");
			break;
		case OPTION_IMAGE_SIZE:
			if (parse_size(value, &size) < 0 || size == 0)
				return cli_bad_value(&parser, "expected a size such as 4M");
			break;
		case OPTION_ORIGIN:
			if (rate_option("origin", value, &links.origin_egress))
				return 2;
			break;
		case OPTION_DOWNLINK:
			if (rate_option("downlink", value, &links.device_downlink))
				return 2;
			break;
		case OPTION_UPLINK:
			if (rate_option("uplink", value, &uplink))
				return 2;
			break;
		default: /* OPTION_MAKESPAN */
			makespan = strtod(value, &end);
			if (*end || end == value || !(makespan >= 0))
				return cli_bad_value(&parser, "expected seconds");
			break;
		}
	}
	if (code < 0)
		return cli_exit_status(code);
	if ((code = cli_check_operands(&parser, 0, 0, "")) != 0)
		return code;
	if (!devices || !groups || !size || links.origin_egress <= 0)
		return usage_error("bound", "needs --devices N --groups G --image-size SIZE --origin RATE "
					    "[--downlink RATE] [--sources K --uplink RATE] [--makespan SECONDS]");
	links.image_bytes = size;
	links.devices = (uint64_t)devices;
	links.groups = (uint64_t)groups;
	links.source_egress_sum = uplink * (double)sources;
	if (rollout_bound_compute(&links, &bound) < 0)
		return usage_error("bound", "no bound for these figures (more groups than devices?)");
	if (cli_options.json) {
		json_t *terms = json_object(), *document;

		for (int term = 0; term < ROLLOUT_BOUND_TERMS; term++)
			json_object_set_new(terms, term_names[term], json_real(bound.terms[term]));
		document = json_pack("{s:f, s:s, s:s, s:o}", "seconds", bound.seconds, "binding",
				     term_names[bound.binding], "formula", rollout_bound_term_formula(bound.binding),
				     "terms", terms);
		if (makespan >= 0)
			json_object_set_new(document, "ratio", json_real(bound.seconds > 0 ? makespan / bound.seconds : 0));
		print_json(document);
		json_decref(document);
		return 0;
	}
	if (makespan >= 0)
		printf("%.2f× the physical bound (%.2f s, bound by %s)\n", bound.seconds > 0 ? makespan / bound.seconds : 0,
		       bound.seconds, rollout_bound_term_formula(bound.binding));
	else
		printf("physical bound %.2f s, bound by %s (G·S / origin egress %.2f s, S / device downlink %.2f s, "
		       "N·S / (origin egress + sources' egress) %.2f s)\n",
		       bound.seconds, rollout_bound_term_formula(bound.binding), bound.terms[ROLLOUT_BOUND_ORIGIN],
		       bound.terms[ROLLOUT_BOUND_DOWNLINK], bound.terms[ROLLOUT_BOUND_AGGREGATE]);
	return 0;
}
