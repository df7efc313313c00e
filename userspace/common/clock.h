/* Monotonic and wall-clock time in the units cascade uses everywhere, and
 * condition variables that time out on the monotonic clock (a wall-clock
 * step neither stretches nor cuts a wait). */
#ifndef CASCADE_COMMON_CLOCK_H
#define CASCADE_COMMON_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

uint64_t monotonic_ns(void);
uint64_t monotonic_ms(void);
uint64_t realtime_seconds(void);

/* pthread_cond_init for a condition whose timed waits use CLOCK_MONOTONIC. */
void monotonic_condition_init(pthread_cond_t *condition);
/* CLOCK_MONOTONIC now + milliseconds, for pthread_cond_timedwait on a
 * condition made by monotonic_condition_init. */
void monotonic_deadline(struct timespec *deadline, uint64_t milliseconds);

#endif
