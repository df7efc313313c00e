/* Reading the parameter tree for RPCs: GetParameterValues by names and
 * partial paths, the Inform's flagged list, and GetParameterNames with
 * NextLevel (objects are the '.'-ended prefixes of parameter names). */
#include "cpe/parameter_store.h"
#include "cpe/parameter_store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpe/faults.h"

void parameter_list_free(struct parameter_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free((char *)list->values[i].name);
		free((char *)list->values[i].value);
	}
	free(list->values);
	list->values = NULL;
	list->count = 0;
}

void parameter_name_list_free(struct parameter_name_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free((char *)list->names[i].name);
	free(list->names);
	list->names = NULL;
	list->count = 0;
}

static void refresh(struct parameter_store *store)
{
	if (store->refresh)
		store->refresh(store, store->refresh_context);
}

static int append_value(struct parameter_list *list, size_t *capacity, const struct parameter *parameter)
{
	struct cwmp_parameter_value *entry;

	if (list->count == *capacity) {
		size_t wanted = *capacity ? *capacity * 2 : 32;
		struct cwmp_parameter_value *bigger = realloc(list->values, wanted * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		list->values = bigger;
		*capacity = wanted;
	}
	entry = &list->values[list->count];
	entry->name = strdup(parameter->name);
	entry->value = strdup(parameter->flags & PARAMETER_SECRET ? "" : parameter->value);
	entry->type = parameter_type_name(parameter->type);
	if (!entry->name || !entry->value) {
		free((char *)entry->name);
		free((char *)entry->value);
		return -ENOMEM;
	}
	list->count++;
	return 0;
}

static bool is_partial_path(const char *name)
{
	size_t length = strlen(name);

	return length == 0 || name[length - 1] == '.';
}

unsigned int parameter_store_get_values(struct parameter_store *store, const char *const *names, size_t count,
					struct parameter_list *list, const char **bad_name)
{
	size_t capacity = 0;
	unsigned int fault = 0;

	memset(list, 0, sizeof(*list));
	*bad_name = NULL;
	refresh(store);
	pthread_mutex_lock(&store->lock);
	for (size_t n = 0; n < count && !fault; n++) {
		const char *name = names[n] ? names[n] : "";
		size_t length = strlen(name);
		bool found = false;

		for (size_t i = 0; i < store->count && !fault; i++) {
			const struct parameter *parameter = &store->parameters[i];
			bool match = is_partial_path(name) ? strncmp(parameter->name, name, length) == 0
							  : strcmp(parameter->name, name) == 0;

			if (!match)
				continue;
			found = true;
			if (append_value(list, &capacity, parameter) < 0)
				fault = FAULT_INTERNAL_ERROR;
		}
		if (!found && !fault) {
			fault = FAULT_INVALID_PARAMETER_NAME;
			*bad_name = name;
		}
	}
	pthread_mutex_unlock(&store->lock);
	if (fault)
		parameter_list_free(list);
	return fault;
}

int parameter_store_collect(struct parameter_store *store, unsigned int flags, struct parameter_list *list)
{
	size_t capacity = 0;
	int result = 0;

	memset(list, 0, sizeof(*list));
	refresh(store);
	pthread_mutex_lock(&store->lock);
	for (size_t i = 0; i < store->count && result == 0; i++)
		if ((store->parameters[i].flags & flags) == flags)
			result = append_value(list, &capacity, &store->parameters[i]);
	pthread_mutex_unlock(&store->lock);
	if (result < 0)
		parameter_list_free(list);
	return result;
}

/* ---- GetParameterNames ----------------------------------------------------- */

struct name_builder {
	struct parameter_name_list *list;
	size_t capacity;
	int result;
};

static void add_name(struct name_builder *builder, const char *name, size_t length, bool writable)
{
	struct cwmp_parameter_info *entry;

	if (builder->result < 0)
		return;
	for (size_t i = 0; i < builder->list->count; i++)
		if (strlen(builder->list->names[i].name) == length &&
		    strncmp(builder->list->names[i].name, name, length) == 0)
			return;
	if (builder->list->count == builder->capacity) {
		size_t wanted = builder->capacity ? builder->capacity * 2 : 32;
		struct cwmp_parameter_info *bigger = realloc(builder->list->names, wanted * sizeof(*bigger));

		if (!bigger) {
			builder->result = -ENOMEM;
			return;
		}
		builder->list->names = bigger;
		builder->capacity = wanted;
	}
	entry = &builder->list->names[builder->list->count];
	entry->name = strndup(name, length);
	entry->writable = writable;
	if (!entry->name) {
		builder->result = -ENOMEM;
		return;
	}
	builder->list->count++;
}

/* Adds every object between path and the parameter, then the parameter. */
static void add_descendants(struct name_builder *builder, const struct parameter *parameter, size_t path_length)
{
	const char *name = parameter->name;

	for (const char *dot = strchr(name + path_length, '.'); dot; dot = strchr(dot + 1, '.'))
		add_name(builder, name, (size_t)(dot - name) + 1, false);
	add_name(builder, name, strlen(name), parameter->flags & PARAMETER_WRITABLE);
}

/* Adds the child of path that leads to the parameter. */
static void add_child(struct name_builder *builder, const struct parameter *parameter, size_t path_length)
{
	const char *name = parameter->name;
	const char *dot = strchr(name + path_length, '.');

	if (dot)
		add_name(builder, name, (size_t)(dot - name) + 1, false);
	else
		add_name(builder, name, strlen(name), parameter->flags & PARAMETER_WRITABLE);
}

unsigned int parameter_store_get_names(struct parameter_store *store, const char *path, bool next_level,
				       struct parameter_name_list *list)
{
	struct name_builder builder = { list, 0, 0 };
	size_t length;
	bool found = false;
	unsigned int fault = 0;

	memset(list, 0, sizeof(*list));
	if (!path)
		path = "";
	length = strlen(path);
	pthread_mutex_lock(&store->lock);
	if (length == 0 && next_level) {
		/* The top of the hierarchy: the root object alone. */
		add_name(&builder, store->root, strlen(store->root), false);
		found = true;
	} else if (length == 0 || path[length - 1] == '.') {
		for (size_t i = 0; i < store->count; i++) {
			const struct parameter *parameter = &store->parameters[i];

			if (strncmp(parameter->name, path, length) != 0)
				continue;
			if (!found && length && !next_level)
				add_name(&builder, path, length, false);
			found = true;
			if (next_level)
				add_child(&builder, parameter, length);
			else
				add_descendants(&builder, parameter, length);
		}
	} else {
		const struct parameter *parameter = parameter_store_find_locked(store, path);

		if (parameter && next_level) {
			fault = FAULT_INVALID_ARGUMENTS;
		} else if (parameter) {
			add_name(&builder, parameter->name, strlen(parameter->name),
				 parameter->flags & PARAMETER_WRITABLE);
			found = true;
		}
	}
	pthread_mutex_unlock(&store->lock);
	if (!fault && !found)
		fault = FAULT_INVALID_PARAMETER_NAME;
	if (!fault && builder.result < 0)
		fault = FAULT_INTERNAL_ERROR;
	if (fault)
		parameter_name_list_free(list);
	return fault;
}
