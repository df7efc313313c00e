# cascade-acs: the grouping controller and CWMP ACS (SOAP over HTTP, SQLite,
# campaigns, operator JSON API).
COMPONENTS  += acs
acs_DIR     := userspace/acs
acs_BIN     := cascade-acs
acs_USES    := cwmp common
acs_LDLIBS  := -lmicrohttpd -lsqlite3 -lcurl -ljansson
