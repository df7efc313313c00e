/* Monotonic and wall-clock time in the units cascade uses everywhere. */
#ifndef CASCADE_COMMON_CLOCK_H
#define CASCADE_COMMON_CLOCK_H

#include <stdint.h>

uint64_t monotonic_ns(void);
uint64_t monotonic_ms(void);
uint64_t realtime_seconds(void);

#endif
