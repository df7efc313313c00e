/* Reading values out of a parsed CWMP envelope: element lookup by local
 * name, text within the size cap, strict unsigned and boolean parsing, and
 * the error reporting every decode step shares. */
#include "cwmp/decoder_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct fault_codes {
	unsigned int acs;
	unsigned int cpe;
};

static struct fault_codes codes_for(enum cwmp_error_kind kind)
{
	switch (kind) {
	case CWMP_ERROR_METHOD_NOT_SUPPORTED:
		return (struct fault_codes){ 8000, 9000 };
	case CWMP_ERROR_RESOURCES_EXCEEDED:
		return (struct fault_codes){ 8004, 9004 };
	case CWMP_ERROR_INTERNAL:
		return (struct fault_codes){ 8002, 9002 };
	case CWMP_ERROR_VERSION:
		return (struct fault_codes){ 8006, 9003 };
	case CWMP_ERROR_INVALID_ARGUMENTS:
		return (struct fault_codes){ 8003, 9003 };
	default:
		return (struct fault_codes){ 0, 0 };
	}
}

void cwmp_error_set(struct cwmp_error *error, enum cwmp_error_kind kind, const char *message)
{
	struct fault_codes codes = codes_for(kind);

	if (!error)
		return;
	error->kind = kind;
	error->acs_fault_code = codes.acs;
	error->cpe_fault_code = codes.cpe;
	snprintf(error->message, sizeof(error->message), "%s", message);
}

int cwmp_decoder_fail(struct decoder *decoder, enum cwmp_error_kind kind, int error_number,
		      const char *format, ...)
{
	char text[256];
	int used = 0;
	va_list arguments;

	if (decoder->context)
		used = snprintf(text, sizeof(text), "%s: ", decoder->context);
	va_start(arguments, format);
	vsnprintf(text + used, sizeof(text) - (size_t)used, format, arguments);
	va_end(arguments);
	cwmp_error_set(decoder->error, kind, text);
	return error_number;
}

xmlNode *cwmp_next_element(xmlNode *node)
{
	for (node = node ? node->next : NULL; node; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

xmlNode *cwmp_first_element(xmlNode *parent)
{
	xmlNode *node;

	for (node = parent ? parent->children : NULL; node; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

const char *cwmp_element_local_name(const xmlNode *node)
{
	const char *name = (const char *)node->name;
	const char *colon = node->ns ? NULL : strchr(name, ':');

	return colon ? colon + 1 : name;
}

bool cwmp_element_is(const xmlNode *node, const char *local_name)
{
	return node && node->type == XML_ELEMENT_NODE && strcmp(cwmp_element_local_name(node), local_name) == 0;
}

xmlNode *cwmp_child_element(xmlNode *parent, const char *local_name)
{
	for (xmlNode *node = cwmp_first_element(parent); node; node = cwmp_next_element(node))
		if (cwmp_element_is(node, local_name))
			return node;
	return NULL;
}

int cwmp_count_children(struct decoder *decoder, xmlNode *parent, size_t *count)
{
	size_t total = 0;

	for (xmlNode *node = cwmp_first_element(parent); node; node = cwmp_next_element(node)) {
		if (++total > decoder->limits->max_list_entries)
			return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
						 "%s has more than %zu entries", (const char *)parent->name,
						 decoder->limits->max_list_entries);
	}
	*count = total;
	return 0;
}

int cwmp_element_text(struct decoder *decoder, xmlNode *node, const char **text)
{
	size_t length = 0, used = 0;
	char *copy;

	for (xmlNode *child = node->children; child; child = child->next) {
		if (child->type != XML_TEXT_NODE && child->type != XML_CDATA_SECTION_NODE)
			continue;
		length += strlen((const char *)child->content);
		if (length > decoder->limits->max_text_bytes)
			return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
						 "text of %s is longer than %zu bytes", (const char *)node->name,
						 decoder->limits->max_text_bytes);
	}
	copy = cwmp_arena_alloc(decoder->arena, length + 1);
	if (!copy)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INTERNAL, -ENOMEM, "out of memory");
	for (xmlNode *child = node->children; child; child = child->next) {
		size_t piece;

		if (child->type != XML_TEXT_NODE && child->type != XML_CDATA_SECTION_NODE)
			continue;
		piece = strlen((const char *)child->content);
		memcpy(copy + used, child->content, piece);
		used += piece;
	}
	copy[used] = '\0';
	*text = copy;
	return 0;
}

int cwmp_required_text(struct decoder *decoder, xmlNode *parent, const char *name, const char **text)
{
	xmlNode *node = cwmp_child_element(parent, name);

	if (!node)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "missing %s in %s", name,
					 (const char *)parent->name);
	return cwmp_element_text(decoder, node, text);
}

int cwmp_optional_text(struct decoder *decoder, xmlNode *parent, const char *name, const char *fallback,
		       const char **text)
{
	xmlNode *node = cwmp_child_element(parent, name);

	if (!node) {
		*text = fallback;
		return 0;
	}
	return cwmp_element_text(decoder, node, text);
}

static int text_to_unsigned(struct decoder *decoder, const char *name, const char *text, uint64_t maximum,
			    uint64_t *value)
{
	const char *cursor = text;
	uint64_t result = 0;
	bool digits = false;

	while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n')
		cursor++;
	if (*cursor == '+')
		cursor++;
	for (; *cursor >= '0' && *cursor <= '9'; cursor++) {
		unsigned int digit = (unsigned int)(*cursor - '0');

		if (digit > maximum || result > (maximum - digit) / 10)
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "%s value is out of range", name);
		result = result * 10 + digit;
		digits = true;
	}
	while (*cursor == ' ' || *cursor == '\t' || *cursor == '\r' || *cursor == '\n')
		cursor++;
	if (!digits || *cursor != '\0')
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
					 "%s is not an unsigned number: \"%.40s\"", name, text);
	*value = result;
	return 0;
}

int cwmp_required_unsigned(struct decoder *decoder, xmlNode *parent, const char *name, uint64_t maximum,
			   uint64_t *value)
{
	const char *text;
	int result = cwmp_required_text(decoder, parent, name, &text);

	return result < 0 ? result : text_to_unsigned(decoder, name, text, maximum, value);
}

int cwmp_optional_unsigned(struct decoder *decoder, xmlNode *parent, const char *name, uint64_t maximum,
			   uint64_t fallback, uint64_t *value)
{
	const char *text;
	int result = cwmp_optional_text(decoder, parent, name, NULL, &text);

	if (result < 0)
		return result;
	if (!text) {
		*value = fallback;
		return 0;
	}
	return text_to_unsigned(decoder, name, text, maximum, value);
}

int cwmp_text_to_boolean(struct decoder *decoder, const char *name, const char *text, bool *value)
{
	char word[8];
	size_t length = 0;

	while (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
		text++;
	while (text[length] && text[length] != ' ' && text[length] != '\t' && text[length] != '\r' &&
	       text[length] != '\n' && length < sizeof(word) - 1) {
		word[length] = text[length];
		length++;
	}
	word[length] = '\0';
	for (const char *rest = text + length; *rest; rest++)
		if (*rest != ' ' && *rest != '\t' && *rest != '\r' && *rest != '\n')
			goto invalid;
	if (strcmp(word, "1") == 0 || strcmp(word, "true") == 0) {
		*value = true;
		return 0;
	}
	if (strcmp(word, "0") == 0 || strcmp(word, "false") == 0) {
		*value = false;
		return 0;
	}
invalid:
	return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "%s is not a boolean: \"%.40s\"",
				 name, text);
}

int cwmp_required_boolean(struct decoder *decoder, xmlNode *parent, const char *name, bool *value)
{
	const char *text;
	int result = cwmp_required_text(decoder, parent, name, &text);

	return result < 0 ? result : cwmp_text_to_boolean(decoder, name, text, value);
}
