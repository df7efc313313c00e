/* The CWMP (TR-069) SOAP codec shared by cascade-acs, cascade-cpe and
 * cascade-swarm: pure functions from bytes to structs (cwmp_decode) and from
 * structs to bytes (cwmp_encode), for both directions of a session.
 *
 * Supported envelopes, in namespaces urn:dslforum-org:cwmp-1-0, -1-1 and -1-2
 * (the decoded message records which one the peer used; encode answers in
 * the namespace given in the message):
 *   header  cwmp:ID (mustUnderstand), cwmp:HoldRequests, cwmp:NoMoreRequests
 *   CPE→ACS Inform, TransferComplete, GetRPCMethods, and the responses
 *           DownloadResponse, SetParameterValuesResponse,
 *           GetParameterValuesResponse, GetParameterNamesResponse,
 *           GetRPCMethodsResponse, RebootResponse
 *   ACS→CPE InformResponse, TransferCompleteResponse, GetRPCMethodsResponse,
 *           Download, SetParameterValues, GetParameterValues,
 *           GetParameterNames, GetRPCMethods, Reboot
 *   both    SOAP Fault with a cwmp:Fault detail (SetParameterValuesFault list)
 *
 * Decoding is hostile-input safe: no network access, no DTD (a DOCTYPE is
 * rejected outright, so there are no external entities and no entity
 * expansion), a cap on document size, element depth, text length and list
 * entries. Every failure fills a struct cwmp_error whose fault codes say what
 * to answer: acs_fault_code (8000-8006) when the ACS received the bad
 * message, cpe_fault_code (9000-9019) when a CPE did.
 *
 * Memory: a decoded message owns all its strings and arrays (one arena);
 * free it with cwmp_message_free. A message built by hand for encoding only
 * points at the caller's memory: fill a zeroed struct cwmp_message and pass
 * it to cwmp_encode; nothing is freed. Functions are thread-safe once
 * cwmp_init has run (call it once before starting threads). */
#ifndef CASCADE_CWMP_CWMP_H
#define CASCADE_CWMP_CWMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- namespaces ---------------------------------------------------------- */
enum cwmp_version {
	CWMP_VERSION_1_0 = 0, /* urn:dslforum-org:cwmp-1-0 */
	CWMP_VERSION_1_1 = 1, /* urn:dslforum-org:cwmp-1-1 */
	CWMP_VERSION_1_2 = 2, /* urn:dslforum-org:cwmp-1-2 (CWMP 1.2-1.4) */
};
#define CWMP_VERSION_COUNT 3

/* "urn:dslforum-org:cwmp-1-0" etc.; NULL for an out-of-range value. */
const char *cwmp_namespace(enum cwmp_version version);

/* ---- messages -------------------------------------------------------------- */
enum cwmp_message_type {
	CWMP_INFORM = 1,
	CWMP_INFORM_RESPONSE,
	CWMP_TRANSFER_COMPLETE,
	CWMP_TRANSFER_COMPLETE_RESPONSE,
	CWMP_GET_RPC_METHODS,
	CWMP_GET_RPC_METHODS_RESPONSE,
	CWMP_DOWNLOAD,
	CWMP_DOWNLOAD_RESPONSE,
	CWMP_SET_PARAMETER_VALUES,
	CWMP_SET_PARAMETER_VALUES_RESPONSE,
	CWMP_GET_PARAMETER_VALUES,
	CWMP_GET_PARAMETER_VALUES_RESPONSE,
	CWMP_GET_PARAMETER_NAMES,
	CWMP_GET_PARAMETER_NAMES_RESPONSE,
	CWMP_REBOOT,
	CWMP_REBOOT_RESPONSE,
	CWMP_FAULT,
};

/* The RPC element's local name ("Inform", "DownloadResponse", "Fault"). */
const char *cwmp_message_type_name(enum cwmp_message_type type);
/* True for the responses (...Response) and for SOAP faults, i.e. messages
 * that answer a request; false for requests (Inform, TransferComplete,
 * GetRPCMethods, Download, ...). */
bool cwmp_message_is_response(enum cwmp_message_type type);

/* One ParameterValueStruct. type is the xsi:type with the "xsd:" prefix
 * ("xsd:string", "xsd:unsignedInt", "xsd:boolean", ...); NULL or "" encodes
 * as xsd:string, and decode always fills it ("xsd:string" when absent). */
struct cwmp_parameter_value {
	const char *name;
	const char *value;
	const char *type;
};

/* One ParameterInfoStruct of a GetParameterNamesResponse. */
struct cwmp_parameter_info {
	const char *name;
	bool writable;
};

struct cwmp_event {
	const char *code;        /* "0 BOOTSTRAP", "2 PERIODIC", "M Download" ... */
	const char *command_key; /* "" when none */
};

struct cwmp_device_id {
	const char *manufacturer;
	const char *oui;
	const char *product_class;
	const char *serial_number;
};

struct cwmp_inform {
	struct cwmp_device_id device_id;
	struct cwmp_event *events;
	size_t event_count;
	unsigned int max_envelopes;
	const char *current_time; /* xsd:dateTime as sent */
	unsigned int retry_count;
	struct cwmp_parameter_value *parameters;
	size_t parameter_count;
};

struct cwmp_inform_response {
	unsigned int max_envelopes; /* always 1 in practice */
};

/* FaultStruct of TransferComplete: code 0 means success. */
struct cwmp_fault_struct {
	unsigned int code;
	const char *string;
};

struct cwmp_transfer_complete {
	const char *command_key;
	struct cwmp_fault_struct fault;
	const char *start_time;
	const char *complete_time;
};

struct cwmp_method_list {
	const char **methods;
	size_t count;
};

#define CWMP_FILE_TYPE_FIRMWARE "1 Firmware Upgrade Image"

struct cwmp_download {
	const char *command_key;
	const char *file_type;   /* CWMP_FILE_TYPE_FIRMWARE */
	const char *url;         /* "" allowed (spv mode: URL set beforehand) */
	const char *username;
	const char *password;
	uint64_t file_size;
	const char *target_file_name;
	unsigned int delay_seconds;
	const char *success_url;
	const char *failure_url;
};

struct cwmp_download_response {
	int status; /* 0: completed, 1: not yet (TransferComplete follows) */
	const char *start_time;
	const char *complete_time;
};

struct cwmp_set_parameter_values {
	struct cwmp_parameter_value *parameters;
	size_t parameter_count;
	const char *parameter_key;
};

struct cwmp_set_parameter_values_response {
	int status; /* 0: applied, 1: applied, takes effect after reboot */
};

struct cwmp_get_parameter_values {
	const char **names; /* full names or partial paths ending in '.' */
	size_t name_count;
};

struct cwmp_get_parameter_values_response {
	struct cwmp_parameter_value *parameters;
	size_t parameter_count;
};

struct cwmp_get_parameter_names {
	const char *parameter_path;
	bool next_level;
};

struct cwmp_get_parameter_names_response {
	struct cwmp_parameter_info *parameters;
	size_t parameter_count;
};

struct cwmp_reboot {
	const char *command_key;
};

struct cwmp_set_parameter_values_fault {
	const char *parameter_name;
	unsigned int code;
	const char *string;
};

/* SOAP Fault with a cwmp:Fault detail. soap_fault_code is "Client" or
 * "Server" (NULL on encode: derived from code); soap_fault_string is
 * "CWMP fault" when NULL. */
struct cwmp_fault {
	unsigned int code;
	const char *string;
	const char *soap_fault_code;
	const char *soap_fault_string;
	struct cwmp_set_parameter_values_fault *set_parameter_values_faults;
	size_t set_parameter_values_fault_count;
};

struct cwmp_arena;

struct cwmp_message {
	enum cwmp_version version;
	enum cwmp_message_type type;
	const char *id;         /* cwmp:ID header; NULL: no ID header */
	bool hold_requests;     /* cwmp:HoldRequests header present and true */
	bool no_more_requests;  /* cwmp:NoMoreRequests header present and true */
	union {
		struct cwmp_inform inform;
		struct cwmp_inform_response inform_response;
		struct cwmp_transfer_complete transfer_complete;
		struct cwmp_method_list get_rpc_methods_response;
		struct cwmp_download download;
		struct cwmp_download_response download_response;
		struct cwmp_set_parameter_values set_parameter_values;
		struct cwmp_set_parameter_values_response set_parameter_values_response;
		struct cwmp_get_parameter_values get_parameter_values;
		struct cwmp_get_parameter_values_response get_parameter_values_response;
		struct cwmp_get_parameter_names get_parameter_names;
		struct cwmp_get_parameter_names_response get_parameter_names_response;
		struct cwmp_reboot reboot;
		struct cwmp_fault fault;
	} body;
	struct cwmp_arena *arena; /* owner of a decoded message's memory; NULL when built by hand */
};

/* ---- limits and errors ----------------------------------------------------- */
struct cwmp_limits {
	size_t max_document_bytes; /* whole envelope (default 1 MiB) */
	unsigned int max_depth;    /* element nesting (default 32) */
	size_t max_text_bytes;     /* one element's text (default 32 KiB) */
	size_t max_list_entries;   /* events, parameters, names (default 10000) */
};

/* The defaults named above. */
void cwmp_limits_default(struct cwmp_limits *limits);

enum cwmp_error_kind {
	CWMP_ERROR_NONE = 0,
	CWMP_ERROR_METHOD_NOT_SUPPORTED, /* unknown RPC element: 8000 / 9000 */
	CWMP_ERROR_INVALID_ARGUMENTS,    /* malformed XML, wrong namespace, missing or bad field: 8003 / 9003 */
	CWMP_ERROR_RESOURCES_EXCEEDED,   /* over a size, depth or count cap: 8004 / 9004 */
	CWMP_ERROR_INTERNAL,             /* out of memory: 8002 / 9002 */
	CWMP_ERROR_VERSION,              /* not a cwmp-1-x namespace: 8006 / 9003 */
};

struct cwmp_error {
	enum cwmp_error_kind kind;
	unsigned int acs_fault_code; /* what an ACS answers: 8000-8006 */
	unsigned int cpe_fault_code; /* what a CPE answers: 9000-9004 */
	char message[256];           /* human-readable: what was wrong, where */
};

/* Standard fault strings: "Method not supported" for 8000/9000, ...,
 * "Download failure" for 9010, etc.; "Fault" for unknown codes. */
const char *cwmp_fault_string(unsigned int code);

/* ---- the codec --------------------------------------------------------------- */

/* Initializes libxml2 once; call before any thread uses the codec. */
void cwmp_init(void);

/* Parses one SOAP envelope (data need not be NUL-terminated). limits may be
 * NULL for the defaults, error may be NULL. Returns 0 and a message to free
 * with cwmp_message_free, or a negative errno: -EINVAL (malformed or
 * hostile), -E2BIG (over a cap), -EPROTONOSUPPORT (unknown namespace),
 * -EOPNOTSUPP (unknown method), -ENOMEM; error explains. */
int cwmp_decode(const void *data, size_t length, const struct cwmp_limits *limits,
		struct cwmp_message **message, struct cwmp_error *error);

void cwmp_message_free(struct cwmp_message *message);

/* The cwmp:ID header of a message cwmp_decode refused, checked by the same
 * rules, copied into out (at most size - 1 bytes); "" when there is none or
 * the document is not one the decoder would parse. */
void cwmp_id_peek(const char *data, size_t length, char *out, size_t size);

/* Serializes a message into a malloc'd buffer (NUL-terminated; *length
 * excludes the NUL). Returns 0, -EINVAL for a message missing a required
 * field or of an unknown type, or -ENOMEM. */
int cwmp_encode(const struct cwmp_message *message, char **data, size_t *length);

/* ---- helpers for building and reading messages ----------------------------- */

/* The value of the parameter named exactly name, or NULL. */
const struct cwmp_parameter_value *cwmp_find_parameter(const struct cwmp_parameter_value *parameters,
							size_t count, const char *name);
/* Like cwmp_find_parameter, but matches "Device." + suffix or
 * "InternetGatewayDevice." + suffix (TR-181 or TR-098 root). */
const struct cwmp_parameter_value *cwmp_find_parameter_any_root(const struct cwmp_parameter_value *parameters,
								 size_t count, const char *suffix);
/* True when the inform carries the event code (e.g. "0 BOOTSTRAP"). */
bool cwmp_inform_has_event(const struct cwmp_inform *inform, const char *code);
/* Fills a fault message (type CWMP_FAULT) for code with the standard string
 * and the given version and id (pointers are kept, not copied). */
void cwmp_fault_message(struct cwmp_message *message, enum cwmp_version version, const char *id,
			unsigned int code, const char *string);
/* Formats seconds since the epoch as xsd:dateTime "2026-01-02T03:04:05Z"
 * into out (at least 32 bytes). */
void cwmp_format_time(uint64_t seconds, char *out, size_t out_size);

#endif
