/* The one-line JSON summary cascade-load prints (jansson). */
#ifndef CASCADE_LOAD_SUMMARY_H
#define CASCADE_LOAD_SUMMARY_H

#include "engine.h"

/* Prints the summary on stdout; sink is NULL except for single downloads. */
void summary_print(const struct load_options *options, const struct load_result *result,
		   const struct download_sink *sink);

#endif
