/* The device's parameter tree (TR-181 "Device." or TR-098
 * "InternetGatewayDevice."): typed parameters with flags, queried by full
 * name or partial path ("Device.DeviceInfo."), listed for
 * GetParameterNames, set atomically by SetParameterValues (every value
 * checked first; all applied and persisted, or none), and persisted to a
 * JSON file (atomic rewrite) so writable values survive restarts.
 *
 * Objects are not declared: every prefix of a parameter name that ends in
 * '.' is an object. The store is thread-safe; values are copied out. */
#ifndef CASCADE_CPE_PARAMETER_STORE_H
#define CASCADE_CPE_PARAMETER_STORE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cwmp/cwmp.h"

enum parameter_type {
	PARAMETER_STRING = 0,
	PARAMETER_UNSIGNED_INT,
	PARAMETER_UNSIGNED_LONG,
	PARAMETER_INT,
	PARAMETER_BOOLEAN,
	PARAMETER_DATE_TIME,
};

#define PARAMETER_WRITABLE   0x1u /* SetParameterValues may change it */
#define PARAMETER_PERSISTENT 0x2u /* once the ACS sets it, kept in the JSON file across restarts */
#define PARAMETER_INFORM     0x4u /* carried in every Inform's ParameterList */
#define PARAMETER_SECRET     0x8u /* reads back as "" (TR-069 passwords) */

#define PARAMETER_STRING_MAX 1024 /* longest string value accepted */
#define PARAMETER_MAX_COUNT  256

/* Extra check of a value already valid for its type: 0 or -EINVAL. */
typedef int (*parameter_validator)(const char *value, void *context);

struct parameter {
	char *name;            /* full name, root included */
	const char *suffix;    /* name without the root */
	enum parameter_type type;
	unsigned int flags;
	parameter_validator validate;
	char *value;
	bool acs_owned;        /* set by SetParameterValues: persisted, wins over config */
};

struct parameter_store {
	pthread_mutex_t lock;
	char root[32];
	char *path;             /* persistence file; NULL: memory only */
	struct parameter parameters[PARAMETER_MAX_COUNT];
	size_t count;
	uint64_t generation;    /* bumped by every accepted SetParameterValues */
	void *validator_context;
	/* Called (without the lock) before values are read for an RPC or an
	 * Inform, to update measured values with parameter_store_set_internal. */
	void (*refresh)(struct parameter_store *store, void *context);
	void *refresh_context;
};

/* A list of values copied out of the store; free with parameter_list_free. */
struct parameter_list {
	struct cwmp_parameter_value *values;
	size_t count;
};

struct parameter_name_list {
	struct cwmp_parameter_info *names;
	size_t count;
};

/* root: "Device." or "InternetGatewayDevice."; path: JSON file or NULL. */
int parameter_store_init(struct parameter_store *store, const char *root, const char *path);
void parameter_store_destroy(struct parameter_store *store);
/* Declares root + suffix with its initial value. -EEXIST, -E2BIG, -ENOMEM. */
int parameter_store_add(struct parameter_store *store, const char *suffix, enum parameter_type type,
			unsigned int flags, parameter_validator validate, const char *value);
/* The xsd type name ("xsd:unsignedInt"). */
const char *parameter_type_name(enum parameter_type type);

/* Copies the value of root + suffix into out. -ENOENT, -ENOSPC. */
int parameter_store_get(struct parameter_store *store, const char *suffix, char *out, size_t size);
bool parameter_store_get_bool(struct parameter_store *store, const char *suffix, bool fallback);
uint64_t parameter_store_get_unsigned(struct parameter_store *store, const char *suffix, uint64_t fallback);
/* Sets a value from inside the agent (measured values, ParameterKey),
 * without the writable check; persists when the parameter is persistent. */
int parameter_store_set_internal(struct parameter_store *store, const char *suffix, const char *value);
uint64_t parameter_store_generation(struct parameter_store *store);
/* The parameter with this full name is PARAMETER_SECRET: its value must
 * not be read back or logged. */
bool parameter_store_is_secret(struct parameter_store *store, const char *name);

/* ---- RPC operations (parameter_query.c, parameter_set.c) ---------------- */

/* GetParameterValues: full names, partial paths ending in '.', or "" (all).
 * Returns 0, or a CWMP fault code (9005 unknown name; *bad_name points at
 * it) or 9002 when out of memory. */
unsigned int parameter_store_get_values(struct parameter_store *store, const char *const *names, size_t count,
					struct parameter_list *list, const char **bad_name);
/* Every parameter carrying all of flags (the Inform's list). */
int parameter_store_collect(struct parameter_store *store, unsigned int flags, struct parameter_list *list);
void parameter_list_free(struct parameter_list *list);

/* GetParameterNames (TR-069 A.3.2.3). Returns 0, 9005 (no such name or
 * object), 9003 (NextLevel true on a parameter) or 9002. */
unsigned int parameter_store_get_names(struct parameter_store *store, const char *path, bool next_level,
				       struct parameter_name_list *list);
void parameter_name_list_free(struct parameter_name_list *list);

/* SetParameterValues: checks every entry (9005 unknown, 9008 not writable,
 * 9006 wrong xsi:type, 9007 bad value; a name listed twice is 9003 for the
 * whole request). With no fault, applies all of them and ParameterKey,
 * persists, and returns 0; otherwise applies nothing and returns 9003
 * with one entry per bad parameter in faults (an array of count entries,
 * names pointing into values), or 9002 when the file cannot be written. */
unsigned int parameter_store_set_values(struct parameter_store *store, const struct cwmp_parameter_value *values,
					size_t count, const char *parameter_key,
					struct cwmp_set_parameter_values_fault *faults, size_t *fault_count);

/* Checks text against a type; writes the canonical form ("1"/"0" for
 * booleans, digits without leading zeros for numbers) into out. */
int parameter_value_normalize(enum parameter_type type, const char *text, char *out, size_t size);

/* ---- persistence (parameter_persist.c) ---------------------------------- */

/* Applies the persisted values of persistent parameters (a missing file is
 * fine; a bad entry is logged and skipped; a corrupt file is logged and
 * ignored). */
int parameter_store_load(struct parameter_store *store);
/* Rewrites the file atomically with the persistent values. Lock held. */
int parameter_store_save_locked(struct parameter_store *store);

#define MANAGEMENT_SERVER_PARAMETER_KEY "ManagementServer.ParameterKey"

#endif
