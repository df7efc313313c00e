/* Range requests (RFC 9110 14): a pure parser of the Range header against
 * a representation size. Documented choices: a header that is not
 * "bytes=..." or has a malformed range-spec is ignored (whole image, 200);
 * one satisfiable range gives 206; several ranges are not served as
 * multipart: if none is satisfiable the answer is 416, otherwise the
 * header is ignored (200, whole image). */
#ifndef CASCADE_MASTER_HTTP_RANGE_H
#define CASCADE_MASTER_HTTP_RANGE_H

#include <stdint.h>

#include "master/http_request.h"

enum http_range_result {
	HTTP_RANGE_NONE,            /* serve the whole representation */
	HTTP_RANGE_PARTIAL,         /* serve [first, last] with 206 */
	HTTP_RANGE_UNSATISFIABLE,   /* answer 416 with Content-Range: bytes * / size */
};

struct http_byte_range {
	uint64_t first;
	uint64_t last;   /* inclusive */
};

enum http_range_result http_range_parse(struct http_string value, uint64_t size,
					struct http_byte_range *range);

#endif
