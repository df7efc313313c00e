/* Fetching an image into its partial file with libcurl: resume by Range
 * from the bytes already on disk (the progress record says how many are
 * durable), fdatasync + progress record about once a second, size caps
 * (never more than FileSize or --max-image-size), low-speed limits so a
 * stalled server fails in bounded time, a few resumes after a cut
 * connection, and the TR-069 fault code for each way it can fail. With a
 * piece list, every piece is checked as it lands: a bad one is cut off the
 * file (which then only ever holds checked pieces and the start of the
 * next) and the fetch fails with 9018 naming the piece and the source. */
#ifndef CASCADE_CPE_DOWNLOAD_FETCH_H
#define CASCADE_CPE_DOWNLOAD_FETCH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/image_pieces.h"
#include "cpe/download_queue.h"

struct fetch_options {
	uint64_t stall_ms;            /* below 1 KiB/s for this long: 9017 */
	uint64_t connect_timeout_ms;
	unsigned int retries;         /* resumes after a cut connection */
	uint64_t rate_limit;          /* bytes/s, 0: unlimited */
	uint64_t max_image_size;      /* cap when the Download gave no FileSize */
	const char *ca_file;          /* NULL or "": system CAs */
	/* Polled during the transfer; true aborts it (shutdown). */
	bool (*cancelled)(void *context);
	void *cancel_context;
	/* Check every piece as it arrives (download_pieces.h); NULL: at the end only. */
	const struct image_pieces *pieces;
};

struct fetch_result {
	unsigned int fault_code;      /* 0: the partial file is complete */
	char fault_string[256];
	uint64_t size;                /* bytes in the partial file at the end */
	uint64_t resumed_from;        /* first offset requested, 0: from the start */
	uint64_t fetched;             /* bytes received in this call */
	unsigned int attempts;        /* HTTP requests made */
	bool no_space;                /* the disk filled up (ENOSPC, EDQUOT) */
	/* With pieces: a piece that did not match was cut off; the partial
	 * file holds only checked pieces and the next attempt resumes there. */
	bool bad_piece_found;
	uint32_t bad_piece;
	uint64_t discarded;           /* bytes received but dropped (the bad piece) */
	uint64_t verified;            /* bytes of the partial file checked piece by piece */
	bool over_limit;              /* the file is over --max-image-size (no FileSize given) */
};

/* Brings partial_path up to the whole file. Returns 0 (result says how it
 * went), -ECANCELED when cancelled (the partial file and progress stay
 * for the next run), or a negative errno for a local failure that is not
 * a download fault (the partial file cannot be opened...). */
int download_fetch(const struct download_request *request, const char *partial_path, const char *progress_path,
		   const struct fetch_options *options, struct fetch_result *result);

/* Whether a shutdown interrupted one libcurl transfer (its progress
 * callback polls options->cancelled). */
struct fetch_cancel {
	const struct fetch_options *options;
	bool cancelled;
};

/* A libcurl handle for GET url with what every fetch of request shares:
 * http(s) only, redirects, errors for HTTP >= 400, the connect timeout and
 * stall limit, the CA file, the Download's credentials, and cancellation.
 * NULL when out of memory. */
CURL *download_curl_new(const char *url, const struct download_request *request, struct fetch_cancel *cancel);

/* The fault for a finished curl transfer, pure for tests: curl_code is a
 * CURLcode, http_status the response code (0: none), connected whether a
 * connection was made, progressed whether bytes arrived. Writes a reason
 * into why. Returns 0 for a success, or the fault code; *retry says a
 * resume is worth trying. */
unsigned int download_fault_for(int curl_code, long http_status, bool connected, bool progressed, bool *retry,
				char *why, size_t why_size);

#endif
