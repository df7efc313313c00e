/* cascade-load's command line. */
#ifndef CASCADE_LOAD_OPTIONS_H
#define CASCADE_LOAD_OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/sha256.h"
#include "url.h"

struct load_options {
	struct url url;
	const char *url_text;
	unsigned int clients;
	unsigned int threads;
	unsigned int connect_burst;
	uint64_t deadline_ms;
	bool has_source_range;
	uint32_t source_first;          /* host order, first usable address */
	uint32_t source_count;
	bool verify;
	uint8_t sha256[SHA256_DIGEST_BYTES];
	bool has_expected_size;
	uint64_t expected_size;
	const char *output;             /* single download into this file */
	bool resume;
	bool quiet;
	uint64_t duration_ms;           /* --duration: keep-alive GETs until then */
	bool copy_body;                 /* recv every body byte into user space */
	bool reset_randomly;            /* each client resets at a random point */
	uint64_t seed;                  /* picks the reset points (--seed) */
};

/* Returns 0 to run, 1 after --help, --version or --man, -EINVAL after
 * printing why. */
int load_options_parse(int argc, char **argv, struct load_options *options);

#endif
