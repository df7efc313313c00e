/* The CWMP fault codes cascade-cpe answers with (TR-069 Table A.5), named
 * after what they mean here. docs/cpe.md explains when each is used. */
#ifndef CASCADE_CPE_FAULTS_H
#define CASCADE_CPE_FAULTS_H

#define FAULT_NONE                     0
#define FAULT_METHOD_NOT_SUPPORTED     9000
#define FAULT_REQUEST_DENIED           9001
#define FAULT_INTERNAL_ERROR           9002
#define FAULT_INVALID_ARGUMENTS        9003
#define FAULT_RESOURCES_EXCEEDED       9004
#define FAULT_INVALID_PARAMETER_NAME   9005
#define FAULT_INVALID_PARAMETER_TYPE   9006
#define FAULT_INVALID_PARAMETER_VALUE  9007
#define FAULT_NON_WRITABLE_PARAMETER   9008
#define FAULT_DOWNLOAD_FAILURE         9010
#define FAULT_FILE_SERVER_AUTH         9012
#define FAULT_UNSUPPORTED_PROTOCOL     9013
#define FAULT_CANNOT_CONTACT_SERVER    9015
#define FAULT_CANNOT_ACCESS_FILE       9016
#define FAULT_CANNOT_COMPLETE_DOWNLOAD 9017
#define FAULT_FILE_CORRUPTED           9018

#endif
