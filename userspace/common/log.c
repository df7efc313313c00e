/* Logging: timestamped, levelled lines on stderr, one write() per line so
 * lines from several threads or processes sharing a terminal never interleave.
 * The message is escaped (log_escape), so text a device or client supplied
 * can neither start a forged line nor send terminal control sequences. */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char program[64] = "cascade";
static enum log_level current_level = LOG_LEVEL_INFO;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_init(const char *program_name)
{
	snprintf(program, sizeof(program), "%s", program_name);
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_from_name(const char *name, enum log_level *level)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Length of the valid UTF-8 sequence at text (1..4), or 0 when invalid. */
static size_t utf8_sequence_length(const unsigned char *text)
{
	size_t length;
	uint32_t code_point;

	if (text[0] < 0x80)
		return 1;
	if (text[0] >= 0xc2 && text[0] <= 0xdf) {
		length = 2;
		code_point = text[0] & 0x1f;
	} else if (text[0] >= 0xe0 && text[0] <= 0xef) {
		length = 3;
		code_point = text[0] & 0x0f;
	} else if (text[0] >= 0xf0 && text[0] <= 0xf4) {
		length = 4;
		code_point = text[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < length; i++) {
		if ((text[i] & 0xc0) != 0x80)
			return 0;
		code_point = (code_point << 6) | (text[i] & 0x3f);
	}
	if ((length == 3 && (code_point < 0x800 || (code_point >= 0xd800 && code_point <= 0xdfff))) ||
	    (length == 4 && (code_point < 0x10000 || code_point > 0x10ffff)))
		return 0;
	return length;
}

/* C1 controls (U+0080..U+009F) and the Unicode line and paragraph
 * separators (U+2028, U+2029) break lines or drive terminals too. */
static bool is_unicode_control(const unsigned char *text, size_t length)
{
	return (length == 2 && text[0] == 0xc2 && text[1] <= 0x9f) ||
	       (length == 3 && text[0] == 0xe2 && text[1] == 0x80 && (text[2] == 0xa8 || text[2] == 0xa9));
}

size_t log_escape(const char *text, char *escaped, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *in = (const unsigned char *)text;
	size_t used = 0;

	if (size == 0)
		return 0;
	while (*in) {
		size_t length = utf8_sequence_length(in);
		char piece[16];
		size_t piece_length = 0;

		if (length == 1 && *in >= 0x20 && *in != 0x7f) {
			piece[piece_length++] = (char)*in;
		} else if (length == 1 && (*in == '\n' || *in == '\r' || *in == '\t')) {
			piece[piece_length++] = '\\';
			piece[piece_length++] = *in == '\n' ? 'n' : *in == '\r' ? 'r' : 't';
		} else if (length > 1 && !is_unicode_control(in, length)) {
			memcpy(piece, in, length);
			piece_length = length;
		} else {
			/* a control byte, an invalid byte, or each byte of a control character */
			if (length == 0)
				length = 1;
			for (size_t i = 0; i < length; i++) {
				piece[piece_length++] = '\\';
				piece[piece_length++] = 'x';
				piece[piece_length++] = hex[in[i] >> 4];
				piece[piece_length++] = hex[in[i] & 0x0f];
			}
		}
		if (used + piece_length >= size)
			break;
		memcpy(escaped + used, piece, piece_length);
		used += piece_length;
		in += length;
	}
	escaped[used] = '\0';
	return used;
}

void log_message(enum log_level level, const char *format, ...)
{
	char line[2048], message[2048];
	struct timeval now;
	struct tm utc;
	size_t used;
	va_list arguments;
	int saved_errno = errno;

	if (level > current_level)
		return;
	gettimeofday(&now, NULL);
	gmtime_r(&now.tv_sec, &utc);
	used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &utc);
	used += (size_t)snprintf(line + used, sizeof(line) - used, ".%03ldZ %s[%d] %s: ",
				 (long)(now.tv_usec / 1000), program, (int)getpid(),
				 level_names[level]);
	va_start(arguments, format);
	vsnprintf(message, sizeof(message), format, arguments);
	va_end(arguments);
	if (used < sizeof(line) - 2)
		used += log_escape(message, line + used, sizeof(line) - 1 - used);
	used = strnlen(line, sizeof(line) - 2);
	line[used++] = '\n';
	if (write(STDERR_FILENO, line, used) < 0) {
		/* Nowhere left to report a failed log write. */
	}
	errno = saved_errno;
}
