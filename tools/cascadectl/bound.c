/* cascadectl bound: the physical bound of a rollout (common/rollout_bound.h)
 * from the fleet and its links, with its binding term, and, given a
 * measured makespan, that makespan as a multiple of the bound. Benchmarks
 * and the demo print their figures with it. */
#include "cli.h"

#include <getopt.h>
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

int command_bound(int argc, char **argv)
{
	static const struct option options[] = {
		{ "devices", required_argument, NULL, 'n' },  { "groups", required_argument, NULL, 'g' },
		{ "image-size", required_argument, NULL, 's' }, { "origin", required_argument, NULL, 'o' },
		{ "downlink", required_argument, NULL, 'd' },  { "uplink", required_argument, NULL, 'u' },
		{ "sources", required_argument, NULL, 'k' },   { "makespan", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct rollout_links links = { 0 };
	struct rollout_bound bound;
	long long devices = 0, groups = 0, sources = 0;
	double uplink = 0, makespan = -1;
	uint64_t size = 0;
	int option;

	optind = 1;
	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		char *end;

		switch (option) {
		case 'n':
			if (parse_integer(optarg, 1, 100000000, &devices) < 0)
				return usage_error("bound", "--devices wants 1..100000000, not \"%s\"", optarg);
			break;
		case 'g':
			if (parse_integer(optarg, 1, 100000000, &groups) < 0)
				return usage_error("bound", "--groups wants 1..100000000, not \"%s\"", optarg);
			break;
		case 'k':
			if (parse_integer(optarg, 0, 100000000, &sources) < 0)
				return usage_error("bound", "--sources wants 0..100000000, not \"%s\"", optarg);
			break;
		case 's':
			if (parse_size(optarg, &size) < 0 || size == 0)
				return usage_error("bound", "--image-size wants a size such as 4M, not \"%s\"", optarg);
			break;
		case 'o':
			if (rate_option("origin", optarg, &links.origin_egress))
				return 2;
			break;
		case 'd':
			if (rate_option("downlink", optarg, &links.device_downlink))
				return 2;
			break;
		case 'u':
			if (rate_option("uplink", optarg, &uplink))
				return 2;
			break;
		case 'm':
			makespan = strtod(optarg, &end);
			if (*end || end == optarg || !(makespan >= 0))
				return usage_error("bound", "--makespan wants seconds, not \"%s\"", optarg);
			break;
		default:
			return usage_error("bound", "unknown option");
		}
	}
	if (optind != argc || !devices || !groups || !size || links.origin_egress <= 0)
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
