/* The cwmp:ID header of a SOAP message the codec refused (an unknown
 * method, a bad argument), so the CPE's fault can echo it as TR-069
 * requires. Parsed with libxml2 under the codec's rules: no DTD, no
 * entities, no network. */
#ifndef CASCADE_CPE_ID_PEEK_H
#define CASCADE_CPE_ID_PEEK_H

#include <stddef.h>

/* Copies the ID into out (at most size - 1 bytes); "" when none. */
void cwmp_id_peek(const char *data, size_t length, char *out, size_t size);

#endif
