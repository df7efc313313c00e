/* The parameters cascade-cpe exposes under its root (docs/cpe.md lists
 * them): DeviceInfo, ManagementServer, and the X_CASCADE_ extension of
 * ../shared/DESIGN.md, with their types, flags, validators and the
 * measured values refreshed before every Inform and GetParameterValues. */
#ifndef CASCADE_CPE_DATA_MODEL_H
#define CASCADE_CPE_DATA_MODEL_H

#include <stdint.h>

#include "cpe/config.h"
#include "cpe/cpu_meter.h"
#include "cpe/parameter_store.h"

#define PARAM_SOFTWARE_VERSION          "DeviceInfo.SoftwareVersion"
#define PARAM_PERIODIC_ENABLE           "ManagementServer.PeriodicInformEnable"
#define PARAM_PERIODIC_INTERVAL         "ManagementServer.PeriodicInformInterval"
#define PARAM_CONNECTION_REQUEST_URL    "ManagementServer.ConnectionRequestURL"
#define PARAM_CONNECTION_REQUEST_USER   "ManagementServer.ConnectionRequestUsername"
#define PARAM_CONNECTION_REQUEST_PASS   "ManagementServer.ConnectionRequestPassword"
#define PARAM_FILE_SERVER_ENABLE        "X_CASCADE_FileServer.Enable"
#define PARAM_FILE_SERVER_URL           "X_CASCADE_FileServer.URL"
#define PARAM_MASTER_URL                "X_CASCADE_MasterURL"
#define PARAM_IMAGE_SHA256              "X_CASCADE_ImageSHA256"
#define PARAM_IMAGE_PIECES_SHA256       "X_CASCADE_ImagePiecesSHA256"

struct data_model_context {
	const struct cpe_config *config;
	struct cpe_cpu_meter *cpu;
	uint64_t started_ms;
};

/* Declares every parameter with its initial value from config, then
 * applies the values persisted by earlier runs. context must outlive the
 * store (it is the refresh hook's and the validators' context). */
int data_model_build(struct parameter_store *store, struct data_model_context *context);
/* Validators, exposed for tests. */
int data_model_validate_url(const char *value, void *context);
int data_model_validate_sha256(const char *value, void *context);
/* ConnectionRequestUsername/Password: at most CPE_NAME_MAX - 1 bytes. */
int data_model_validate_credential(const char *value, void *context);
/* Free bytes for images: --cache-size, or the data directory's free space. */
uint64_t data_model_cache_size(const struct cpe_config *config);

#endif
