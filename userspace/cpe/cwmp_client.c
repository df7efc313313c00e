/* CWMP over HTTP with libcurl (see cwmp_client.h). */
#include "cpe/cwmp_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t on_body(char *data, size_t size, size_t count, void *argument)
{
	struct cwmp_client *client = argument;
	int result = byte_buffer_append(&client->body, data, size * count, CWMP_REPLY_MAX_BYTES);

	if (result == -E2BIG)
		client->too_large = 1;
	return result == 0 ? size * count : 0;
}

static int on_progress(void *argument, curl_off_t download_total, curl_off_t downloaded, curl_off_t upload_total,
		       curl_off_t uploaded)
{
	struct cwmp_client *client = argument;

	(void)download_total;
	(void)downloaded;
	(void)upload_total;
	(void)uploaded;
	return client->stopping && client->stopping(client->stopping_context) ? 1 : 0;
}

static const char *const empty_post_headers[] = { "Expect:" };
static const char *const soap_post_headers[] = { "Expect:", "Content-Type: text/xml; charset=\"utf-8\"",
						 "SOAPAction;" };

/* A curl header list of these lines, or NULL (nothing left allocated). */
static struct curl_slist *header_list(const char *const *lines, size_t count)
{
	struct curl_slist *list = NULL, *longer;

	for (size_t i = 0; i < count; i++) {
		longer = curl_slist_append(list, lines[i]);
		if (!longer) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = longer;
	}
	return list;
}

int cwmp_client_open(struct cwmp_client *client, const struct cpe_config *config, bool (*stopping)(void *context),
		     void *stopping_context)
{
	CURL *easy;
	long auth = config->auth == CPE_AUTH_BASIC	  ? (long)CURLAUTH_BASIC
		    : config->auth == CPE_AUTH_DIGEST ? (long)CURLAUTH_DIGEST
						      : (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST);

	memset(client, 0, sizeof(*client));
	easy = curl_easy_init();
	if (!easy)
		return -ENOMEM;
	client->easy = easy;
	client->stopping = stopping;
	client->stopping_context = stopping_context;
	client->headers = header_list(empty_post_headers, sizeof(empty_post_headers) / sizeof(empty_post_headers[0]));
	client->xml_headers = header_list(soap_post_headers, sizeof(soap_post_headers) / sizeof(soap_post_headers[0]));
	if (!client->headers || !client->xml_headers) {
		cwmp_client_close(client);
		return -ENOMEM;
	}
	curl_easy_setopt(easy, CURLOPT_URL, config->acs_url);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_COOKIEFILE, ""); /* in-memory cookie engine: the session cookie */
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)config->acs_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(config->acs_timeout_ms < 10000 ? config->acs_timeout_ms : 10000));
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "cascade-cpe");
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, client);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, client->error);
	curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(easy, CURLOPT_XFERINFODATA, client);
	curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
	if (config->username[0]) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, auth);
		curl_easy_setopt(easy, CURLOPT_USERNAME, config->username);
		curl_easy_setopt(easy, CURLOPT_PASSWORD, config->password);
	}
	if (config->ca_file[0])
		curl_easy_setopt(easy, CURLOPT_CAINFO, config->ca_file);
	return 0;
}

int cwmp_client_post(struct cwmp_client *client, const char *body, size_t length, struct cwmp_http_reply *reply)
{
	curl_off_t retry_after = 0;
	CURLcode code;

	memset(reply, 0, sizeof(*reply));
	byte_buffer_clear(&client->body);
	client->too_large = 0;
	client->error[0] = '\0';
	curl_easy_setopt(client->easy, CURLOPT_HTTPHEADER, length ? client->xml_headers : client->headers);
	curl_easy_setopt(client->easy, CURLOPT_POSTFIELDS, length ? body : "");
	curl_easy_setopt(client->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
	code = curl_easy_perform(client->easy);
	if (client->too_large) {
		snprintf(client->error, sizeof(client->error), "ACS reply over %u bytes", CWMP_REPLY_MAX_BYTES);
		return -E2BIG;
	}
	if (code != CURLE_OK) {
		if (!client->error[0])
			snprintf(client->error, sizeof(client->error), "%s", curl_easy_strerror(code));
		return -EIO;
	}
	curl_easy_getinfo(client->easy, CURLINFO_RESPONSE_CODE, &reply->status);
	if (curl_easy_getinfo(client->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0)
		reply->retry_after_ms = (uint64_t)retry_after * 1000;
	reply->body = client->body.length ? client->body.data : NULL;
	reply->length = client->body.length;
	return 0;
}

void cwmp_client_close(struct cwmp_client *client)
{
	if (client->easy)
		curl_easy_cleanup(client->easy);
	curl_slist_free_all(client->headers);
	curl_slist_free_all(client->xml_headers);
	byte_buffer_free(&client->body);
	memset(client, 0, sizeof(*client));
}
