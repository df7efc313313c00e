/* cwmp_id_peek: the cwmp:ID header of a SOAP message cwmp_decode refused (an
 * unknown method, a bad argument), so a CPE's fault can echo it as TR-069
 * requires. The document goes through the decoder's own parse
 * (cwmp_parse_document: size cap, no DOCTYPE or entities, attribute caps, no
 * network), so a message too hostile to decode is too hostile to peek at. */
#include "cwmp/decoder_internal.h"

#include <stdio.h>
#include <string.h>

void cwmp_id_peek(const char *data, size_t length, char *out, size_t size)
{
	struct cwmp_limits limits;
	struct cwmp_error ignored;
	struct decoder decoder = { .limits = &limits, .error = &ignored };
	xmlDoc *document = NULL;
	xmlNode *header, *id;
	xmlChar *text;

	if (size)
		out[0] = '\0';
	if (!data || length == 0 || size == 0)
		return;
	cwmp_init();
	cwmp_limits_default(&limits);
	if (cwmp_parse_document(&decoder, data, length, &document) < 0)
		return;
	header = cwmp_child_element(xmlDocGetRootElement(document), "Header");
	id = header ? cwmp_child_element(header, "ID") : NULL;
	if (id) {
		text = xmlNodeGetContent(id);
		if (text && strlen((const char *)text) < size)
			snprintf(out, size, "%s", (const char *)text);
		xmlFree(text);
	}
	xmlFreeDoc(document);
}
