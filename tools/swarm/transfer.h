/* One HTTP exchange of a simulated device (a CWMP POST or an image GET),
 * attached to its libcurl easy handle as CURLOPT_PRIVATE. */
#ifndef CASCADE_SWARM_TRANSFER_H
#define CASCADE_SWARM_TRANSFER_H

#include "common/byte_buffer.h"
#include "swarm.h"

enum transfer_kind { TRANSFER_CWMP = 0, TRANSFER_DOWNLOAD, TRANSFER_PIECES };

struct transfer {
	enum transfer_kind kind;
	struct swarm_device *device;
	struct swarm *swarm;
	char *request;
	size_t request_length;
	struct byte_buffer response;
	struct curl_slist *headers;
	CURLM *multi;          /* the multi handle it was added to */
	char cookie[64];
	char set_cookie[160];  /* the whole Set-Cookie value */
	char challenge[512];   /* the first Digest WWW-Authenticate value */
	unsigned int auth_tries; /* nonce-reuse: 401s answered for this request */
	unsigned int retry_after;
	bool range_requested;
	bool cut;      /* fault injection: the device drops this transfer */
	bool oversize; /* the server sent more than FileSize */
	bool paused;   /* held back by the device's rate until its download timer */
	bool bad_piece; /* a piece it completed does not match the piece list */
	uint32_t bad_piece_index;
	uint64_t rate_started_ms, rate_bytes;
	struct transfer *previous, *next; /* all transfers in flight */
	CURL *easy;
};

void swarm_transfer_free(struct transfer *transfer, CURL *easy);
/* A device's transfer of url (its own source address, the write callback
 * given transfer as its data) in *handle, for more options; then
 * device_transfer_start runs it as the device's current transfer. */
struct transfer *swarm_device_transfer_new(struct swarm *swarm, struct swarm_device *device, enum transfer_kind kind,
				     const char *url, curl_write_callback write, CURL **handle);
int swarm_device_transfer_start(struct swarm *swarm, struct swarm_device *device, struct transfer *transfer, CURL *easy);
/* Remembers a transfer in flight, so shutdown can free it. */
void swarm_transfer_track(struct transfer *transfer, CURL *easy);
/* Removes and frees every transfer still in flight (at exit). */
void swarm_transfers_free_all(struct swarm *swarm);

#endif
