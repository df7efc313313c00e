/* The load engine: N clients over T epoll loops, each doing one full GET
 * and counting every body byte (discarded unread with MSG_TRUNC, hashed,
 * or written to a file), with a bounded number of connects in flight and a
 * deadline for the whole run. */
#ifndef CASCADE_LOAD_ENGINE_H
#define CASCADE_LOAD_ENGINE_H

#include <stdint.h>

#include "options.h"

enum client_error {
	CLIENT_OK = 0,
	CLIENT_ERROR_CONNECT,   /* socket, bind or connect failed */
	CLIENT_ERROR_RESET,     /* connection reset or failed mid-transfer */
	CLIENT_ERROR_TIMEOUT,   /* still running at the deadline */
	CLIENT_ERROR_STATUS,    /* not 200/206 */
	CLIENT_ERROR_HEADER,    /* malformed response head, no Content-Length */
	CLIENT_ERROR_SHORT,     /* closed before the whole body arrived */
	CLIENT_ERROR_SIZE,      /* body length differs from --expect-size */
	CLIENT_ERROR_HASH,      /* SHA-256 differs from --verify-sha256 */
	CLIENT_ERROR_OUTPUT,    /* writing the output file failed */
	CLIENT_ERROR_KINDS,
	/* Not an error: --reset-randomly reset the connection as planned. */
	CLIENT_RESET_PLANNED = CLIENT_ERROR_KINDS,
};

const char *client_error_name(enum client_error error);

struct load_result {
	uint64_t clients;
	uint64_t completed;
	uint64_t errors[CLIENT_ERROR_KINDS];
	uint64_t client_resets;         /* --reset-randomly: resets done as planned */
	uint64_t bytes;                 /* body bytes received, all clients */
	double seconds;                 /* start to end of the run */
	double makespan;                /* start to last completion (all completed) */
	double *client_seconds;         /* per completed client: start to done */
	uint64_t client_seconds_count;
	int status;                     /* last HTTP status seen (single download) */
};

/* For --output: where the file stands and the Range to ask for. */
struct download_sink {
	int fd;
	uint64_t existing;              /* bytes already in the file (resume) */
	uint64_t complete_size;         /* set when the server says it is complete */
	bool restarted;                 /* server sent 200: file rewritten */
	bool already_complete;          /* 416 for bytes=existing-: nothing to fetch */
};

/* Runs the clients; sink is NULL except for single downloads. Fills result
 * (client_seconds is malloc'd). Returns 0, or a negative errno when the
 * run could not start at all. */
int load_run(const struct load_options *options, struct download_sink *sink,
	     struct load_result *result);

#endif
