/* Image signatures on the device (--image-public-key): the ACS sets
 * X_CASCADE_ImageSignature (cascadectl sign's base64 Ed25519 signature of
 * name, size and SHA-256) with X_CASCADE_ImageSHA256 before the Download.
 * With a public key configured, a Download is accepted only when that
 * signature holds for the image's name (TargetFileName), FileSize and
 * expected SHA-256, and the worker checks it again before it fetches: a
 * missing or bad signature is fault 9019 (file authentication failure) and
 * nothing is fetched, installed or published. The fetched file must then
 * hash to the signed SHA-256 (9018 otherwise), so what is installed is
 * what the operator signed, whoever served it. Without a key, signatures
 * are ignored. */
#ifndef CASCADE_CPE_SIGNATURE_H
#define CASCADE_CPE_SIGNATURE_H

#include <stddef.h>

#include "cpe/config.h"
#include "cpe/download_queue.h"

#define FAULT_FILE_AUTHENTICATION 9019
#define PARAM_IMAGE_SIGNATURE     "X_CASCADE_ImageSignature"

/* 0 when no key is configured or the request's signature holds; else
 * FAULT_FILE_AUTHENTICATION with why filled. */
unsigned int download_signature_check(const struct cpe_config *config, const struct download_request *request,
				      char *why, size_t why_size);
/* Parameter validator: "" or 88 base64 characters of 64 bytes. */
int data_model_validate_signature(const char *value, void *context);

#endif
