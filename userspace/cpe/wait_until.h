/* Condition variables on the monotonic clock, for the agent's loop and the
 * download queue: init, and a deadline some milliseconds from now. */
#ifndef CASCADE_CPE_WAIT_UNTIL_H
#define CASCADE_CPE_WAIT_UNTIL_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

void monotonic_condition_init(pthread_cond_t *condition);
/* CLOCK_MONOTONIC now + milliseconds, for pthread_cond_timedwait. */
void monotonic_deadline(struct timespec *deadline, uint64_t milliseconds);

#endif
