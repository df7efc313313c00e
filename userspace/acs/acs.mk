# cascade-acs: the grouping controller and CWMP ACS (SOAP over HTTP, SQLite,
# campaigns, operator JSON API).
COMPONENTS  += acs
acs_DIR     := userspace/acs
acs_BIN     := cascade-acs
acs_USES    := cwmp common
acs_LDLIBS  := -lmicrohttpd -lsqlite3 -lcurl -ljansson

# The web console (userspace/acs/web/) is compiled into cascade-acs: embed.sh
# turns each file into a byte array in a generated C file, linked into
# libacs.a with the rest (the folder is a prerequisite too, so a removed file
# is noticed). No Node, no bundler, nothing fetched at run time.
ACS_WEB_FILES := $(sort $(wildcard userspace/acs/web/*.html userspace/acs/web/*.css userspace/acs/web/*.js \
                                   userspace/acs/web/*.svg))
$(BUILD)/gen/acs/web_assets.c: $(ACS_WEB_FILES) userspace/acs/web/embed.sh userspace/acs/web
	@mkdir -p $(@D)
	userspace/acs/web/embed.sh $(ACS_WEB_FILES) >$@.tmp
	mv $@.tmp $@
$(BUILD)/obj/gen/acs/web_assets.o: $(BUILD)/gen/acs/web_assets.c userspace/acs/web_assets.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/lib/libacs.a: $(BUILD)/obj/gen/acs/web_assets.o
