/* Finding the cwmp:ID of a message the codec refused (see id_peek.h). */
#include "cpe/id_peek.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define ID_PEEK_MAX_BYTES (1u << 20)

static xmlNode *child_named(xmlNode *parent, const char *name)
{
	unsigned int seen = 0;

	for (xmlNode *node = parent ? parent->children : NULL; node && seen < 1000; node = node->next, seen++)
		if (node->type == XML_ELEMENT_NODE && strcmp((const char *)node->name, name) == 0)
			return node;
	return NULL;
}

void cwmp_id_peek(const char *data, size_t length, char *out, size_t size)
{
	xmlDoc *document;
	xmlNode *id;
	xmlChar *text;

	if (size)
		out[0] = '\0';
	if (!data || length == 0 || length > ID_PEEK_MAX_BYTES || memmem(data, length, "<!DOCTYPE", 9) ||
	    memmem(data, length, "<!ENTITY", 8))
		return;
	document = xmlReadMemory(data, (int)length, NULL, "UTF-8",
				 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!document)
		return;
	id = child_named(child_named(xmlDocGetRootElement(document), "Header"), "ID");
	if (id && !document->intSubset && !document->extSubset) {
		text = xmlNodeGetContent(id);
		if (text && strlen((const char *)text) < size)
			snprintf(out, size, "%s", (const char *)text);
		xmlFree(text);
	}
	xmlFreeDoc(document);
}
