/* cwmp_decode: checks a received SOAP envelope against the hostile-input
 * rules (size, no DOCTYPE, attribute counts, well-formed UTF-8 XML,
 * depth), reads the cwmp header and hands the single Body element to the
 * RPC decoders. Envelope elements are recognised by the SOAP 1.1 namespace
 * under any prefix, or by a conventional prefix left undeclared (soap:,
 * SOAP-ENV:, ...), as devices in the field write them. */
#include "cwmp/decoder_internal.h"

#include <errno.h>
#include <limits.h>
#include <libxml/parser.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_libxml2(void)
{
	xmlInitParser();
}

void cwmp_init(void)
{
	pthread_once(&init_once, init_libxml2);
}

void cwmp_message_free(struct cwmp_message *message)
{
	if (message)
		cwmp_arena_free(message->arena);
}

static bool namespace_is(const xmlNode *node, const char *href)
{
	return node->ns && node->ns->href && strcmp((const char *)node->ns->href, href) == 0;
}

/* Prefixes devices put on envelope elements without declaring them. */
static bool unbound_envelope_prefix(const xmlNode *node)
{
	static const char *const prefixes[] = { "soap", "soapenv", "soap-env", "env", "s" };
	const char *name = (const char *)node->name, *colon = strchr(name, ':');

	if (node->ns || !colon)
		return false;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strlen(prefixes[i]) == (size_t)(colon - name) && strncasecmp(name, prefixes[i], (size_t)(colon - name)) == 0)
			return true;
	return false;
}

/* The SOAP 1.1 envelope namespace under any prefix, or a conventional
 * envelope prefix the device forgot to declare. */
static bool in_envelope_namespace(const xmlNode *node)
{
	return namespace_is(node, SOAP_ENVELOPE_NS) || unbound_envelope_prefix(node);
}

/* Any urn:dslforum-org:cwmp-* namespace, known version or not. */
static bool in_cwmp_namespace(const xmlNode *node)
{
	return node->ns && node->ns->href && strncmp((const char *)node->ns->href, "urn:dslforum-org:cwmp-", 22) == 0;
}

/* The cwmp version of an element's namespace, or -1. */
static int element_version(const xmlNode *node)
{
	if (!node->ns || !node->ns->href)
		return -1;
	for (int version = 0; version < CWMP_VERSION_COUNT; version++)
		if (strcmp((const char *)node->ns->href, cwmp_namespace((enum cwmp_version)version)) == 0)
			return version;
	return -1;
}

/* Rejects trees deeper than the limit, walking without recursion. */
static int check_depth(struct decoder *decoder, xmlNode *root)
{
	xmlNode *node = root;
	unsigned int depth = 1;

	while (node) {
		if (node->type == XML_ELEMENT_NODE && depth > decoder->limits->max_depth)
			return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
						 "elements nested deeper than %u", decoder->limits->max_depth);
		if (node->type == XML_ELEMENT_NODE && node->children) {
			node = node->children;
			depth++;
			continue;
		}
		while (node && !node->next && node != root) {
			node = node->parent;
			depth--;
		}
		if (!node || node == root)
			break;
		node = node->next;
	}
	return 0;
}

static int header_flag(struct decoder *decoder, xmlNode *node, bool *value)
{
	const char *text;
	int result = cwmp_element_text(decoder, node, &text);

	return result < 0 ? result : cwmp_text_to_boolean(decoder, (const char *)node->name, text, value);
}

static bool must_understand(xmlNode *node)
{
	xmlChar *value = xmlGetNsProp(node, (const xmlChar *)"mustUnderstand", (const xmlChar *)SOAP_ENVELOPE_NS);
	bool set = value && (strcmp((const char *)value, "1") == 0 || strcmp((const char *)value, "true") == 0);

	xmlFree(value);
	return set;
}

static int decode_header(struct decoder *decoder, xmlNode *header, int *header_version)
{
	int result;

	for (xmlNode *node = cwmp_first_element(header); node; node = cwmp_next_element(node)) {
		int version = element_version(node);

		if (version < 0 && !in_cwmp_namespace(node)) {
			if (must_understand(node))
				return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
							 "header %s must be understood but is not supported",
							 (const char *)node->name);
			continue;
		}
		if (version >= 0)
			*header_version = version;
		if (cwmp_element_is(node, "ID")) {
			result = cwmp_element_text(decoder, node, &decoder->message->id);
		} else if (cwmp_element_is(node, "HoldRequests")) {
			result = header_flag(decoder, node, &decoder->message->hold_requests);
		} else if (cwmp_element_is(node, "NoMoreRequests")) {
			result = header_flag(decoder, node, &decoder->message->no_more_requests);
		} else if (must_understand(node)) {
			return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
						 "header %s must be understood but is not supported",
						 (const char *)node->name);
		} else {
			result = 0;
		}
		if (result < 0)
			return result;
	}
	return 0;
}

static int decode_body(struct decoder *decoder, xmlNode *body, int header_version)
{
	xmlNode *rpc = cwmp_first_element(body);
	int version;

	if (!rpc)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "SOAP Body is empty");
	if (cwmp_next_element(rpc))
		return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
					 "SOAP Body holds more than one element (MaxEnvelopes is 1)");
	/* A fault is read leniently, whatever prefix or namespace the device
	 * put on it (see cwmp_decode_fault), so the ACS learns why its request
	 * failed instead of answering HTTP 500. */
	if (cwmp_element_is(rpc, "Fault")) {
		xmlNode *detail = cwmp_child_element(rpc, "detail");
		xmlNode *cwmp_fault = detail ? cwmp_child_element(detail, "Fault") : rpc;

		version = cwmp_fault ? element_version(cwmp_fault) : -1;
		if (version < 0)
			version = header_version >= 0 ? header_version : CWMP_VERSION_1_0;
		decoder->message->version = (enum cwmp_version)version;
		return cwmp_decode_fault(decoder, rpc);
	}
	version = element_version(rpc);
	if (version < 0)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_VERSION, -EPROTONOSUPPORT,
					 "%s is not in a urn:dslforum-org:cwmp-1-0/1-1/1-2 namespace (found \"%.80s\")",
					 (const char *)rpc->name,
					 rpc->ns && rpc->ns->href ? (const char *)rpc->ns->href : "none");
	decoder->message->version = (enum cwmp_version)version;
	return cwmp_decode_rpc(decoder, rpc);
}

/* Attribute caps, checked on the raw bytes before libxml2 sees them:
 * libxml2 2.9 compares each attribute of an element with every earlier one
 * (duplicates, namespaces), so 80,000 attributes on one element cost
 * seconds of CPU. CWMP needs a handful per element (namespace declarations
 * on the Envelope, xsi:type, arrayType, mustUnderstand) and about one per
 * list entry in a document. */
#define MAX_ATTRIBUTES_PER_ELEMENT 32

static size_t max_attributes_per_document(const struct cwmp_limits *limits)
{
	return limits->max_list_entries * 2 + 256;
}

/* The byte after the first occurrence of needle at or after at, or end. */
static const char *skip_past(const char *at, const char *end, const char *needle, size_t needle_length)
{
	const char *found = memmem(at, (size_t)(end - at), needle, needle_length);

	return found ? found + needle_length : end;
}

/* Counts the attributes of every start tag (the '=' outside quoted values)
 * in one linear pass; comments, CDATA sections, processing instructions
 * and end tags are skipped whole. Malformed markup is left to libxml2. */
static int check_attribute_counts(struct decoder *decoder, const char *data, size_t length)
{
	const char *at = data, *end = data + length;
	size_t in_document = 0, per_document = max_attributes_per_document(decoder->limits);

	while (at < end && (at = memchr(at, '<', (size_t)(end - at))) != NULL) {
		unsigned int in_element = 0;

		at++;
		if (at < end && *at == '!') {
			if ((size_t)(end - at) >= 3 && memcmp(at, "!--", 3) == 0)
				at = skip_past(at + 3, end, "-->", 3);
			else if ((size_t)(end - at) >= 8 && memcmp(at, "![CDATA[", 8) == 0)
				at = skip_past(at + 8, end, "]]>", 3);
			else
				at = skip_past(at, end, ">", 1);
			continue;
		}
		if (at < end && *at == '?') {
			at = skip_past(at, end, "?>", 2);
			continue;
		}
		while (at < end && *at != '>') {
			if (*at == '"' || *at == '\'') {
				const char *closing = memchr(at + 1, *at, (size_t)(end - at - 1));

				at = closing ? closing + 1 : end;
				continue;
			}
			if (*at == '=') {
				if (++in_element > MAX_ATTRIBUTES_PER_ELEMENT)
					return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
								 "an element has more than %u attributes",
								 MAX_ATTRIBUTES_PER_ELEMENT);
				if (++in_document > per_document)
					return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
								 "the document has more than %zu attributes", per_document);
			}
			at++;
		}
	}
	return 0;
}

int cwmp_parse_document(struct decoder *decoder, const void *data, size_t length, xmlDoc **document)
{
	xmlParserCtxt *context;
	const xmlError *problem;
	int result;

	if (length > decoder->limits->max_document_bytes || length > INT_MAX)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_RESOURCES_EXCEEDED, -E2BIG,
					 "document of %zu bytes is over the %zu byte limit", length,
					 decoder->limits->max_document_bytes);
	if (memmem(data, length, "<!DOCTYPE", 9) || memmem(data, length, "<!ENTITY", 8))
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
					 "DOCTYPE and ENTITY declarations are not allowed");
	result = check_attribute_counts(decoder, data, length);
	if (result < 0)
		return result;
	context = xmlNewParserCtxt();
	if (!context)
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INTERNAL, -ENOMEM, "out of memory");
	*document = xmlCtxtReadMemory(context, data, (int)length, NULL, "UTF-8",
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					      XML_PARSE_NOCDATA | XML_PARSE_COMPACT);
	if (!*document) {
		problem = xmlCtxtGetLastError(context);
		cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
				  "not well-formed XML (line %d): %.120s", problem ? problem->line : 0,
				  problem && problem->message ? problem->message : "parse error");
		if (decoder->error) {
			/* libxml2 messages end with a newline; drop it. */
			char *newline = strchr(decoder->error->message, '\n');

			if (newline)
				*newline = '\0';
		}
		xmlFreeParserCtxt(context);
		return -EINVAL;
	}
	xmlFreeParserCtxt(context);
	if ((*document)->intSubset || (*document)->extSubset) {
		xmlFreeDoc(*document);
		*document = NULL;
		return cwmp_decoder_fail(decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "a DTD is not allowed");
	}
	return 0;
}

int cwmp_decode(const void *data, size_t length, const struct cwmp_limits *limits,
		struct cwmp_message **message, struct cwmp_error *error)
{
	struct cwmp_limits default_limits;
	struct cwmp_error ignored;
	struct decoder decoder = { 0 };
	xmlDoc *document = NULL;
	xmlNode *root, *part, *header = NULL, *body = NULL;
	int header_version = -1, result;

	cwmp_init();
	*message = NULL;
	if (!error)
		error = &ignored;
	memset(error, 0, sizeof(*error));
	if (!limits) {
		cwmp_limits_default(&default_limits);
		limits = &default_limits;
	}
	decoder.limits = limits;
	decoder.error = error;
	if (!data || length == 0)
		return cwmp_decoder_fail(&decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "empty document");
	decoder.arena = cwmp_arena_new();
	if (!decoder.arena)
		return cwmp_decoder_fail(&decoder, CWMP_ERROR_INTERNAL, -ENOMEM, "out of memory");
	decoder.message = cwmp_arena_alloc(decoder.arena, sizeof(*decoder.message));
	if (!decoder.message) {
		result = cwmp_decoder_fail(&decoder, CWMP_ERROR_INTERNAL, -ENOMEM, "out of memory");
		goto fail;
	}
	decoder.message->arena = decoder.arena;
	result = cwmp_parse_document(&decoder, data, length, &document);
	if (result < 0)
		goto fail;
	root = xmlDocGetRootElement(document);
	if (!root || !cwmp_element_is(root, "Envelope") || !in_envelope_namespace(root)) {
		result = cwmp_decoder_fail(&decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL,
					   "root element is not a SOAP 1.1 Envelope");
		goto fail;
	}
	result = check_depth(&decoder, root);
	if (result < 0)
		goto fail;
	for (part = cwmp_first_element(root); part; part = cwmp_next_element(part)) {
		if (!in_envelope_namespace(part))
			continue;
		if (cwmp_element_is(part, "Header") && !header && !body)
			header = part;
		else if (cwmp_element_is(part, "Body") && !body)
			body = part;
	}
	if (!body) {
		result = cwmp_decoder_fail(&decoder, CWMP_ERROR_INVALID_ARGUMENTS, -EINVAL, "SOAP Body is missing");
		goto fail;
	}
	if (header) {
		result = decode_header(&decoder, header, &header_version);
		if (result < 0)
			goto fail;
	}
	result = decode_body(&decoder, body, header_version);
	if (result < 0)
		goto fail;
	xmlFreeDoc(document);
	*message = decoder.message;
	return 0;
fail:
	if (document)
		xmlFreeDoc(document);
	cwmp_arena_free(decoder.arena);
	return result;
}
