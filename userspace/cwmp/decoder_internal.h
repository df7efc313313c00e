/* Internal to the codec: the state of one decode and the helpers that read
 * elements, text and numbers out of a libxml2 tree within the limits. Every
 * helper returns 0 or a negative errno after filling the decoder's error. */
#ifndef CASCADE_CWMP_DECODER_INTERNAL_H
#define CASCADE_CWMP_DECODER_INTERNAL_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "cwmp/arena_internal.h"
#include "cwmp/cwmp.h"

#define SOAP_ENVELOPE_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_ENCODING_NS "http://schemas.xmlsoap.org/soap/encoding/"
#define XSD_NS           "http://www.w3.org/2001/XMLSchema"
#define XSI_NS           "http://www.w3.org/2001/XMLSchema-instance"

struct decoder {
	struct cwmp_arena *arena;
	const struct cwmp_limits *limits;
	struct cwmp_error *error;
	struct cwmp_message *message;
	const char *context; /* RPC name, for error messages */
};

int cwmp_decoder_fail(struct decoder *decoder, enum cwmp_error_kind kind, int error_number,
		      const char *format, ...) __attribute__((format(printf, 4, 5)));
/* Fills error from kind and message (used outside a decode too). */
void cwmp_error_set(struct cwmp_error *error, enum cwmp_error_kind kind, const char *message);

xmlNode *cwmp_first_element(xmlNode *parent);
xmlNode *cwmp_next_element(xmlNode *node);
/* The element's local name; an undeclared prefix (which libxml2 leaves in
 * the name, with no namespace) is dropped too: devices write
 * <soap:Fault> or <cwmp:Fault> without declaring soap: or cwmp:. */
const char *cwmp_element_local_name(const xmlNode *node);
bool cwmp_element_is(const xmlNode *node, const char *local_name);
/* The first child element with this local name, in any namespace. */
xmlNode *cwmp_child_element(xmlNode *parent, const char *local_name);
/* Counts the element children of parent, failing past max_list_entries. */
int cwmp_count_children(struct decoder *decoder, xmlNode *parent, size_t *count);

/* The element's text (text and CDATA children), copied into the arena. */
int cwmp_element_text(struct decoder *decoder, xmlNode *node, const char **text);
/* The text of child `name`; missing: an error (required) or fallback. */
int cwmp_required_text(struct decoder *decoder, xmlNode *parent, const char *name, const char **text);
int cwmp_optional_text(struct decoder *decoder, xmlNode *parent, const char *name, const char *fallback,
		       const char **text);
/* Unsigned decimal of child `name`, at most maximum; missing: error or fallback. */
int cwmp_required_unsigned(struct decoder *decoder, xmlNode *parent, const char *name, uint64_t maximum,
			   uint64_t *value);
int cwmp_optional_unsigned(struct decoder *decoder, xmlNode *parent, const char *name, uint64_t maximum,
			   uint64_t fallback, uint64_t *value);
/* "1"/"true" or "0"/"false" (surrounding blanks allowed). */
int cwmp_text_to_boolean(struct decoder *decoder, const char *name, const char *text, bool *value);
int cwmp_required_boolean(struct decoder *decoder, xmlNode *parent, const char *name, bool *value);

/* Parses data under the hostile-input rules (size, no DOCTYPE or entities,
 * attribute caps, well-formed UTF-8, no DTD); the document is the caller's
 * to free with xmlFreeDoc. */
int cwmp_parse_document(struct decoder *decoder, const void *data, size_t length, xmlDoc **document);

/* Decodes the RPC element body into decoder->message (type chosen by name).
 * Returns -EOPNOTSUPP for an unknown RPC name. */
int cwmp_decode_rpc(struct decoder *decoder, xmlNode *rpc);
/* Decodes a SOAP Fault element. */
int cwmp_decode_fault(struct decoder *decoder, xmlNode *fault);

#endif
