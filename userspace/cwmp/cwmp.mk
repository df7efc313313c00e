# CWMP (TR-069) SOAP codec: bytes <-> structs, shared by acs, cpe and swarm.
COMPONENTS  += cwmp
cwmp_DIR    := userspace/cwmp
cwmp_USES   := common
cwmp_LDLIBS := -lxml2
# libxml2's headers live in their own folder; every part including cwmp/ needs them.
ALL_CFLAGS  += $(shell pkg-config --cflags libxml-2.0)
