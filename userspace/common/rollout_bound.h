/* The physical bound of a rollout: an image of S bytes reaches N devices
 * in G groups no sooner than the largest of
 *   G·S / origin egress            (the origin sends each group one copy),
 *   S / device downlink            (every device receives the whole image),
 *   N·S / (origin egress + the sum of the sources' egress)
 *                                  (every byte every device receives is sent
 *                                   by the origin or by a source).
 * The function gives the bound and which term binds, so benchmarks and the
 * demo report a makespan as a multiple of it (docs/rollout.md). */
#ifndef CASCADE_COMMON_ROLLOUT_BOUND_H
#define CASCADE_COMMON_ROLLOUT_BOUND_H

#include <stddef.h>
#include <stdint.h>

enum rollout_bound_term {
	ROLLOUT_BOUND_ORIGIN = 0,  /* G·S / origin egress */
	ROLLOUT_BOUND_DOWNLINK,    /* S / device downlink */
	ROLLOUT_BOUND_AGGREGATE,   /* N·S / (origin egress + Σ source egress) */
	ROLLOUT_BOUND_TERMS
};

struct rollout_links {
	uint64_t image_bytes;       /* S */
	uint64_t devices;           /* N, masters included */
	uint64_t groups;            /* G */
	double origin_egress;       /* bytes/s */
	double device_downlink;     /* bytes/s of one device; 0: unlimited (the term is 0) */
	double source_egress_sum;   /* bytes/s of every device that may serve, added up */
};

struct rollout_bound {
	double seconds;                        /* the largest term */
	enum rollout_bound_term binding;       /* which one it is (the first, on a tie) */
	double terms[ROLLOUT_BOUND_TERMS];     /* each term, in seconds */
};

/* Fills bound; -EINVAL when a figure cannot make a bound (no devices or
 * groups, G > N, an empty image, no origin egress). */
int rollout_bound_compute(const struct rollout_links *links, struct rollout_bound *bound);
/* "G·S / origin egress", "S / device downlink", "N·S / (origin egress + sources' egress)". */
const char *rollout_bound_term_formula(enum rollout_bound_term term);

#endif
