# cascade-cpe: the device agent (CWMP client over libcurl, connection-request
# listener over libmicrohttpd, resumable verified downloads, jansson state).
COMPONENTS  += cpe
cpe_DIR     := userspace/cpe
cpe_BIN     := cascade-cpe
cpe_USES    := cwmp meter common
cpe_LDLIBS  := -lcurl -lmicrohttpd -ljansson
