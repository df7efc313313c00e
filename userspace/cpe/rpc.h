/* The ACS's requests, carried out: GetRPCMethods, GetParameterValues,
 * SetParameterValues, GetParameterNames and Download, each answered with
 * its response or a CWMP fault (TR-069 A.5), encoded and ready to POST.
 * Anything else is 9000; malformed arguments are 9003. */
#ifndef CASCADE_CPE_RPC_H
#define CASCADE_CPE_RPC_H

#include <stddef.h>

#include "cpe/agent_state.h"
#include "cpe/config.h"
#include "cpe/download_queue.h"
#include "cpe/parameter_store.h"
#include "cwmp/cwmp.h"

struct rpc_context {
	const struct cpe_config *config;
	struct parameter_store *parameters;
	struct download_queue *downloads;
	/* Free bytes available for an image; NULL: data_model_cache_size. */
	uint64_t (*free_space)(const struct cpe_config *config);
};

/* Answers request (an ACS→CPE RPC). *body is malloc'd XML. Returns 0, or
 * -ENOMEM when not even a fault could be encoded. */
int rpc_handle(struct rpc_context *context, const struct cwmp_message *request, char **body, size_t *length);
/* A CWMP fault envelope (string NULL: the standard text). */
int rpc_encode_fault(enum cwmp_version version, const char *id, unsigned int code, const char *string, char **body,
		     size_t *length);
/* Download (rpc_download.c): checks and queues; fills response or returns
 * a fault code with why. */
unsigned int rpc_download(struct rpc_context *context, const struct cwmp_download *download, char *why,
			  size_t why_size);
/* The file name an image is kept under: TargetFileName when it is a plain
 * name, else the URL's last path segment, else "image.bin". */
void rpc_download_target_name(const char *target_file_name, const char *url, char *out, size_t size);

#endif
