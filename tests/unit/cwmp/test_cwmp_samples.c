/* Unit tests for the CWMP codec on envelopes shaped like those real devices
 * and ACSs send: TR-098 (InternetGatewayDevice.) and TR-181 (Device.)
 * Informs, other prefixes, qualified children, whitespace, CDATA and
 * faults with SetParameterValuesFault entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cwmp/cwmp.h"

static struct cwmp_message *decode_ok(const char *text)
{
	struct cwmp_message *message = NULL;
	struct cwmp_error error;

	if (cwmp_decode(text, strlen(text), NULL, &message, &error) != 0)
		fail_msg("decode failed: %s", error.message);
	return message;
}

/* A TR-098 gateway's BOOTSTRAP Inform, laid out as in TR-069's examples. */
static const char tr098_inform[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"
	"  xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\"\n"
	"  xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"\n"
	"  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	"  xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">\n"
	"  <SOAP-ENV:Header>\n"
	"    <cwmp:ID SOAP-ENV:mustUnderstand=\"1\">1234</cwmp:ID>\n"
	"  </SOAP-ENV:Header>\n"
	"  <SOAP-ENV:Body>\n"
	"    <cwmp:Inform>\n"
	"      <DeviceId>\n"
	"        <Manufacturer>ACME Networks</Manufacturer>\n"
	"        <OUI>0012AB</OUI>\n"
	"        <ProductClass>IGD</ProductClass>\n"
	"        <SerialNumber>S123456</SerialNumber>\n"
	"      </DeviceId>\n"
	"      <Event SOAP-ENC:arrayType=\"cwmp:EventStruct[2]\">\n"
	"        <EventStruct><EventCode>0 BOOTSTRAP</EventCode><CommandKey></CommandKey></EventStruct>\n"
	"        <EventStruct><EventCode>1 BOOT</EventCode><CommandKey/></EventStruct>\n"
	"      </Event>\n"
	"      <MaxEnvelopes>1</MaxEnvelopes>\n"
	"      <CurrentTime>2026-11-25T08:00:00+01:00</CurrentTime>\n"
	"      <RetryCount>0</RetryCount>\n"
	"      <ParameterList SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[4]\">\n"
	"        <ParameterValueStruct><Name>InternetGatewayDevice.DeviceInfo.HardwareVersion</Name>"
	"<Value xsi:type=\"xsd:string\">HW-2</Value></ParameterValueStruct>\n"
	"        <ParameterValueStruct><Name>InternetGatewayDevice.DeviceInfo.SoftwareVersion</Name>"
	"<Value xsi:type=\"xsd:string\">4.0.1</Value></ParameterValueStruct>\n"
	"        <ParameterValueStruct><Name>InternetGatewayDevice.ManagementServer.ConnectionRequestURL</Name>"
	"<Value xsi:type=\"xsd:string\">http://192.0.2.7:30005/</Value></ParameterValueStruct>\n"
	"        <ParameterValueStruct><Name>InternetGatewayDevice.WANDevice.1.WANConnectionDevice.1."
	"WANIPConnection.1.ExternalIPAddress</Name><Value xsi:type=\"xsd:string\">192.0.2.7</Value>"
	"</ParameterValueStruct>\n"
	"      </ParameterList>\n"
	"    </cwmp:Inform>\n"
	"  </SOAP-ENV:Body>\n"
	"</SOAP-ENV:Envelope>\n";

static void test_tr098_inform(void **state)
{
	struct cwmp_message *message = decode_ok(tr098_inform);
	const struct cwmp_parameter_value *software;

	(void)state;
	assert_int_equal(message->version, CWMP_VERSION_1_0);
	assert_int_equal(message->type, CWMP_INFORM);
	assert_string_equal(message->id, "1234");
	assert_string_equal(message->body.inform.device_id.manufacturer, "ACME Networks");
	assert_string_equal(message->body.inform.device_id.product_class, "IGD");
	assert_int_equal(message->body.inform.event_count, 2);
	assert_string_equal(message->body.inform.events[1].command_key, "");
	assert_int_equal(message->body.inform.parameter_count, 4);
	software = cwmp_find_parameter_any_root(message->body.inform.parameters, 4, "DeviceInfo.SoftwareVersion");
	assert_non_null(software);
	assert_string_equal(software->value, "4.0.1");
	assert_null(cwmp_find_parameter_any_root(message->body.inform.parameters, 4, "DeviceInfo.Software"));
	cwmp_message_free(message);
}

/* A TR-181 device in cwmp-1-2 with other prefixes, qualified children, a
 * default namespace for the parameters and CDATA. */
static const char tr181_inform[] =
	"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\""
	" xmlns:c=\"urn:dslforum-org:cwmp-1-2\" xmlns:s=\"http://www.w3.org/2001/XMLSchema\""
	" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
	"<soap:Header><c:ID soap:mustUnderstand=\"true\">abc</c:ID><c:SessionTimeout>30</c:SessionTimeout></soap:Header>"
	"<soap:Body><c:Inform>"
	"<c:DeviceId><c:Manufacturer>Z</c:Manufacturer><c:OUI>A0B1C2</c:OUI>"
	"<c:ProductClass></c:ProductClass><c:SerialNumber>X-9</c:SerialNumber></c:DeviceId>"
	"<Event><EventStruct><EventCode>2 PERIODIC</EventCode></EventStruct></Event>"
	"<MaxEnvelopes> 1 </MaxEnvelopes><CurrentTime>2026-11-25T08:00:00Z</CurrentTime><RetryCount>2</RetryCount>"
	"<ParameterList xmlns=\"urn:dslforum-org:cwmp-1-2\">"
	"<ParameterValueStruct><Name>Device.X_CASCADE_CPUOccupancy</Name><Value i:type=\"s:unsignedInt\">731</Value></ParameterValueStruct>"
	"<ParameterValueStruct><Name>Device.DeviceInfo.Location</Name><Value><![CDATA[Lab <3>]]></Value></ParameterValueStruct>"
	"</ParameterList></c:Inform></soap:Body></soap:Envelope>";

static void test_tr181_inform_other_prefixes(void **state)
{
	struct cwmp_message *message = decode_ok(tr181_inform);

	(void)state;
	assert_int_equal(message->version, CWMP_VERSION_1_2);
	assert_string_equal(message->id, "abc");
	assert_string_equal(message->body.inform.device_id.product_class, "");
	assert_int_equal(message->body.inform.max_envelopes, 1);
	assert_int_equal(message->body.inform.retry_count, 2);
	assert_string_equal(message->body.inform.events[0].command_key, "");
	assert_string_equal(message->body.inform.parameters[0].type, "xsd:unsignedInt");
	assert_string_equal(message->body.inform.parameters[0].value, "731");
	assert_string_equal(message->body.inform.parameters[1].type, "xsd:string");
	assert_string_equal(message->body.inform.parameters[1].value, "Lab <3>");
	cwmp_message_free(message);
}

static const char spv_fault[] =
	"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
	" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-1\"><SOAP-ENV:Header><cwmp:ID SOAP-ENV:mustUnderstand=\"1\">77</cwmp:ID>"
	"</SOAP-ENV:Header><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>Client</faultcode>"
	"<faultstring>CWMP fault</faultstring><detail><cwmp:Fault><FaultCode>9003</FaultCode>"
	"<FaultString>Invalid arguments</FaultString><SetParameterValuesFault>"
	"<ParameterName>InternetGatewayDevice.Time.LocalTimeZone</ParameterName><FaultCode>9008</FaultCode>"
	"<FaultString>Attempt to set a non-writable parameter</FaultString></SetParameterValuesFault>"
	"</cwmp:Fault></detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>";

static void test_set_parameter_values_fault(void **state)
{
	struct cwmp_message *message = decode_ok(spv_fault);

	(void)state;
	assert_int_equal(message->type, CWMP_FAULT);
	assert_int_equal(message->version, CWMP_VERSION_1_1);
	assert_string_equal(message->id, "77");
	assert_int_equal(message->body.fault.code, 9003);
	assert_int_equal(message->body.fault.set_parameter_values_fault_count, 1);
	assert_int_equal(message->body.fault.set_parameter_values_faults[0].code, 9008);
	assert_string_equal(message->body.fault.set_parameter_values_faults[0].parameter_name,
			    "InternetGatewayDevice.Time.LocalTimeZone");
	cwmp_message_free(message);
}

/* An ACS's Download as GenieACS-style servers lay it out: no header, all
 * fields, boolean words. */
static const char download_request[] =
	"<?xml version=\"1.0\"?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
	" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><soapenv:Body><cwmp:Download>"
	"<CommandKey>k</CommandKey><FileType>1 Firmware Upgrade Image</FileType>"
	"<URL>http://origin:8081/images/fw.bin</URL><Username/><Password/><FileSize>1048576</FileSize>"
	"<TargetFileName>fw.bin</TargetFileName><DelaySeconds>0</DelaySeconds><SuccessURL/><FailureURL/>"
	"</cwmp:Download></soapenv:Body></soapenv:Envelope>";

static void test_download_without_header(void **state)
{
	struct cwmp_message *message = decode_ok(download_request);

	(void)state;
	assert_null(message->id);
	assert_int_equal(message->type, CWMP_DOWNLOAD);
	assert_true(message->body.download.file_size == 1048576);
	assert_string_equal(message->body.download.url, "http://origin:8081/images/fw.bin");
	cwmp_message_free(message);
}

static void test_hold_requests_header(void **state)
{
	const char *text =
		"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-1\">"
		"<s:Header><cwmp:ID s:mustUnderstand=\"1\">5</cwmp:ID><cwmp:HoldRequests s:mustUnderstand=\"1\">true"
		"</cwmp:HoldRequests><cwmp:NoMoreRequests>1</cwmp:NoMoreRequests></s:Header>"
		"<s:Body><cwmp:GetRPCMethods/></s:Body></s:Envelope>";
	struct cwmp_message *message = decode_ok(text);

	(void)state;
	assert_true(message->hold_requests);
	assert_true(message->no_more_requests);
	assert_int_equal(message->type, CWMP_GET_RPC_METHODS);
	cwmp_message_free(message);
}

static void test_time_format(void **state)
{
	char text[32];

	(void)state;
	cwmp_format_time(0, text, sizeof(text));
	assert_string_equal(text, "1970-01-01T00:00:00Z");
	cwmp_format_time(1795564800, text, sizeof(text));
	assert_string_equal(text, "2026-11-25T00:00:00Z");
	assert_string_equal(cwmp_fault_string(9010), "Download failure");
	assert_string_equal(cwmp_fault_string(8005), "Retry request");
	assert_string_equal(cwmp_message_type_name(CWMP_GET_PARAMETER_NAMES_RESPONSE), "GetParameterNamesResponse");
	assert_true(cwmp_message_is_response(CWMP_FAULT));
	assert_false(cwmp_message_is_response(CWMP_INFORM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tr098_inform),
		cmocka_unit_test(test_tr181_inform_other_prefixes),
		cmocka_unit_test(test_set_parameter_values_fault),
		cmocka_unit_test(test_download_without_header),
		cmocka_unit_test(test_hold_requests_header),
		cmocka_unit_test(test_time_format),
	};

	cwmp_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
