/* cascade-load: the project's HTTP load generator and download client.
 * Bulk mode runs N concurrent full downloads and prints a JSON summary;
 * with --output it downloads once into a file, resuming with a Range
 * request when asked, and checks the SHA-256 of the whole file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.h"
#include "engine.h"
#include "options.h"
#include "summary.h"

static int open_output(const struct load_options *options, struct download_sink *sink)
{
	struct stat status;

	memset(sink, 0, sizeof(*sink));
	sink->fd = open(options->output, O_WRONLY | O_CREAT | O_CLOEXEC | (options->resume ? 0 : O_TRUNC),
			0644);
	if (sink->fd < 0) {
		fprintf(stderr, "cascade-load: cannot open %s: %s\n", options->output, strerror(errno));
		return -errno;
	}
	if (options->resume && fstat(sink->fd, &status) == 0)
		sink->existing = (uint64_t)status.st_size;
	return 0;
}

/* The whole file must hash to --verify-sha256 (resumed parts included). */
static bool output_verified(const struct load_options *options)
{
	uint8_t digest[SHA256_DIGEST_BYTES];

	return sha256_file(options->output, digest, NULL) == 0 &&
	       memcmp(digest, options->sha256, sizeof(digest)) == 0;
}

int main(int argc, char **argv)
{
	struct load_options options;
	struct download_sink sink;
	struct load_result result;
	bool single;
	int parsed = load_options_parse(argc, argv, &options);
	int status;

	if (parsed == 1)
		return 0;
	if (parsed != 0)
		return 2;
	single = options.output != NULL;
	if (single && open_output(&options, &sink) != 0)
		return 1;
	if (load_run(&options, single ? &sink : NULL, &result) != 0) {
		fprintf(stderr, "cascade-load: out of memory\n");
		return 1;
	}
	if (single) {
		if (fsync(sink.fd) != 0 || close(sink.fd) != 0) {
			result.errors[CLIENT_ERROR_OUTPUT]++;
			if (result.completed > 0)
				result.completed--;
		}
		if (options.verify && result.completed == 1 && !output_verified(&options)) {
			result.completed = 0;
			result.errors[CLIENT_ERROR_HASH]++;
		}
	}
	summary_print(&options, &result, single ? &sink : NULL);
	if (options.duration_ms > 0) {
		uint64_t errors = 0;

		for (int kind = 1; kind < CLIENT_ERROR_KINDS; kind++)
			errors += result.errors[kind];
		status = errors == 0 ? 0 : 1;
	} else {
		status = result.completed + result.client_resets == result.clients ? 0 : 1;
	}
	free(result.client_seconds);
	return status;
}
