/* One image fetch with libcurl into its partial file (see download_fetch.h). */
#include "cpe/download_fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/log_limit.h"
#include "cpe/download_pieces.h"
#include "cpe/faults.h"

#define SYNC_INTERVAL_MS 1000
#define LOW_SPEED_BYTES  1024
/* --download-rate-limit: idle time earns at most this much burst. */
#define LINK_CREDIT_NS   50000000ull

struct transfer {
	CURL *easy;
	int fd;
	uint64_t start_offset;     /* offset this request asked for */
	uint64_t position;         /* next byte to write */
	uint64_t expected;         /* FileSize, 0: unknown */
	uint64_t limit;            /* never more bytes than this */
	bool checked_response;
	bool have_content_range;
	uint64_t range_start;
	int64_t range_total;       /* -1: unknown */
	bool restart_from_zero;    /* the server answered a range we did not ask for */
	int write_errno;
	unsigned int local_fault;
	char local_why[256];
	const char *progress_path;
	struct download_progress progress;
	uint64_t last_sync_ms;
	uint64_t link_free_ns;     /* the rate limit's link is free from then on */
	uint64_t received;         /* body bytes of this request */
	const struct fetch_options *options;
	struct fetch_cancel cancel;
	bool no_space;
	/* Piece checks (options->pieces). */
	struct piece_checker checker;
	uint64_t skip;             /* body bytes to drop: a 200 answered our Range */
	bool bad_piece_found;
	uint32_t bad_piece;
	uint64_t discarded;
	const char *url;
	bool over_limit;
};

unsigned int download_fault_for(int curl_code, long http_status, bool connected, bool progressed, bool *retry,
				char *why, size_t why_size)
{
	*retry = false;
	switch (curl_code) {
	case CURLE_OK:
		if (http_status == 200 || http_status == 206)
			return FAULT_NONE;
		snprintf(why, why_size, "file server answered HTTP %ld", http_status);
		return FAULT_CANNOT_ACCESS_FILE;
	case CURLE_UNSUPPORTED_PROTOCOL:
		snprintf(why, why_size, "unsupported protocol (only http and https)");
		return FAULT_UNSUPPORTED_PROTOCOL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		snprintf(why, why_size, "cannot contact the file server: %s", curl_easy_strerror(curl_code));
		return FAULT_CANNOT_CONTACT_SERVER;
	case CURLE_OPERATION_TIMEDOUT:
		if (!connected) {
			snprintf(why, why_size, "cannot contact the file server: connect timed out");
			return FAULT_CANNOT_CONTACT_SERVER;
		}
		snprintf(why, why_size, "file server stalled (under %d bytes/s for too long)", LOW_SPEED_BYTES);
		return FAULT_CANNOT_COMPLETE_DOWNLOAD;
	case CURLE_HTTP_RETURNED_ERROR:
		if (http_status == 401 || http_status == 407) {
			snprintf(why, why_size, "file server refused the credentials (HTTP %ld)", http_status);
			return FAULT_FILE_SERVER_AUTH;
		}
		snprintf(why, why_size, "file server answered HTTP %ld", http_status);
		return FAULT_CANNOT_ACCESS_FILE;
	case CURLE_LOGIN_DENIED:
		snprintf(why, why_size, "file server refused the credentials");
		return FAULT_FILE_SERVER_AUTH;
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		if (!progressed && curl_code == CURLE_GOT_NOTHING) {
			snprintf(why, why_size, "file server closed the connection without answering");
			return FAULT_CANNOT_ACCESS_FILE;
		}
		*retry = progressed;
		snprintf(why, why_size, "connection to the file server cut: %s", curl_easy_strerror(curl_code));
		return FAULT_CANNOT_COMPLETE_DOWNLOAD;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(why, why_size, "TLS with the file server failed: %s", curl_easy_strerror(curl_code));
		return FAULT_CANNOT_CONTACT_SERVER;
	case CURLE_TOO_MANY_REDIRECTS:
		snprintf(why, why_size, "file server redirects too often");
		return FAULT_CANNOT_ACCESS_FILE;
	default:
		snprintf(why, why_size, "download failed: %s", curl_easy_strerror(curl_code));
		return FAULT_DOWNLOAD_FAILURE;
	}
}

static void set_local_fault(struct transfer *transfer, unsigned int code, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
static void set_local_fault(struct transfer *transfer, unsigned int code, const char *format, ...)
{
	va_list arguments;

	if (transfer->local_fault)
		return;
	transfer->local_fault = code;
	va_start(arguments, format);
	vsnprintf(transfer->local_why, sizeof(transfer->local_why), format, arguments);
	va_end(arguments);
}

static void sync_progress(struct transfer *transfer)
{
	int result;

	if (fdatasync(transfer->fd) < 0) {
		log_warn_limited("fdatasync of a partial download failed: %s", strerror(errno));
		return;
	}
	transfer->progress.durable_bytes = transfer->position;
	transfer->progress.verified_bytes =
		transfer->options->pieces ? piece_checker_verified_bytes(&transfer->checker) : 0;
	result = download_progress_save(transfer->progress_path, &transfer->progress);
	if (result < 0)
		log_warn_limited("cannot save download progress %s: %s", transfer->progress_path, strerror(-result));
	transfer->last_sync_ms = monotonic_ms();
}

static size_t on_header(char *data, size_t size, size_t count, void *argument)
{
	struct transfer *transfer = argument;
	size_t length = size * count;
	char line[256];
	unsigned long long first, last;
	char total[32];

	if (length >= sizeof(line))
		return length;
	memcpy(line, data, length);
	line[length] = '\0';
	if (strncmp(line, "HTTP/", 5) == 0) { /* a new response (after a redirect or 100) */
		transfer->have_content_range = false;
		transfer->range_total = -1;
		return length;
	}
	if (strncasecmp(line, "Content-Range:", 14) == 0 &&
	    sscanf(line + 14, " bytes %llu-%llu/%31s", &first, &last, total) == 3) {
		transfer->have_content_range = true;
		transfer->range_start = first;
		transfer->range_total = total[0] == '*' ? -1 : strtoll(total, NULL, 10);
	}
	return length;
}

/* Checks the response before its first body byte is written. */
static bool check_response(struct transfer *transfer)
{
	long status = 0;
	curl_off_t content_length = -1;
	int64_t total = -1;

	transfer->checked_response = true;
	curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(transfer->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
	if (status == 206) {
		if (!transfer->have_content_range || transfer->range_start != transfer->start_offset) {
			log_warn("file server answered a range other than bytes=%" PRIu64 "-; starting over",
				 transfer->start_offset);
			transfer->restart_from_zero = true;
			return false;
		}
		total = transfer->range_total;
	} else if (status == 200) {
		if (transfer->start_offset > 0 && transfer->options->pieces) {
			/* Checked pieces are never thrown away: skip what we hold. */
			log_info("file server ignored the Range request: skipping the first %" PRIu64 " bytes",
				 transfer->start_offset);
			transfer->skip = transfer->start_offset;
		} else if (transfer->start_offset > 0) {
			log_info("file server ignored the Range request: starting over from byte 0");
			if (ftruncate(transfer->fd, 0) < 0) {
				transfer->write_errno = errno;
				return false;
			}
			transfer->start_offset = 0;
			transfer->position = 0;
		}
		total = content_length;
	}
	if (total >= 0) {
		transfer->progress.total_bytes = (uint64_t)total;
		if (transfer->expected && (uint64_t)total != transfer->expected) {
			set_local_fault(transfer, FAULT_FILE_CORRUPTED,
					"file server has %" PRId64 " bytes but the Download's FileSize is %" PRIu64, total,
					transfer->expected);
			return false;
		}
		if ((uint64_t)total > transfer->limit) {
			transfer->over_limit = true;
			set_local_fault(transfer, FAULT_DOWNLOAD_FAILURE,
					"file of %" PRId64 " bytes is over the limit of %" PRIu64, total, transfer->limit);
			return false;
		}
	}
	return true;
}

/* --download-rate-limit: the write callback is held back like bytes on a
 * link of that rate (TCP flow control then slows the server down; libcurl
 * 7.88's own limit lets bursts through). The link's clock never lags the
 * present by more than LINK_CREDIT_NS: time spent waiting for a server that
 * had nothing to send earns no credit for a burst afterwards. */
static bool throttle(struct transfer *transfer, size_t bytes)
{
	const struct fetch_options *options = transfer->options;
	uint64_t now = monotonic_ns();

	if (!options->rate_limit)
		return true;
	if (transfer->link_free_ns + LINK_CREDIT_NS < now)
		transfer->link_free_ns = now - LINK_CREDIT_NS;
	transfer->link_free_ns += (uint64_t)bytes * 1000000000ull / options->rate_limit;
	for (; now < transfer->link_free_ns; now = monotonic_ns()) {
		uint64_t wait_ns = transfer->link_free_ns - now;

		if (options->cancelled && options->cancelled(options->cancel_context)) {
			transfer->cancel.cancelled = true;
			return false;
		}
		usleep((useconds_t)((wait_ns > 100000000ull ? 100000000ull : wait_ns) / 1000));
	}
	return true;
}

/* A piece did not match: cut it off the file and fail, naming it and the source. */
static void drop_bad_piece(struct transfer *transfer, uint32_t index)
{
	const struct image_pieces *pieces = transfer->options->pieces;
	uint64_t start = image_pieces_offset(pieces, index);
	char source[CPE_URL_MAX];

	transfer->discarded += transfer->position - start;
	if (ftruncate(transfer->fd, (off_t)start) < 0)
		transfer->write_errno = errno;
	transfer->position = start;
	transfer->bad_piece_found = true;
	transfer->bad_piece = index;
	download_source_name(transfer->url, source, sizeof(source));
	set_local_fault(transfer, FAULT_FILE_CORRUPTED,
			"piece %" PRIu32 " of %" PRIu32 " (bytes %" PRIu64 "-%" PRIu64 ") from %s does not match the piece list",
			index, pieces->count, start, start + image_pieces_length(pieces, index) - 1, source);
}

static size_t on_body(char *data, size_t size, size_t count, void *argument)
{
	struct transfer *transfer = argument;
	size_t total = size * count, length = total, done = 0;
	uint32_t bad_piece = 0;
	int checked;

	if (!transfer->checked_response && !check_response(transfer))
		return 0;
	if (transfer->skip > 0) {
		size_t dropped = transfer->skip < length ? (size_t)transfer->skip : length;

		transfer->skip -= dropped;
		data += dropped;
		length -= dropped;
		if (length == 0)
			return total;
	}
	if (transfer->position + length > transfer->limit) {
		if (transfer->expected)
			set_local_fault(transfer, FAULT_FILE_CORRUPTED,
					"file server sent more than the Download's FileSize of %" PRIu64 " bytes",
					transfer->expected);
		else
			set_local_fault(transfer, FAULT_DOWNLOAD_FAILURE, "file is over the limit of %" PRIu64 " bytes",
					transfer->limit);
		transfer->over_limit = !transfer->expected;
		return 0;
	}
	/* With pieces, a piece at a time: nothing past a bad piece is written. */
	while (length > 0) {
		size_t segment = length;

		if (transfer->options->pieces) {
			const struct image_pieces *pieces = transfer->options->pieces;
			uint32_t index = (uint32_t)(transfer->position / pieces->piece_size);
			uint64_t end = image_pieces_offset(pieces, index) + image_pieces_length(pieces, index);

			if (end - transfer->position < segment)
				segment = (size_t)(end - transfer->position);
		}
		for (done = 0; done < segment;) {
			ssize_t written = pwrite(transfer->fd, data + done, segment - done,
						 (off_t)(transfer->position + done));

			if (written < 0 && errno == EINTR)
				continue;
			if (written <= 0) {
				transfer->write_errno = written < 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)written;
		}
		transfer->position += segment;
		transfer->received += segment;
		if (transfer->options->pieces) {
			checked = piece_checker_feed(&transfer->checker, (const uint8_t *)data, segment, &bad_piece);
			if (checked == -EBADMSG) {
				drop_bad_piece(transfer, bad_piece);
				return 0;
			}
			if (checked < 0) {
				set_local_fault(transfer, FAULT_INTERNAL_ERROR, "cannot check the image's pieces: %s",
						strerror(-checked));
				return 0;
			}
		}
		data += segment;
		length -= segment;
	}
	if (monotonic_ms() - transfer->last_sync_ms >= SYNC_INTERVAL_MS)
		sync_progress(transfer);
	return throttle(transfer, total) ? total : 0;
}

static int on_progress(void *argument, curl_off_t download_total, curl_off_t downloaded, curl_off_t upload_total,
		       curl_off_t uploaded)
{
	struct fetch_cancel *cancel = argument;

	(void)download_total;
	(void)downloaded;
	(void)upload_total;
	(void)uploaded;
	if (cancel->options->cancelled && cancel->options->cancelled(cancel->options->cancel_context)) {
		cancel->cancelled = true;
		return 1;
	}
	return 0;
}

CURL *download_curl_new(const char *url, const struct download_request *request, struct fetch_cancel *cancel)
{
	const struct fetch_options *options = cancel->options;
	CURL *easy = curl_easy_init();

	if (!easy)
		return NULL;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(easy, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)options->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, (long)((options->stall_ms + 999) / 1000));
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "cascade-cpe");
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, cancel);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	if (options->ca_file && options->ca_file[0])
		curl_easy_setopt(easy, CURLOPT_CAINFO, options->ca_file);
	if (request->username[0]) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
		curl_easy_setopt(easy, CURLOPT_USERNAME, request->username);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, request->password);
	}
	return easy;
}

static CURL *prepare(struct transfer *transfer, const struct download_request *request, char *error_buffer)
{
	CURL *easy = download_curl_new(request->url, request, &transfer->cancel);
	char range[48];

	if (!easy)
		return NULL;
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
	if (transfer->start_offset > 0) {
		snprintf(range, sizeof(range), "%" PRIu64 "-", transfer->start_offset);
		curl_easy_setopt(easy, CURLOPT_RANGE, range);
	}
	return easy;
}

/* Positions the piece checker at transfer->position: the whole pieces on
 * disk not known good yet are checked, and a bad one is cut off. */
static unsigned int start_checking(struct transfer *transfer, char *why, size_t why_size)
{
	uint64_t position = transfer->position;
	int result;

	if (!transfer->options->pieces)
		return 0;
	piece_checker_free(&transfer->checker);
	result = piece_checker_start(&transfer->checker, transfer->options->pieces, transfer->fd,
				     transfer->progress.verified_bytes, &position);
	if (result < 0) {
		snprintf(why, why_size, "cannot check the partial file: %s", strerror(-result));
		return FAULT_INTERNAL_ERROR;
	}
	if (position < transfer->position) {
		log_warn("partial file: the piece at byte %" PRIu64 " does not match the piece list; cutting it off",
			 position);
		transfer->discarded += transfer->position - position;
		if (ftruncate(transfer->fd, (off_t)position) < 0) {
			snprintf(why, why_size, "cannot cut the partial file: %s", strerror(errno));
			return FAULT_INTERNAL_ERROR;
		}
		transfer->position = position;
	}
	transfer->progress.verified_bytes = piece_checker_verified_bytes(&transfer->checker);
	return 0;
}

/* One HTTP request from transfer->position on. Returns the fault (0: done). */
static unsigned int fetch_once(struct transfer *transfer, const struct download_request *request, bool *retry,
			       char *why, size_t why_size)
{
	char error_buffer[CURL_ERROR_SIZE] = "";
	uint64_t before = transfer->position;
	curl_off_t connect_time = 0;
	long status = 0;
	unsigned int fault;
	CURLcode code;

	*retry = false;
	fault = start_checking(transfer, why, why_size);
	if (fault)
		return fault;
	transfer->skip = 0;
	transfer->start_offset = transfer->position;
	transfer->checked_response = false;
	transfer->have_content_range = false;
	transfer->range_total = -1;
	transfer->restart_from_zero = false;
	transfer->received = 0;
	transfer->easy = prepare(transfer, request, error_buffer);
	if (!transfer->easy) {
		snprintf(why, why_size, "out of memory");
		return FAULT_INTERNAL_ERROR;
	}
	code = curl_easy_perform(transfer->easy);
	curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(transfer->easy, CURLINFO_CONNECT_TIME_T, &connect_time);
	curl_easy_cleanup(transfer->easy);
	transfer->easy = NULL;
	sync_progress(transfer);
	if (transfer->cancel.cancelled)
		return FAULT_NONE;
	if (transfer->write_errno) {
		int saved = transfer->write_errno;

		transfer->no_space = saved == ENOSPC || saved == EDQUOT;
		if (transfer->no_space)
			log_error("download %s: no space left on the device writing its partial file; "
				  "free space in the data directory",
				  request->command_key);
		snprintf(why, why_size, "cannot write the image: %s", strerror(saved));
		return FAULT_DOWNLOAD_FAILURE;
	}
	if (transfer->local_fault) {
		snprintf(why, why_size, "%s", transfer->local_why);
		return transfer->local_fault;
	}
	if (transfer->restart_from_zero || (status == 416 && transfer->start_offset > 0)) {
		snprintf(why, why_size, "file server cannot resume at byte %" PRIu64, transfer->start_offset);
		/* Checked pieces are kept: another source resumes there. */
		*retry = !transfer->options->pieces;
		transfer->restart_from_zero = !transfer->options->pieces;
		return FAULT_CANNOT_COMPLETE_DOWNLOAD;
	}
	fault = download_fault_for(code, status, connect_time > 0 || status > 0, transfer->position > before, retry,
				   why, why_size);
	if (fault && error_buffer[0] && code != CURLE_HTTP_RETURNED_ERROR) {
		size_t used = strlen(why);

		snprintf(why + used, why_size - used, " (%s)", error_buffer);
	}
	if (!fault && transfer->expected && transfer->position != transfer->expected) {
		snprintf(why, why_size, "file server sent %" PRIu64 " bytes, the Download's FileSize is %" PRIu64,
			 transfer->position, transfer->expected);
		return FAULT_FILE_CORRUPTED;
	}
	return fault;
}

/* Sleeps in short steps so a shutdown is not held up; false when cancelled. */
static bool pause_between_attempts(const struct fetch_options *options, uint64_t milliseconds)
{
	uint64_t until = monotonic_ms() + milliseconds;

	while (monotonic_ms() < until) {
		if (options->cancelled && options->cancelled(options->cancel_context))
			return false;
		usleep(50000);
	}
	return true;
}

/* Keeps only the bytes the progress record vouches for. */
static int open_partial(struct transfer *transfer, const char *partial_path)
{
	struct stat status;
	uint64_t durable;

	transfer->fd = open(partial_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (transfer->fd < 0)
		return -errno;
	if (fstat(transfer->fd, &status) < 0 || !S_ISREG(status.st_mode))
		return -EINVAL;
	download_progress_load(transfer->progress_path, &transfer->progress);
	durable = transfer->progress.durable_bytes;
	if (durable > (uint64_t)status.st_size)
		durable = (uint64_t)status.st_size;
	if (transfer->expected && durable > transfer->expected)
		durable = 0;
	if ((uint64_t)status.st_size != durable && ftruncate(transfer->fd, (off_t)durable) < 0)
		return -errno;
	transfer->position = durable;
	return 0;
}

int download_fetch(const struct download_request *request, const char *partial_path, const char *progress_path,
		   const struct fetch_options *options, struct fetch_result *result)
{
	struct transfer transfer = { 0 };
	unsigned int retries_left = options->retries;
	bool restarted = false, retry = false;
	int status;

	memset(result, 0, sizeof(*result));
	transfer.options = options;
	transfer.cancel.options = options;
	transfer.progress_path = progress_path;
	transfer.url = request->url;
	transfer.expected = options->pieces ? options->pieces->size : request->file_size;
	transfer.limit = transfer.expected ? transfer.expected : options->max_image_size;
	transfer.last_sync_ms = monotonic_ms();
	status = open_partial(&transfer, partial_path);
	if (status < 0) {
		log_error("download %s: cannot open %s: %s", request->command_key, partial_path, strerror(-status));
		if (transfer.fd >= 0)
			close(transfer.fd);
		return status;
	}
	snprintf(transfer.progress.url, sizeof(transfer.progress.url), "%s", request->url);
	result->fault_code = start_checking(&transfer, result->fault_string, sizeof(result->fault_string));
	if (result->fault_code)
		goto done;
	result->resumed_from = transfer.position;
	if (transfer.expected && transfer.position == transfer.expected) {
		log_info("download %s: all %" PRIu64 " bytes already here", request->command_key, transfer.position);
		goto done;
	}
	if (transfer.position > 0)
		log_info("download %s: resuming %s at byte %" PRIu64, request->command_key, request->url,
			 transfer.position);
	else
		log_info("download %s: fetching %s", request->command_key, request->url);
	for (unsigned int attempt = 0; attempt < options->retries + 3; attempt++) {
		transfer.received = 0;
		result->attempts++;
		result->fault_code = fetch_once(&transfer, request, &retry, result->fault_string,
						sizeof(result->fault_string));
		result->fetched += transfer.received;
		if (transfer.cancel.cancelled) {
			piece_checker_free(&transfer.checker);
			close(transfer.fd);
			return -ECANCELED;
		}
		if (result->fault_code == FAULT_NONE)
			break;
		if (transfer.restart_from_zero && !restarted) {
			restarted = true;
			if (ftruncate(transfer.fd, 0) == 0) {
				transfer.position = 0;
				sync_progress(&transfer);
				continue;
			}
		}
		if (!retry || retries_left == 0)
			break;
		retries_left--;
		log_warn("download %s: %s; resuming at byte %" PRIu64 " (%u tries left)", request->command_key,
			 result->fault_string, transfer.position, retries_left);
		if (!pause_between_attempts(options, 1000u << (options->retries - retries_left - 1 < 3
									  ? options->retries - retries_left - 1
									  : 3))) {
			piece_checker_free(&transfer.checker);
			close(transfer.fd);
			return -ECANCELED;
		}
	}
done:
	result->no_space = transfer.no_space;
	result->over_limit = transfer.over_limit;
	/* fetch_once ends with sync_progress; only a position it did not
	 * record (the file already whole at open) needs a sync here. */
	if (transfer.progress.durable_bytes != transfer.position && fdatasync(transfer.fd) == 0) {
		transfer.progress.durable_bytes = transfer.position;
		download_progress_save(progress_path, &transfer.progress);
	}
	result->size = transfer.position;
	result->bad_piece_found = transfer.bad_piece_found;
	result->bad_piece = transfer.bad_piece;
	result->discarded = transfer.discarded;
	result->verified = options->pieces ? piece_checker_verified_bytes(&transfer.checker) : 0;
	piece_checker_free(&transfer.checker);
	close(transfer.fd);
	return 0;
}
