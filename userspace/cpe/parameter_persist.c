/* Persisting the values the ACS set: {"format": 1, "values": {SUFFIX:
 * VALUE}} keyed by the name without its root, so a change of root keeps
 * them. Only values set by SetParameterValues (and the ParameterKey) are
 * written, so flags and the config file keep governing the rest. Values
 * read back are re-checked like a SetParameterValues. */
#include "cpe/parameter_store.h"
#include "cpe/parameter_store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "cpe/json_file.h"

int parameter_store_save_locked(struct parameter_store *store)
{
	json_t *document, *values;
	int result = 0;

	if (!store->path)
		return 0;
	document = json_object();
	values = json_object();
	if (!document || !values || json_object_set_new(document, "format", json_integer(1)) < 0 ||
	    json_object_set(document, "values", values) < 0) {
		result = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < store->count && result == 0; i++) {
		const struct parameter *parameter = &store->parameters[i];

		if ((parameter->flags & PARAMETER_PERSISTENT) && parameter->acs_owned &&
		    json_object_set_new(values, parameter->suffix, json_string(parameter->value)) < 0)
			result = -ENOMEM;
	}
	if (result == 0)
		result = json_file_save(store->path, document);
out:
	json_decref(values);
	json_decref(document);
	return result;
}

int parameter_store_load(struct parameter_store *store)
{
	json_t *document = NULL, *values, *value;
	const char *suffix;
	int result;

	if (!store->path)
		return 0;
	result = json_file_load(store->path, &document);
	if (result == -ENOENT || result == -EINVAL)
		return 0;
	if (result < 0) {
		log_error("cannot read %s: %s", store->path, strerror(-result));
		return result;
	}
	values = json_object_get(document, "values");
	pthread_mutex_lock(&store->lock);
	json_object_foreach(values, suffix, value)
	{
		struct parameter *parameter = parameter_store_find_suffix_locked(store, suffix);
		char *canonical;

		if (!parameter || !(parameter->flags & PARAMETER_PERSISTENT) || !json_is_string(value)) {
			log_warn("%s: ignoring saved value of %s (not a persistent parameter)", store->path, suffix);
			continue;
		}
		canonical = malloc(PARAMETER_STRING_MAX + 1);
		if (!canonical)
			break;
		if (parameter_value_normalize(parameter->type, json_string_value(value), canonical,
					      PARAMETER_STRING_MAX + 1) < 0 ||
		    (parameter->validate && parameter->validate(canonical, store->validator_context) < 0)) {
			log_warn("%s: ignoring saved value of %s: not valid now", store->path, suffix);
			free(canonical);
			continue;
		}
		free(parameter->value);
		parameter->value = canonical;
		parameter->acs_owned = true;
	}
	pthread_mutex_unlock(&store->lock);
	json_decref(document);
	return 0;
}
