/* The parameter store's core: declaring parameters, finding them, reading
 * and setting single values from inside the agent (see parameter_store.h). */
#include "cpe/parameter_store.h"
#include "cpe/parameter_store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/log_limit.h"

int parameter_store_init(struct parameter_store *store, const char *root, const char *path)
{
	memset(store, 0, sizeof(*store));
	if (snprintf(store->root, sizeof(store->root), "%s", root) >= (int)sizeof(store->root))
		return -EINVAL;
	if (path) {
		store->path = strdup(path);
		if (!store->path)
			return -ENOMEM;
	}
	pthread_mutex_init(&store->lock, NULL);
	return 0;
}

void parameter_store_destroy(struct parameter_store *store)
{
	for (size_t i = 0; i < store->count; i++) {
		free(store->parameters[i].name);
		free(store->parameters[i].value);
	}
	free(store->path);
	pthread_mutex_destroy(&store->lock);
	memset(store, 0, sizeof(*store));
}

const char *parameter_type_name(enum parameter_type type)
{
	switch (type) {
	case PARAMETER_UNSIGNED_INT: return "xsd:unsignedInt";
	case PARAMETER_UNSIGNED_LONG: return "xsd:unsignedLong";
	case PARAMETER_INT: return "xsd:int";
	case PARAMETER_BOOLEAN: return "xsd:boolean";
	case PARAMETER_DATE_TIME: return "xsd:dateTime";
	default: return "xsd:string";
	}
}

struct parameter *parameter_store_find_locked(struct parameter_store *store, const char *name)
{
	for (size_t i = 0; i < store->count; i++)
		if (strcmp(store->parameters[i].name, name) == 0)
			return &store->parameters[i];
	return NULL;
}

struct parameter *parameter_store_find_suffix_locked(struct parameter_store *store, const char *suffix)
{
	for (size_t i = 0; i < store->count; i++)
		if (strcmp(store->parameters[i].suffix, suffix) == 0)
			return &store->parameters[i];
	return NULL;
}

int parameter_store_add(struct parameter_store *store, const char *suffix, enum parameter_type type,
			unsigned int flags, parameter_validator validate, const char *value)
{
	struct parameter *parameter;
	size_t root_length = strlen(store->root);
	int result = 0;

	pthread_mutex_lock(&store->lock);
	if (parameter_store_find_suffix_locked(store, suffix)) {
		result = -EEXIST;
		goto out;
	}
	if (store->count == PARAMETER_MAX_COUNT) {
		result = -E2BIG;
		goto out;
	}
	parameter = &store->parameters[store->count];
	parameter->name = malloc(root_length + strlen(suffix) + 1);
	parameter->value = strdup(value ? value : "");
	if (!parameter->name || !parameter->value) {
		free(parameter->name);
		free(parameter->value);
		result = -ENOMEM;
		goto out;
	}
	memcpy(parameter->name, store->root, root_length);
	strcpy(parameter->name + root_length, suffix);
	parameter->suffix = parameter->name + root_length;
	parameter->type = type;
	parameter->flags = flags;
	parameter->validate = validate;
	store->count++;
out:
	pthread_mutex_unlock(&store->lock);
	return result;
}

int parameter_store_get(struct parameter_store *store, const char *suffix, char *out, size_t size)
{
	struct parameter *parameter;
	int result = 0;

	pthread_mutex_lock(&store->lock);
	parameter = parameter_store_find_suffix_locked(store, suffix);
	if (!parameter)
		result = -ENOENT;
	else if (snprintf(out, size, "%s", parameter->value) >= (int)size)
		result = -ENOSPC;
	pthread_mutex_unlock(&store->lock);
	if (result < 0 && size)
		out[0] = '\0';
	return result;
}

bool parameter_store_get_bool(struct parameter_store *store, const char *suffix, bool fallback)
{
	char value[16];

	if (parameter_store_get(store, suffix, value, sizeof(value)) < 0)
		return fallback;
	if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
		return true;
	if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
		return false;
	return fallback;
}

uint64_t parameter_store_get_unsigned(struct parameter_store *store, const char *suffix, uint64_t fallback)
{
	char value[32], *end;
	unsigned long long number;

	if (parameter_store_get(store, suffix, value, sizeof(value)) < 0 || !value[0] || value[0] == '-')
		return fallback;
	errno = 0;
	number = strtoull(value, &end, 10);
	return errno || *end ? fallback : number;
}

int parameter_store_set_internal(struct parameter_store *store, const char *suffix, const char *value)
{
	struct parameter *parameter;
	char *copy;
	int result = 0;

	pthread_mutex_lock(&store->lock);
	parameter = parameter_store_find_suffix_locked(store, suffix);
	if (!parameter) {
		result = -ENOENT;
		goto out;
	}
	if (strcmp(parameter->value, value) == 0)
		goto out;
	copy = strdup(value);
	if (!copy) {
		result = -ENOMEM;
		goto out;
	}
	free(parameter->value);
	parameter->value = copy;
	if (parameter->flags & PARAMETER_PERSISTENT) {
		parameter->acs_owned = true;
		result = parameter_store_save_locked(store);
		if (result < 0)
			log_error_limited("cannot save parameters to %s: %s", store->path, strerror(-result));
	}
out:
	pthread_mutex_unlock(&store->lock);
	return result;
}

uint64_t parameter_store_generation(struct parameter_store *store)
{
	uint64_t generation;

	pthread_mutex_lock(&store->lock);
	generation = store->generation;
	pthread_mutex_unlock(&store->lock);
	return generation;
}

bool parameter_store_is_secret(struct parameter_store *store, const char *name)
{
	const struct parameter *parameter;
	bool secret;

	pthread_mutex_lock(&store->lock);
	parameter = parameter_store_find_locked(store, name);
	secret = parameter && (parameter->flags & PARAMETER_SECRET);
	pthread_mutex_unlock(&store->lock);
	return secret;
}
