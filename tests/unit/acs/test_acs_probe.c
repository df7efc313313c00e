/* Unit tests for the attribute probe's state machine and the session
 * engine around it, driven through session_handle with real envelopes:
 * a probe answered (leaf names, then the X_CASCADE_ leaves), faulted (the
 * mandatory leaves next, then a failure with back-off), dropped (a new
 * Inform or the session timeout while a probe request is unanswered: a
 * failure with back-off, doubled), the partial style, replies the ACS
 * cannot read (an unreadable body, a sloppy fault, the wrong response)
 * ending the request as a fault instead of an HTTP 500, and a Download
 * lost with a dropped session sent again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acs/campaign.h"
#include "acs/session.h"
#include "acs/store.h"
#include "common/clock.h"

#define HEAD                                                                                                   \
	"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "                             \
	"xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soap:Body>"
#define TAIL "</soap:Body></soap:Envelope>"
#define KEY "00AA11-GW-P1"

struct probe_fixture {
	struct controller controller;
	struct store *store;
	char path[64];
	struct session *connection; /* the HTTP connection's session slot */
	char cookie[64];
	struct cwmp_reply reply;
};

static int setup(void **state)
{
	struct probe_fixture *fixture = calloc(1, sizeof(*fixture));
	struct acs_config config;
	int fd;

	acs_config_defaults(&config);
	controller_init(&fixture->controller, &config);
	snprintf(fixture->path, sizeof(fixture->path), "/tmp/cascade-acs-probe-XXXXXX");
	fd = mkstemp(fixture->path);
	close(fd);
	assert_int_equal(store_open(fixture->path, false, &fixture->store), 0);
	fixture->controller.store = fixture->store;
	*state = fixture;
	return 0;
}

static int teardown(void **state)
{
	struct probe_fixture *fixture = *state;
	char path[80];

	free(fixture->reply.body);
	session_release(&fixture->controller, fixture->connection);
	store_close(fixture->store);
	controller_destroy(&fixture->controller);
	unlink(fixture->path);
	snprintf(path, sizeof(path), "%s-wal", fixture->path);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", fixture->path);
	unlink(path);
	free(fixture);
	return 0;
}

/* One POST; returns the HTTP status, the body stays in fixture->reply. */
static int post(struct probe_fixture *fixture, const char *body)
{
	struct cwmp_exchange exchange = {
		.body = body,
		.length = strlen(body),
		.cookie = fixture->cookie[0] ? fixture->cookie : NULL,
		.address = "192.0.2.7",
		.connection_session = &fixture->connection,
	};
	struct store_batch *batch = NULL;

	free(fixture->reply.body);
	assert_int_equal(session_handle(&fixture->controller, &exchange, &fixture->reply, &batch), 0);
	store_batch_free(batch);
	if (fixture->reply.cookie[0])
		snprintf(fixture->cookie, sizeof(fixture->cookie), "%s", fixture->reply.cookie);
	return fixture->reply.http_status;
}

static bool reply_has(const struct probe_fixture *fixture, const char *text)
{
	return fixture->reply.body && strstr(fixture->reply.body, text);
}

/* An Inform that carries only the ConnectionRequestURL (a new connection
 * when the device reconnects). */
static void inform(struct probe_fixture *fixture, const char *event, bool new_connection)
{
	char body[2048];

	if (new_connection) {
		session_release(&fixture->controller, fixture->connection);
		fixture->connection = NULL;
		fixture->cookie[0] = '\0';
	}
	snprintf(body, sizeof(body),
		 HEAD "<cwmp:Inform><DeviceId><Manufacturer>Acme</Manufacturer><OUI>00AA11</OUI><ProductClass>GW"
		      "</ProductClass><SerialNumber>P1</SerialNumber></DeviceId><Event><EventStruct><EventCode>%s"
		      "</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes>"
		      "<CurrentTime>2026-01-01T00:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList>"
		      "<ParameterValueStruct><Name>InternetGatewayDevice.ManagementServer.ConnectionRequestURL</Name>"
		      "<Value>http://192.0.2.7:7547/</Value></ParameterValueStruct></ParameterList></cwmp:Inform>" TAIL,
		 event);
	assert_int_equal(post(fixture, body), 200);
}

static const char values_response[] =
	HEAD "<cwmp:GetParameterValuesResponse><ParameterList>"
	"<ParameterValueStruct><Name>InternetGatewayDevice.DeviceInfo.HardwareVersion</Name><Value>hw7</Value>"
	"</ParameterValueStruct><ParameterValueStruct><Name>InternetGatewayDevice.DeviceInfo.SoftwareVersion</Name>"
	"<Value>3.1</Value></ParameterValueStruct><ParameterValueStruct>"
	"<Name>InternetGatewayDevice.DeviceInfo.ProcessStatus.CPUUsage</Name><Value>12</Value></ParameterValueStruct>"
	"</ParameterList></cwmp:GetParameterValuesResponse>" TAIL;
static const char names_response[] =
	HEAD "<cwmp:GetParameterNamesResponse><ParameterList>"
	"<ParameterInfoStruct><Name>InternetGatewayDevice.DeviceInfo.</Name><Writable>0</Writable></ParameterInfoStruct>"
	"<ParameterInfoStruct><Name>InternetGatewayDevice.X_CASCADE_FileServer.</Name><Writable>0</Writable>"
	"</ParameterInfoStruct><ParameterInfoStruct><Name>InternetGatewayDevice.X_CASCADE_CPUOccupancy</Name>"
	"<Writable>0</Writable></ParameterInfoStruct></ParameterList></cwmp:GetParameterNamesResponse>" TAIL;
static const char cascade_response[] =
	HEAD "<cwmp:GetParameterValuesResponse><ParameterList>"
	"<ParameterValueStruct><Name>InternetGatewayDevice.X_CASCADE_FileServer.Enable</Name><Value>1</Value>"
	"</ParameterValueStruct><ParameterValueStruct><Name>InternetGatewayDevice.X_CASCADE_FileServer.URL</Name>"
	"<Value>http://192.0.2.7:8080</Value></ParameterValueStruct></ParameterList>"
	"</cwmp:GetParameterValuesResponse>" TAIL;
static const char fault_9005[] =
	HEAD "<soap:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault>"
	"<FaultCode>9005</FaultCode><FaultString>Invalid parameter name</FaultString></cwmp:Fault></detail>"
	"</soap:Fault>" TAIL;
/* soap: bound to nothing, as some devices write their faults */
static const char sloppy_fault[] =
	"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"><SOAP-ENV:Body>"
	"<soap:Fault><faultcode>Client</faultcode><detail><cwmp:Fault><FaultCode>9005</FaultCode></cwmp:Fault>"
	"</detail></soap:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";

static struct device *device(struct probe_fixture *fixture)
{
	return device_find(&fixture->controller, KEY);
}

static void probe_answered(void **state)
{
	struct probe_fixture *fixture = *state;

	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.SoftwareVersion</string>"));
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.ProcessStatus.CPUUsage</string>"));
	assert_false(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.</string>")); /* no partial path */
	assert_int_equal(post(fixture, values_response), 200);
	assert_true(reply_has(fixture, "<ParameterPath>InternetGatewayDevice.</ParameterPath>"));
	assert_int_equal(post(fixture, names_response), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.X_CASCADE_FileServer.URL</string>"));
	assert_true(reply_has(fixture, "InternetGatewayDevice.X_CASCADE_CPUOccupancy</string>"));
	assert_false(reply_has(fixture, "X_CASCADE_FileServer.</string>"));
	assert_int_equal(post(fixture, cascade_response), 204);
	assert_true(device(fixture)->attributes_probed);
	assert_string_equal(device(fixture)->software_version, "3.1");
	assert_int_equal(device(fixture)->cpu_occupancy, 1200);
	assert_string_equal(device(fixture)->file_server_url, "http://192.0.2.7:8080");
	/* not probed again */
	inform(fixture, "2 PERIODIC", true);
	assert_int_equal(post(fixture, ""), 204);
}

static void probe_faulted(void **state)
{
	struct probe_fixture *fixture = *state;
	uint64_t now = realtime_seconds();

	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 200);
	/* a fault: the mandatory leaves alone */
	assert_int_equal(post(fixture, fault_9005), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.HardwareVersion</string>"));
	assert_false(reply_has(fixture, "CPUUsage"));
	/* faulted again: the probe failed, the session goes on to the rest (nothing) */
	assert_int_equal(post(fixture, fault_9005), 204);
	assert_false(device(fixture)->attributes_probed);
	assert_int_equal(device(fixture)->probe_failures, 1);
	assert_true(device(fixture)->probe_retry_at >= now + 900 && device(fixture)->probe_retry_at <= now + 901);
	/* the next sessions do not ask again */
	inform(fixture, "2 PERIODIC", true);
	assert_int_equal(post(fixture, ""), 204);
	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 204);
	/* once the back-off has passed, it is asked again; answering the
	 * mandatory leaves is enough */
	device(fixture)->probe_retry_at = 0;
	inform(fixture, "2 PERIODIC", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_int_equal(post(fixture, fault_9005), 200);
	assert_int_equal(post(fixture, values_response), 200);
	assert_int_equal(post(fixture, fault_9005), 204); /* GetParameterNames faulted: done with what was read */
	assert_true(device(fixture)->attributes_probed);
	assert_int_equal(device(fixture)->probe_failures, 0);
}

static void probe_dropped(void **state)
{
	struct probe_fixture *fixture = *state;
	uint64_t now = realtime_seconds();

	/* the device drops the connection and comes back with a new Inform */
	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_true(reply_has(fixture, "GetParameterValues"));
	inform(fixture, "1 BOOT", true);
	assert_int_equal(device(fixture)->probe_failures, 1);
	assert_int_equal(post(fixture, ""), 204); /* not probed in this session */
	assert_false(device(fixture)->attributes_probed);
	/* dropped again (the session times out): the back-off doubles */
	device(fixture)->probe_retry_at = 0;
	fixture->controller.config.session_timeout_ms = 1;
	inform(fixture, "1 BOOT", true);
	assert_int_equal(post(fixture, ""), 200);
	usleep(5000);
	sessions_expire(&fixture->controller);
	assert_int_equal(device(fixture)->probe_failures, 2);
	assert_true(device(fixture)->probe_retry_at >= now + 1800 && device(fixture)->probe_retry_at <= now + 1802);
	assert_int_equal(fixture->controller.open_sessions, 0);
}

static void partial_style(void **state)
{
	struct probe_fixture *fixture = *state;

	fixture->controller.config.probe_style = ACS_PROBE_PARTIAL;
	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.</string>"));
	/* faulted: the leaves, with the optional ones, then the mandatory ones */
	assert_int_equal(post(fixture, fault_9005), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.ProcessStatus.CPUUsage</string>"));
	assert_int_equal(post(fixture, fault_9005), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.SoftwareVersion</string>"));
	assert_false(reply_has(fixture, "CPUUsage"));
	fixture->controller.config.probe_style = ACS_PROBE_OFF;
	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 204);
}

static void unusable_replies_end_the_request(void **state)
{
	struct probe_fixture *fixture = *state;

	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 200);
	/* not XML at all: a fault of the GetParameterValues, not an HTTP 500 */
	assert_int_equal(post(fixture, "<html>oops"), 200);
	assert_true(device(fixture)->reply_warned);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.HardwareVersion</string>"));
	/* a fault with an undeclared soap: prefix is read as the fault it is */
	assert_int_equal(post(fixture, sloppy_fault), 204);
	assert_int_equal(device(fixture)->last_fault_code, 9005);
	assert_int_equal(device(fixture)->probe_failures, 1);
	/* the wrong response to a request counts as a fault too */
	device(fixture)->probe_retry_at = 0;
	inform(fixture, "2 PERIODIC", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_int_equal(post(fixture, names_response), 200);
	assert_true(reply_has(fixture, "InternetGatewayDevice.DeviceInfo.HardwareVersion</string>"));
	/* outside a session, garbage still gets a CWMP fault */
	fixture->cookie[0] = '\0';
	session_release(&fixture->controller, fixture->connection);
	fixture->connection = NULL;
	assert_int_equal(post(fixture, "<html>oops"), 500);
}

static void dropped_download_is_sent_again(void **state)
{
	struct probe_fixture *fixture = *state;
	struct campaign_request request = { "fw.bin", "http://origin/fw.bin",
					    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
					    1000, CAMPAIGN_MODE_URL, 8, 0, NULL, NULL, NULL };
	struct store_batch *batch = store_batch_new();
	struct campaign *campaign;
	char error[128];

	fixture->controller.config.probe_style = ACS_PROBE_OFF;
	inform(fixture, "0 BOOTSTRAP", true);
	assert_int_equal(post(fixture, ""), 204);
	assert_int_equal(campaign_start(&fixture->controller, &request, batch, &campaign, error, sizeof(error)), 0);
	store_batch_free(batch);
	inform(fixture, "6 CONNECTION REQUEST", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_true(reply_has(fixture, "<cwmp:Download>"));
	/* the device vanishes before answering, and calls in again */
	inform(fixture, "1 BOOT", true);
	assert_int_equal(post(fixture, ""), 200);
	assert_true(reply_has(fixture, "<cwmp:Download>"));
	assert_true(reply_has(fixture, "cascade-c1-d1-a1-s0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(probe_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_faulted, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(partial_style, setup, teardown),
		cmocka_unit_test_setup_teardown(unusable_replies_end_the_request, setup, teardown),
		cmocka_unit_test_setup_teardown(dropped_download_is_sent_again, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
