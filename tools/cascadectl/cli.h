/* cascadectl's shared state and helpers: the global options (--api,
 * --token-file, --json), the API client (libcurl + jansson) and output
 * helpers. A command is `int NAME(int argc, char **argv)` in the table in
 * main.c; argv[0] is the command name and the global options are already
 * removed, so another library's `int meter_cli_main(int argc, char **argv)`
 * plugs in as one more table entry. Each command's options are a table
 * (struct cli_command, common/cli.h) that main.c also lists for --help
 * and the man page. */
#ifndef CASCADE_CASCADECTL_CLI_H
#define CASCADE_CASCADECTL_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/cli.h"

struct cli_options {
	const char *api_url;    /* default http://127.0.0.1:7548 */
	const char *token_file; /* optional */
	bool json;              /* print the API's JSON instead of tables */
};

extern struct cli_options cli_options;

/* Calls the API: method "GET"/"POST", path "/api/...", body JSON text or
 * NULL. On success (2xx) returns 0 and *response (caller decrefs). On
 * failure prints a message naming what went wrong and returns 1. */
int api_call(const char *method, const char *path, const char *body, json_t **response);

/* Prints a JSON document (pretty) on stdout. */
void print_json(json_t *document);
/* With --json: prints the response, frees it and returns true. */
bool print_json_if_asked(json_t *response);
/* Reports a usage error for a command ("cascadectl COMMAND: ... (see
 * --help)") and returns 2. */
int usage_error(const char *command, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* The commands' tables (their options, usage and help). */
extern const struct cli_command devices_command, groups_command, sign_command, bound_command;
extern const struct cli_command campaign_start_command, campaign_status_command, campaign_watch_command;
extern const struct cli_command campaign_pause_command, campaign_resume_command, campaign_cancel_command;
extern const struct cli_command campaign_report_command;
extern const struct cli_command faults_command, faults_clear_command, faults_retry_command;

int command_devices(int argc, char **argv);
int command_groups(int argc, char **argv);
int command_faults(int argc, char **argv);
int command_campaign(int argc, char **argv);
int command_meter(int argc, char **argv);
int command_sign(int argc, char **argv);
int command_bound(int argc, char **argv);

/* campaign_rollout.c: --sources, --waves, --wave-success, --wave-error and
 * --egress-budget of campaign start into request (0, or 2 after a usage
 * error); the rollout as ", wave 2 of 3 (25%), 42 sources serving ..." and
 * a group's line of campaign status. */
int rollout_start_option(const char *name, const char *value, json_t *request);
void rollout_describe(json_t *campaign, char *text, size_t size);
void rollout_print_group(json_t *group);

/* --file PATH of campaign start and sign: hex (65 bytes) and *size from
 * the file, *sha256 = hex, *image = its base name unless already given.
 * Returns 0, or 1 after printing why. */
int image_facts_from_file(const char *command, const char *file, char *hex, const char **sha256, long long *size,
			  const char **image);

#endif
