/* Unit tests for the lenient fault decoder: the SOAP Fault shapes devices
 * in the field send - the envelope namespace under any prefix or as the
 * default namespace, an undeclared soap: / SOAP-ENV: / cwmp: prefix, the
 * cwmp Fault in an unknown cwmp namespace or in none, a cwmp:Fault straight
 * in the Body, FaultCode without a detail - each read as the CWMP fault it
 * carries; and what stays refused (no fault code at all, a root that is no
 * envelope). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "cwmp/cwmp.h"

#define SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"

struct shape {
	const char *what;
	const char *xml;
	unsigned int code;
	const char *string;
	enum cwmp_version version;
};

static const struct shape shapes[] = {
	{ "standard",
	  "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" SOAP_NS "\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><SOAP-ENV:Body>"
	  "<SOAP-ENV:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault>"
	  "<FaultCode>9005</FaultCode><FaultString>Invalid parameter name</FaultString></cwmp:Fault></detail>"
	  "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
	  9005, "Invalid parameter name", CWMP_VERSION_1_0 },
	{ "envelope namespace bound to an unusual prefix",
	  "<e:Envelope xmlns:e=\"" SOAP_NS "\" xmlns:c=\"urn:dslforum-org:cwmp-1-2\"><e:Body><e:Fault>"
	  "<faultcode>Server</faultcode><detail><c:Fault><c:FaultCode>9002</c:FaultCode>"
	  "<c:FaultString>Internal error</c:FaultString></c:Fault></detail></e:Fault></e:Body></e:Envelope>",
	  9002, "Internal error", CWMP_VERSION_1_2 },
	{ "envelope namespace as the default namespace",
	  "<Envelope xmlns=\"" SOAP_NS "\"><Body><Fault><faultcode>Client</faultcode><detail>"
	  "<Fault xmlns=\"urn:dslforum-org:cwmp-1-1\"><FaultCode>9003</FaultCode></Fault></detail></Fault></Body>"
	  "</Envelope>",
	  9003, "", CWMP_VERSION_1_1 },
	{ "undeclared soap: prefix on the Fault",
	  "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" SOAP_NS "\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">"
	  "<SOAP-ENV:Header><cwmp:ID SOAP-ENV:mustUnderstand=\"1\">7</cwmp:ID></SOAP-ENV:Header><SOAP-ENV:Body>"
	  "<soap:Fault><faultcode>Client</faultcode><faultstring>CWMP fault</faultstring><detail><cwmp:Fault>"
	  "<FaultCode>9003</FaultCode><FaultString>Invalid arguments</FaultString></cwmp:Fault></detail></soap:Fault>"
	  "</SOAP-ENV:Body></SOAP-ENV:Envelope>",
	  9003, "Invalid arguments", CWMP_VERSION_1_0 },
	{ "nothing declared at all (SOAP-ENV: and cwmp: unbound)",
	  "<SOAP-ENV:Envelope><SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>Client</faultcode><detail><cwmp:Fault>"
	  "<cwmp:FaultCode>9005</cwmp:FaultCode><cwmp:FaultString>Invalid parameter name</cwmp:FaultString>"
	  "</cwmp:Fault></detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>",
	  9005, "Invalid parameter name", CWMP_VERSION_1_0 },
	{ "cwmp fault and header in a newer cwmp namespace",
	  "<soapenv:Envelope xmlns:soapenv=\"" SOAP_NS "\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-4\"><soapenv:Header>"
	  "<cwmp:ID soapenv:mustUnderstand=\"1\">x</cwmp:ID></soapenv:Header><soapenv:Body><soapenv:Fault>"
	  "<faultcode>Client</faultcode><detail><cwmp:Fault><FaultCode>9010</FaultCode>"
	  "<FaultString>Download failure</FaultString></cwmp:Fault></detail></soapenv:Fault></soapenv:Body>"
	  "</soapenv:Envelope>",
	  9010, "Download failure", CWMP_VERSION_1_0 },
	{ "cwmp:Fault straight in the Body",
	  "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" SOAP_NS "\" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-2\"><SOAP-ENV:Body>"
	  "<cwmp:Fault><FaultCode>9005</FaultCode><FaultString>bad name</FaultString></cwmp:Fault>"
	  "</SOAP-ENV:Body></SOAP-ENV:Envelope>",
	  9005, "bad name", CWMP_VERSION_1_2 },
	{ "FaultCode without a detail",
	  "<soap:Envelope xmlns:soap=\"" SOAP_NS "\"><soap:Body><soap:Fault><faultcode>Client</faultcode>"
	  "<FaultCode>9003</FaultCode><FaultString>Invalid arguments</FaultString></soap:Fault></soap:Body>"
	  "</soap:Envelope>",
	  9003, "Invalid arguments", CWMP_VERSION_1_0 },
};

static void each_shape_reads_as_its_fault(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct cwmp_message *message = NULL;
		struct cwmp_error error;
		int result = cwmp_decode(shapes[i].xml, strlen(shapes[i].xml), NULL, &message, &error);

		if (result != 0)
			fail_msg("%s: %d (%s)", shapes[i].what, result, error.message);
		if (message->type != CWMP_FAULT || message->body.fault.code != shapes[i].code ||
		    strcmp(message->body.fault.string, shapes[i].string) != 0 || message->version != shapes[i].version)
			fail_msg("%s: type %d code %u string \"%s\" version %d", shapes[i].what, message->type,
				 message->body.fault.code, message->body.fault.string, message->version);
		cwmp_message_free(message);
	}
}

static void unbound_prefixes_elsewhere(void **state)
{
	static const char response[] =
		"<soap:Envelope><soap:Body><cwmp:GetParameterValuesResponse xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">"
		"<ParameterList><ParameterValueStruct><Name>Device.A</Name><Value>1</Value></ParameterValueStruct>"
		"</ParameterList></cwmp:GetParameterValuesResponse></soap:Body></soap:Envelope>";
	struct cwmp_message *message = NULL;

	(void)state;
	/* an undeclared envelope prefix around a well-declared response */
	assert_int_equal(cwmp_decode(response, strlen(response), NULL, &message, NULL), 0);
	assert_int_equal(message->type, CWMP_GET_PARAMETER_VALUES_RESPONSE);
	assert_int_equal(message->body.get_parameter_values_response.parameter_count, 1);
	cwmp_message_free(message);
}

static void what_stays_refused(void **state)
{
	static const char *const refused[] = {
		/* a fault that carries no CWMP fault code */
		"<soap:Envelope xmlns:soap=\"" SOAP_NS "\"><soap:Body><soap:Fault><faultcode>Server</faultcode>"
		"<faultstring>oops</faultstring></soap:Fault></soap:Body></soap:Envelope>",
		/* an undeclared prefix that is no envelope convention */
		"<foo:Envelope><foo:Body><foo:Fault><detail><Fault><FaultCode>9000</FaultCode></Fault></detail>"
		"</foo:Fault></foo:Body></foo:Envelope>",
		/* a fault code that is no number */
		"<soap:Envelope xmlns:soap=\"" SOAP_NS "\"><soap:Body><soap:Fault><detail><Fault><FaultCode>x</FaultCode>"
		"</Fault></detail></soap:Fault></soap:Body></soap:Envelope>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct cwmp_message *message = (void *)1;
		struct cwmp_error error;

		assert_int_equal(cwmp_decode(refused[i], strlen(refused[i]), NULL, &message, &error), -EINVAL);
		assert_null(message);
		assert_int_equal(error.acs_fault_code, 8003);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_shape_reads_as_its_fault),
		cmocka_unit_test(unbound_prefixes_elsewhere),
		cmocka_unit_test(what_stays_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
