/* Unit tests for the CWMP codec on malformed, oversized and hostile input:
 * DOCTYPE, external entities and billion laughs, deep nesting, huge text,
 * too many entries, wrong namespaces, missing fields, bad numbers. Each
 * must fail with the right fault codes and never crash or leak. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cwmp/cwmp.h"

#define ENVELOPE_START                                                              \
	"<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"" \
	" xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><SOAP-ENV:Body>"
#define ENVELOPE_END "</SOAP-ENV:Body></SOAP-ENV:Envelope>"

static void expect_failure(const char *text, size_t length, int expected_result, unsigned int acs_fault,
			   unsigned int cpe_fault, const char *message_part)
{
	struct cwmp_message *message = (void *)1;
	struct cwmp_error error;
	int result;

	if (length == 0 && text[0])
		length = strlen(text);
	result = cwmp_decode(text, length, NULL, &message, &error);

	if (result != expected_result)
		fail_msg("expected %d, got %d (%s)", expected_result, result, error.message);
	assert_null(message);
	assert_int_equal(error.acs_fault_code, acs_fault);
	assert_int_equal(error.cpe_fault_code, cpe_fault);
	if (message_part && !strstr(error.message, message_part))
		fail_msg("error \"%s\" does not mention \"%s\"", error.message, message_part);
}

static void expect_invalid(const char *text, const char *message_part)
{
	expect_failure(text, strlen(text), -EINVAL, 8003, 9003, message_part);
}

static void test_doctype_and_entities(void **state)
{
	(void)state;
	expect_invalid("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
		       "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>" ENVELOPE_START
		       "<cwmp:GetRPCMethods>&lol2;</cwmp:GetRPCMethods>" ENVELOPE_END,
		       "DOCTYPE");
	expect_invalid("<!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" ENVELOPE_START
		       "<cwmp:Reboot><CommandKey>&xxe;</CommandKey></cwmp:Reboot>" ENVELOPE_END,
		       "DOCTYPE");
	/* an undeclared entity is not well-formed */
	expect_invalid(ENVELOPE_START "<cwmp:Reboot><CommandKey>&xxe;</CommandKey></cwmp:Reboot>" ENVELOPE_END,
		       "not well-formed");
	/* predefined and character entities are fine */
	{
		const char *text = ENVELOPE_START "<cwmp:Reboot><CommandKey>a&amp;b&#65;</CommandKey></cwmp:Reboot>" ENVELOPE_END;
		struct cwmp_message *message;

		assert_int_equal(cwmp_decode(text, strlen(text), NULL, &message, NULL), 0);
		assert_string_equal(message->body.reboot.command_key, "a&bA");
		cwmp_message_free(message);
	}
}

static void test_not_xml(void **state)
{
	static const char utf16[] = "\xff\xfe<\0?\0x\0m\0l\0";

	(void)state;
	expect_invalid("this is not xml", "not well-formed");
	expect_invalid("<a><b></a>", "not well-formed");
	expect_invalid(ENVELOPE_START "<cwmp:Reboot><CommandKey>x</CommandKey></cwmp:Reboot>", "not well-formed");
	expect_failure(utf16, sizeof(utf16) - 1, -EINVAL, 8003, 9003, NULL);
	expect_failure("", 0, -EINVAL, 8003, 9003, "empty");
	expect_failure("<a>\0</a>", 8, -EINVAL, 8003, 9003, NULL);
}

static void test_deep_nesting(void **state)
{
	char *text = malloc(200000);
	size_t used = 0;

	(void)state;
	used += (size_t)sprintf(text, ENVELOPE_START "<cwmp:Reboot><CommandKey>k</CommandKey>");
	for (int i = 0; i < 40; i++)
		used += (size_t)sprintf(text + used, "<x>");
	for (int i = 0; i < 40; i++)
		used += (size_t)sprintf(text + used, "</x>");
	sprintf(text + used, "</cwmp:Reboot>" ENVELOPE_END);
	expect_failure(text, strlen(text), -E2BIG, 8004, 9004, "deeper");

	/* the limit's edge: Envelope, Body, Reboot, CommandKey are four levels,
	 * decoded with max_depth 4 and refused with 3 */
	{
		static const char four[] = ENVELOPE_START "<cwmp:Reboot><CommandKey>k</CommandKey></cwmp:Reboot>"
			ENVELOPE_END;
		struct cwmp_limits limits;
		struct cwmp_message *message = NULL;
		struct cwmp_error error;

		cwmp_limits_default(&limits);
		limits.max_depth = 4;
		assert_int_equal(cwmp_decode(four, sizeof(four) - 1, &limits, &message, &error), 0);
		cwmp_message_free(message);
		limits.max_depth = 3;
		assert_int_equal(cwmp_decode(four, sizeof(four) - 1, &limits, &message, &error), -E2BIG);
		assert_int_equal(error.acs_fault_code, 8004);
	}

	/* far deeper than libxml2's own limit: still a clean error */
	used = (size_t)sprintf(text, ENVELOPE_START);
	for (int i = 0; i < 20000; i++)
		used += (size_t)sprintf(text + used, "<x>");
	expect_failure(text, used, -EINVAL, 8003, 9003, NULL);
	free(text);
}

static void test_huge_text_and_documents(void **state)
{
	size_t size = 2u << 20;
	char *text = malloc(size + 1024);
	size_t used;

	(void)state;
	/* one 40 KiB value: over the 32 KiB text cap */
	used = (size_t)sprintf(text, ENVELOPE_START "<cwmp:Reboot><CommandKey>");
	memset(text + used, 'a', 40 << 10);
	used += 40 << 10;
	sprintf(text + used, "</CommandKey></cwmp:Reboot>" ENVELOPE_END);
	expect_failure(text, strlen(text), -E2BIG, 8004, 9004, "longer than");

	/* 2 MiB document: over the 1 MiB cap, rejected before parsing */
	used = (size_t)sprintf(text, ENVELOPE_START "<cwmp:Reboot><CommandKey>");
	memset(text + used, 'a', size - used);
	expect_failure(text, size, -E2BIG, 8004, 9004, "limit");

	/* a tighter caller limit applies */
	{
		struct cwmp_limits limits;
		struct cwmp_message *message;
		struct cwmp_error error;
		const char *small = ENVELOPE_START "<cwmp:GetRPCMethods/>" ENVELOPE_END;

		cwmp_limits_default(&limits);
		limits.max_document_bytes = 20;
		assert_int_equal(cwmp_decode(small, strlen(small), &limits, &message, &error), -E2BIG);
		assert_int_equal(error.acs_fault_code, 8004);
	}
	free(text);
}

static void test_too_many_entries(void **state)
{
	char *text = malloc(1 << 20);
	size_t used = (size_t)sprintf(text, ENVELOPE_START "<cwmp:GetParameterValues><ParameterNames>");

	(void)state;
	for (int i = 0; i < 10001; i++)
		used += (size_t)sprintf(text + used, "<string>a</string>");
	sprintf(text + used, "</ParameterNames></cwmp:GetParameterValues>" ENVELOPE_END);
	expect_failure(text, strlen(text), -E2BIG, 8004, 9004, "entries");
	free(text);
}

static void test_namespaces(void **state)
{
	(void)state;
	expect_failure("<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
		       " xmlns:cwmp=\"urn:dslforum-org:cwmp-9-9\"><SOAP-ENV:Body><cwmp:GetRPCMethods/>" ENVELOPE_END,
		       0, -EPROTONOSUPPORT, 8006, 9003, "namespace");
	expect_failure("<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		       "<SOAP-ENV:Body><GetRPCMethods/>" ENVELOPE_END,
		       0, -EPROTONOSUPPORT, 8006, 9003, "namespace");
	expect_invalid("<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\"><Body/></Envelope>", "SOAP 1.1");
	expect_invalid("<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\"/>", "Body");
	expect_invalid(ENVELOPE_END, "not well-formed");
}

/* expect_failure computes the length itself when given 0. */
static void test_structure(void **state)
{
	(void)state;
	expect_invalid(ENVELOPE_START ENVELOPE_END, "Body is empty");
	expect_failure(ENVELOPE_START "<cwmp:GetRPCMethods/><cwmp:GetRPCMethods/>" ENVELOPE_END,
		       strlen(ENVELOPE_START "<cwmp:GetRPCMethods/><cwmp:GetRPCMethods/>" ENVELOPE_END), -E2BIG,
		       8004, 9004, "more than one");
	expect_failure(ENVELOPE_START "<cwmp:ScheduleInform/>" ENVELOPE_END,
		       strlen(ENVELOPE_START "<cwmp:ScheduleInform/>" ENVELOPE_END), -EOPNOTSUPP, 8000, 9000,
		       "ScheduleInform");
	expect_invalid("<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\""
		       " xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\"><SOAP-ENV:Header><x:Secret xmlns:x=\"urn:x\""
		       " SOAP-ENV:mustUnderstand=\"1\">1</x:Secret></SOAP-ENV:Header><SOAP-ENV:Body>"
		       "<cwmp:GetRPCMethods/>" ENVELOPE_END,
		       "must be understood");
}

static void test_missing_and_bad_fields(void **state)
{
	(void)state;
	expect_invalid(ENVELOPE_START "<cwmp:Inform><Event/><MaxEnvelopes>1</MaxEnvelopes>"
				      "<CurrentTime>t</CurrentTime><RetryCount>0</RetryCount></cwmp:Inform>" ENVELOPE_END,
		       "missing DeviceId");
	expect_invalid(ENVELOPE_START "<cwmp:Inform><DeviceId><Manufacturer>m</Manufacturer><OUI>1</OUI>"
				      "<ProductClass/></DeviceId><Event/><MaxEnvelopes>1</MaxEnvelopes>"
				      "<CurrentTime>t</CurrentTime><RetryCount>0</RetryCount></cwmp:Inform>" ENVELOPE_END,
		       "missing SerialNumber");
	expect_invalid(ENVELOPE_START "<cwmp:Inform><DeviceId><Manufacturer>m</Manufacturer><OUI></OUI>"
				      "<ProductClass/><SerialNumber>s</SerialNumber></DeviceId><Event/><MaxEnvelopes>1"
				      "</MaxEnvelopes><CurrentTime>t</CurrentTime><RetryCount>0</RetryCount></cwmp:Inform>"
				      ENVELOPE_END,
		       "non-empty OUI");
	expect_invalid(ENVELOPE_START "<cwmp:Inform><DeviceId><Manufacturer>m</Manufacturer><OUI>1</OUI>"
				      "<ProductClass/><SerialNumber>s</SerialNumber></DeviceId><Event/><MaxEnvelopes>-1"
				      "</MaxEnvelopes><CurrentTime>t</CurrentTime><RetryCount>0</RetryCount></cwmp:Inform>"
				      ENVELOPE_END,
		       "MaxEnvelopes");
	expect_invalid(ENVELOPE_START "<cwmp:Inform><DeviceId><Manufacturer>m</Manufacturer><OUI>1</OUI>"
				      "<ProductClass/><SerialNumber>s</SerialNumber></DeviceId><Event><Bogus/></Event>"
				      "<MaxEnvelopes>1</MaxEnvelopes><CurrentTime>t</CurrentTime><RetryCount>0</RetryCount>"
				      "</cwmp:Inform>" ENVELOPE_END,
		       "unexpected Bogus");
	expect_invalid(ENVELOPE_START "<cwmp:TransferComplete><CommandKey>k</CommandKey><FaultStruct>"
				      "<FaultCode>99999999999</FaultCode></FaultStruct></cwmp:TransferComplete>" ENVELOPE_END,
		       "out of range");
	expect_invalid(ENVELOPE_START "<cwmp:TransferComplete><CommandKey>k</CommandKey></cwmp:TransferComplete>"
				      ENVELOPE_END,
		       "FaultStruct");
	expect_invalid(ENVELOPE_START "<cwmp:Download><CommandKey>k</CommandKey><FileType>1 Firmware Upgrade Image"
				      "</FileType></cwmp:Download>" ENVELOPE_END,
		       "missing URL");
	expect_invalid(ENVELOPE_START "<cwmp:Download><CommandKey>k</CommandKey><FileType>1</FileType><URL>u</URL>"
				      "<FileSize>12x</FileSize></cwmp:Download>" ENVELOPE_END,
		       "FileSize");
	expect_invalid(ENVELOPE_START "<cwmp:DownloadResponse><Status>2</Status></cwmp:DownloadResponse>" ENVELOPE_END,
		       "Status");
	expect_invalid(ENVELOPE_START "<cwmp:GetParameterNames><ParameterPath>Device.</ParameterPath>"
				      "<NextLevel>maybe</NextLevel></cwmp:GetParameterNames>" ENVELOPE_END,
		       "boolean");
	expect_invalid(ENVELOPE_START "<cwmp:SetParameterValues><ParameterList><ParameterValueStruct><Name>a</Name>"
				      "</ParameterValueStruct></ParameterList></cwmp:SetParameterValues>" ENVELOPE_END,
		       "missing Value");
	expect_invalid(ENVELOPE_START "<SOAP-ENV:Fault><faultcode>Client</faultcode></SOAP-ENV:Fault>" ENVELOPE_END,
		       "detail");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doctype_and_entities),
		cmocka_unit_test(test_not_xml),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_huge_text_and_documents),
		cmocka_unit_test(test_too_many_entries),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_missing_and_bad_fields),
	};

	cwmp_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
