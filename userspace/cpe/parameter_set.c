/* SetParameterValues on the store: type checks and canonical forms of
 * values, every entry checked before anything changes, then all values
 * and the ParameterKey applied and persisted together, or none. */
#include "cpe/parameter_store.h"
#include "cpe/parameter_store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/log_limit.h"
#include "cpe/faults.h"

static int normalize_unsigned(const char *text, uint64_t maximum, char *out, size_t size)
{
	uint64_t value = 0;
	size_t digits = 0;

	for (const char *c = text; *c; c++, digits++) {
		unsigned int digit;

		if (*c < '0' || *c > '9' || digits >= 20)
			return -EINVAL;
		digit = (unsigned int)(*c - '0');
		if (value > (maximum - digit) / 10)
			return -EINVAL;
		value = value * 10 + digit;
	}
	if (digits == 0)
		return -EINVAL;
	return snprintf(out, size, "%" PRIu64, value) >= (int)size ? -ENOSPC : 0;
}

static int normalize_signed(const char *text, char *out, size_t size)
{
	char digits[32];
	bool negative = text[0] == '-';
	int result = normalize_unsigned(negative ? text + 1 : text, negative ? 2147483648ull : 2147483647ull, digits,
					sizeof(digits));

	if (result < 0)
		return result;
	if (negative && strcmp(digits, "0") == 0)
		negative = false;
	return snprintf(out, size, "%s%s", negative ? "-" : "", digits) >= (int)size ? -ENOSPC : 0;
}

/* xsd:dateTime as TR-069 sends it: YYYY-MM-DDTHH:MM:SS with optional
 * fraction and zone (Z or +hh:mm). Kept as given. */
static bool looks_like_date_time(const char *text)
{
	int year, month, day, hour, minute, second, consumed = 0;

	if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second, &consumed) != 6 ||
	    consumed != 19)
		return false;
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
		return false;
	text += consumed;
	if (*text == '.')
		for (text++; *text >= '0' && *text <= '9'; text++)
			;
	if (*text == 'Z')
		text++;
	else if ((*text == '+' || *text == '-') && strlen(text) == 6 && text[3] == ':')
		text += 6;
	return *text == '\0';
}

int parameter_value_normalize(enum parameter_type type, const char *text, char *out, size_t size)
{
	switch (type) {
	case PARAMETER_UNSIGNED_INT:
		return normalize_unsigned(text, UINT32_MAX, out, size);
	case PARAMETER_UNSIGNED_LONG:
		return normalize_unsigned(text, UINT64_MAX, out, size);
	case PARAMETER_INT:
		return normalize_signed(text, out, size);
	case PARAMETER_BOOLEAN:
		if (strcmp(text, "1") == 0 || strcasecmp(text, "true") == 0)
			return snprintf(out, size, "1") >= (int)size ? -ENOSPC : 0;
		if (strcmp(text, "0") == 0 || strcasecmp(text, "false") == 0)
			return snprintf(out, size, "0") >= (int)size ? -ENOSPC : 0;
		return -EINVAL;
	case PARAMETER_DATE_TIME:
		if (!looks_like_date_time(text))
			return -EINVAL;
		return snprintf(out, size, "%s", text) >= (int)size ? -ENOSPC : 0;
	default:
		if (strlen(text) > PARAMETER_STRING_MAX)
			return -EINVAL;
		for (const unsigned char *c = (const unsigned char *)text; *c; c++)
			if (*c < 0x20 && *c != '\t')
				return -EINVAL;
		return snprintf(out, size, "%s", text) >= (int)size ? -ENOSPC : 0;
	}
}

/* The xsi:type the ACS sent fits the parameter: the exact type, or
 * xsd:string (many ACSes send every value as a string), or none. */
static bool type_matches(const char *sent, enum parameter_type type)
{
	const char *colon;

	if (!sent || !*sent)
		return true;
	colon = strchr(sent, ':');
	sent = colon ? colon + 1 : sent;
	if (strcmp(sent, "string") == 0)
		return true;
	colon = strchr(parameter_type_name(type), ':');
	return strcmp(sent, colon + 1) == 0;
}

static void add_fault(struct cwmp_set_parameter_values_fault *faults, size_t *count, const char *name,
		      unsigned int code)
{
	faults[*count] = (struct cwmp_set_parameter_values_fault){ name, code, cwmp_fault_string(code) };
	(*count)++;
}

/* Checks one entry; on success fills *canonical (malloc'd) and *target. */
static unsigned int check_entry(struct parameter_store *store, const struct cwmp_parameter_value *entry,
				struct parameter **target, char **canonical)
{
	struct parameter *parameter = parameter_store_find_locked(store, entry->name ? entry->name : "");
	char *value;

	*canonical = NULL;
	if (!parameter)
		return FAULT_INVALID_PARAMETER_NAME;
	if (!(parameter->flags & PARAMETER_WRITABLE))
		return FAULT_NON_WRITABLE_PARAMETER;
	if (!type_matches(entry->type, parameter->type))
		return FAULT_INVALID_PARAMETER_TYPE;
	value = malloc(PARAMETER_STRING_MAX + 1);
	if (!value)
		return FAULT_INTERNAL_ERROR;
	if (parameter_value_normalize(parameter->type, entry->value ? entry->value : "", value,
				      PARAMETER_STRING_MAX + 1) < 0 ||
	    (parameter->validate && parameter->validate(value, store->validator_context) < 0)) {
		free(value);
		return FAULT_INVALID_PARAMETER_VALUE;
	}
	*target = parameter;
	*canonical = value;
	return 0;
}

unsigned int parameter_store_set_values(struct parameter_store *store, const struct cwmp_parameter_value *values,
					size_t count, const char *parameter_key,
					struct cwmp_set_parameter_values_fault *faults, size_t *fault_count)
{
	struct parameter **targets = calloc(count + 1, sizeof(*targets));
	char **canonical = calloc(count + 1, sizeof(*canonical));
	char **previous = calloc(count + 2, sizeof(*previous));
	bool *was_owned = calloc(count + 2, sizeof(*was_owned));
	struct parameter *key_parameter;
	unsigned int fault = 0;
	int result;

	*fault_count = 0;
	if (!targets || !canonical || !previous || !was_owned) {
		fault = FAULT_INTERNAL_ERROR;
		goto out;
	}
	for (size_t i = 0; i < count; i++)
		for (size_t j = 0; j < i; j++)
			if (values[i].name && values[j].name && strcmp(values[i].name, values[j].name) == 0) {
				fault = FAULT_INVALID_ARGUMENTS;
				goto out;
			}
	if (parameter_key && strlen(parameter_key) > 32) {
		fault = FAULT_INVALID_ARGUMENTS;
		goto out;
	}
	pthread_mutex_lock(&store->lock);
	for (size_t i = 0; i < count; i++) {
		unsigned int code = check_entry(store, &values[i], &targets[i], &canonical[i]);

		if (code == FAULT_INTERNAL_ERROR)
			fault = FAULT_INTERNAL_ERROR;
		else if (code)
			add_fault(faults, fault_count, values[i].name ? values[i].name : "", code);
	}
	if (fault || *fault_count) {
		pthread_mutex_unlock(&store->lock);
		fault = fault ? fault : FAULT_INVALID_ARGUMENTS;
		goto out;
	}
	/* Apply, remembering the old values so a failed save can undo it. */
	for (size_t i = 0; i < count; i++) {
		previous[i] = targets[i]->value;
		was_owned[i] = targets[i]->acs_owned;
		targets[i]->value = canonical[i];
		targets[i]->acs_owned = true;
		canonical[i] = NULL;
	}
	key_parameter = parameter_store_find_suffix_locked(store, MANAGEMENT_SERVER_PARAMETER_KEY);
	if (key_parameter) {
		was_owned[count] = key_parameter->acs_owned;
		key_parameter->acs_owned = true;
		previous[count] = key_parameter->value;
		key_parameter->value = strdup(parameter_key ? parameter_key : "");
		if (!key_parameter->value) {
			key_parameter->value = previous[count];
			key_parameter->acs_owned = was_owned[count];
			previous[count] = NULL;
			key_parameter = NULL;
			result = -ENOMEM;
			goto undo;
		}
	}
	result = parameter_store_save_locked(store);
	if (result == 0) {
		store->generation++;
		pthread_mutex_unlock(&store->lock);
		for (size_t i = 0; i <= count; i++)
			free(previous[i]);
		goto out;
	}
undo:
	log_error_limited("SetParameterValues not applied: cannot save %s: %s", store->path ? store->path : "(memory)",
			  strerror(-result));
	/* In reverse, so a parameter listed twice ends with its first value. */
	for (size_t i = count; i-- > 0;) {
		free(targets[i]->value);
		targets[i]->value = previous[i];
		targets[i]->acs_owned = was_owned[i];
	}
	if (key_parameter) {
		free(key_parameter->value);
		key_parameter->value = previous[count];
		key_parameter->acs_owned = was_owned[count];
	}
	pthread_mutex_unlock(&store->lock);
	fault = FAULT_INTERNAL_ERROR;
out:
	for (size_t i = 0; canonical && i < count; i++)
		free(canonical[i]);
	free(targets);
	free(canonical);
	free(previous);
	free(was_owned);
	return fault;
}
