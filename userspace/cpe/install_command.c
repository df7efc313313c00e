/* The install step's external command and cascade-master's reload request
 * (see download_install.h). */
#include "cpe/download_install.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/token_file.h"
#include "cpe/faults.h"

extern char **environ;

/* environ plus three CASCADE_ variables; free with free_environment. */
static char **build_environment(const char *image_path, const char *sha256_hex, const char *command_key)
{
	size_t count = 0;
	char **environment;

	while (environ && environ[count])
		count++;
	environment = calloc(count + 4, sizeof(*environment));
	if (!environment)
		return NULL;
	for (size_t i = 0; i < count; i++)
		environment[i] = environ[i];
	if (asprintf(&environment[count], "CASCADE_IMAGE_PATH=%s", image_path) < 0)
		environment[count] = NULL;
	if (asprintf(&environment[count + 1], "CASCADE_IMAGE_SHA256=%s", sha256_hex) < 0)
		environment[count + 1] = NULL;
	if (asprintf(&environment[count + 2], "CASCADE_COMMAND_KEY=%s", command_key) < 0)
		environment[count + 2] = NULL;
	return environment;
}

static void free_environment(char **environment)
{
	size_t count = 0;

	if (!environment)
		return;
	while (environ && environ[count])
		count++;
	for (size_t i = count; i < count + 3; i++)
		free(environment[i]);
	free(environment);
}

unsigned int install_command_run(const char *command, const char *image_path, const char *sha256_hex,
				 const char *command_key, uint64_t timeout_ms, char *why, size_t why_size)
{
	posix_spawnattr_t attributes;
	char *script = NULL, **environment;
	char *argv[6];
	uint64_t deadline = monotonic_ms() + timeout_ms;
	pid_t child;
	int status = 0, result;

	if (asprintf(&script, "%s \"$1\"", command) < 0)
		return FAULT_INTERNAL_ERROR;
	environment = build_environment(image_path, sha256_hex, command_key);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = script;
	argv[3] = "cascade-install";
	argv[4] = (char *)image_path;
	argv[5] = NULL;
	posix_spawnattr_init(&attributes);
	posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attributes, 0);
	result = environment ? posix_spawn(&child, "/bin/sh", NULL, &attributes, argv, environment) : ENOMEM;
	posix_spawnattr_destroy(&attributes);
	free_environment(environment);
	free(script);
	if (result != 0) {
		snprintf(why, why_size, "cannot start the install command: %s", strerror(result));
		return FAULT_DOWNLOAD_FAILURE;
	}
	log_info("install command started (pid %d) for %s", (int)child, image_path);
	for (;;) {
		pid_t done = waitpid(child, &status, WNOHANG);

		if (done == child)
			break;
		if (done < 0 && errno != EINTR) {
			snprintf(why, why_size, "lost the install command: %s", strerror(errno));
			return FAULT_DOWNLOAD_FAILURE;
		}
		if (monotonic_ms() >= deadline) {
			kill(-child, SIGKILL);
			waitpid(child, &status, 0);
			snprintf(why, why_size, "install command did not finish within %llu ms: killed",
				 (unsigned long long)timeout_ms);
			return FAULT_DOWNLOAD_FAILURE;
		}
		usleep(20000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, why_size, "install command failed with exit status %d", WEXITSTATUS(status));
	else
		snprintf(why, why_size, "install command killed by signal %d", WTERMSIG(status));
	return FAULT_DOWNLOAD_FAILURE;
}

static size_t discard_body(char *data, size_t size, size_t count, void *argument)
{
	(void)data;
	(void)argument;
	return size * count;
}

int master_reload(const char *base_url, const char *ca_file, const char *admin_token_file, char *why,
		  size_t why_size)
{
	char url[CPE_URL_MAX + 16], token[300], header[330];
	struct curl_slist *headers = NULL;
	size_t length = strlen(base_url);
	long status = 0;
	CURLcode code;
	CURL *easy;

	/* Read at each reload, so a rotated token needs no restart. */
	if (admin_token_file && admin_token_file[0]) {
		if (token_file_read(admin_token_file, token, sizeof(token), why, why_size) < 0)
			return -EACCES;
		snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
		headers = curl_slist_append(NULL, header);
		if (!headers)
			return -ENOMEM;
	}

	while (length && base_url[length - 1] == '/')
		length--;
	snprintf(url, sizeof(url), "%.*s/-/reload", (int)length, base_url);
	easy = curl_easy_init();
	if (!easy) {
		curl_slist_free_all(headers);
		return -ENOMEM;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
	if (ca_file && ca_file[0])
		curl_easy_setopt(easy, CURLOPT_CAINFO, ca_file);
	code = curl_easy_perform(easy);
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(easy);
	curl_slist_free_all(headers);
	if (code != CURLE_OK) {
		snprintf(why, why_size, "POST %s: %s", url, curl_easy_strerror(code));
		return -EIO;
	}
	if (status < 200 || status > 299) {
		snprintf(why, why_size, "POST %s answered HTTP %ld", url, status);
		return -EIO;
	}
	return 0;
}
