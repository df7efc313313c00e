/* Logging for every cascade daemon and tool: one line per event on stderr,
 * with a UTC timestamp, the program name, its pid and a level. Messages are
 * escaped (log_escape), so a device-supplied string is always logged safely. */
#ifndef CASCADE_COMMON_LOG_H
#define CASCADE_COMMON_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Sets the program name shown on each line (default "cascade"). */
void log_init(const char *program_name);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info" or "debug"; returns 0 or -EINVAL. */
int log_level_from_name(const char *name, enum log_level *level);

void log_message(enum log_level level, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies text into escaped (size bytes with the NUL) so it stays on one
 * line: newline, carriage return and tab become \n \r \t, other control
 * bytes, C1 controls, U+2028/U+2029 and bytes that are not UTF-8 become
 * \xHH; stops at a whole character when full. Returns the length written. */
size_t log_escape(const char *text, char *escaped, size_t size);

#define log_error(...) log_message(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_message(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_message(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_message(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
