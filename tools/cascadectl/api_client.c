/* cascadectl's API client: one libcurl request per call with the bearer
 * token when configured, JSON decoding with jansson, and error messages
 * that say what failed (unreachable API, refused token, the API's own
 * "error" text). */
#include "cli.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/byte_buffer.h"
#include "common/token_file.h"

struct cli_options cli_options = { "http://127.0.0.1:7548", NULL, false };

/* Responses larger than this are refused rather than held. */
#define RESPONSE_LIMIT (64u << 20)

static size_t collect(char *data, size_t size, size_t count, void *user)
{
	size_t bytes = size * count;

	if (byte_buffer_append(user, data, bytes, RESPONSE_LIMIT) < 0)
		return 0;
	return bytes;
}

/* The token is read once and kept: `campaign watch` calls the API once per
 * poll. Fills header with the Authorization line, or leaves it empty when
 * no token file is configured. */
static int authorization_header(char *header, size_t size)
{
	static char token[4097];
	static bool token_read;
	char why[512];

	header[0] = '\0';
	if (!cli_options.token_file)
		return 0;
	if (!token_read) {
		int result = token_file_read(cli_options.token_file, token, sizeof(token), why, sizeof(why));

		if (result < 0) {
			fprintf(stderr, "cascadectl: %s\n", why);
			return result;
		}
		token_read = true;
	}
	snprintf(header, size, "Authorization: Bearer %s", token);
	return 0;
}

int api_call(const char *method, const char *path, const char *body, json_t **response)
{
	struct byte_buffer buffer = { 0 };
	struct curl_slist *headers = NULL;
	char url[2048], authorization[4200] = "", curl_error[CURL_ERROR_SIZE] = "";
	json_error_t json_error;
	CURL *easy;
	CURLcode result;
	long status = 0;
	size_t base_length = strlen(cli_options.api_url);

	*response = NULL;
	while (base_length && cli_options.api_url[base_length - 1] == '/')
		base_length--;
	snprintf(url, sizeof(url), "%.*s%s", (int)base_length, cli_options.api_url, path);
	if (authorization_header(authorization, sizeof(authorization)) < 0)
		return 1;
	easy = curl_easy_init();
	if (!easy)
		return 1;
	if (authorization[0])
		headers = curl_slist_append(headers, authorization);
	if (body)
		headers = curl_slist_append(headers, "Content-Type: application/json");
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "POST") == 0)
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, &buffer);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	result = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(easy);
	if (result != CURLE_OK) {
		fprintf(stderr, "cascadectl: cannot reach the API at %s: %s\n", url,
			curl_error[0] ? curl_error : curl_easy_strerror(result));
		byte_buffer_free(&buffer);
		return 1;
	}
	*response = buffer.data ? json_loads(buffer.data, 0, &json_error) : NULL;
	if (status < 200 || status >= 300) {
		const char *message = *response ? json_string_value(json_object_get(*response, "error")) : NULL;

		if (status == 401)
			fprintf(stderr, "cascadectl: the API refused the request (401): %s%s\n",
				message ? message : "unauthorized",
				cli_options.token_file ? "" : " - pass --token-file FILE");
		else
			fprintf(stderr, "cascadectl: %s %s failed with HTTP %ld: %s\n", method, path, status,
				message ? message : (buffer.data ? buffer.data : "no details"));
		json_decref(*response);
		*response = NULL;
		byte_buffer_free(&buffer);
		return 1;
	}
	if (!*response) {
		fprintf(stderr, "cascadectl: %s %s returned something that is not JSON (%s)\n", method, path,
			json_error.text);
		byte_buffer_free(&buffer);
		return 1;
	}
	byte_buffer_free(&buffer);
	return 0;
}

void print_json(json_t *document)
{
	char *text = json_dumps(document, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text) {
		puts(text);
		free(text);
	}
}

bool print_json_if_asked(json_t *response)
{
	if (!cli_options.json)
		return false;
	print_json(response);
	json_decref(response);
	return true;
}

int usage_error(const char *command, const char *format, ...)
{
	char name[96];
	va_list arguments;

	snprintf(name, sizeof(name), "cascadectl %s", command);
	va_start(arguments, format);
	cli_usage_error_va(name, format, arguments);
	va_end(arguments);
	return CLI_EXIT_USAGE;
}
