# Installing cascade (included by the top-level Makefile).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]
#       the daemons and the meters' tool in $(SBINDIR) (cascade-acs,
#       cascade-master, cascade-cpe, cascade-meter), cascadectl in $(BINDIR),
#       their man pages (written at build time by each binary's --man, so they
#       never drift from what it accepts), example configs in /etc/cascade
#       (from --example-config: every key commented; an existing file is never
#       overwritten), the systemd units and the sysusers.d entry of the user
#       cascade
#   make install-tools     the test tools (cascade-swarm, cascade-load,
#                          cascade-meter-traffic) and their man pages
#   make uninstall         removes all of that but configs an operator changed
#   make deb               $(BUILD)/cascade_VERSION-1_ARCH.deb (packaging/deb/build)

BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
MANDIR      ?= $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

INSTALL_SBIN  := cascade-acs cascade-master cascade-cpe cascade-meter
INSTALL_BIN   := cascadectl
INSTALL_TOOLS := cascade-swarm cascade-load cascade-meter-traffic
# The man section of each binary (its --man says the same in .TH).
MAN_PAGES_8   := $(INSTALL_SBIN:%=$(BUILD)/man/%.8)
MAN_PAGES_1   := $(INSTALL_BIN:%=$(BUILD)/man/%.1)
MAN_PAGES_TOOLS := $(INSTALL_TOOLS:%=$(BUILD)/man/%.1)
MAN_PAGES     := $(MAN_PAGES_8) $(MAN_PAGES_1) $(MAN_PAGES_TOOLS)
# /etc/cascade/NAME.ini: the package's layout lines (packaging/config/NAME.ini.head)
# and the example config of the binary that reads it.
CONFIGS       := acs.ini origin.ini master.ini cpe.ini
CONFIG_BINARY_acs.ini    := cascade-acs
CONFIG_BINARY_origin.ini := cascade-master
CONFIG_BINARY_master.ini := cascade-master
CONFIG_BINARY_cpe.ini    := cascade-cpe
CONFIG_FILES  := $(CONFIGS:%=$(BUILD)/etc/cascade/%)
UNITS         := cascade-acs.service cascade-origin.service cascade-master@.service cascade-cpe.service

.PHONY: install install-tools uninstall deb man

$(BUILD)/man/%.8: $(BUILD)/bin/%
	@mkdir -p $(@D)
	$< --man > $@.tmp
	mv $@.tmp $@

$(BUILD)/man/%.1: $(BUILD)/bin/%
	@mkdir -p $(@D)
	$< --man > $@.tmp
	mv $@.tmp $@

define config_rule
$(BUILD)/etc/cascade/$(1): packaging/config/$(1).head $(BUILD)/bin/$(CONFIG_BINARY_$(1))
	@mkdir -p $$(@D)
	{ cat $$<; echo; $(BUILD)/bin/$(CONFIG_BINARY_$(1)) --example-config; } > $$@.tmp
	mv $$@.tmp $$@
endef
$(foreach config,$(CONFIGS),$(eval $(call config_rule,$(config))))

man: $(MAN_PAGES)
all: $(MAN_PAGES) $(CONFIG_FILES)

# Units name the binaries and configs where this install puts them.
UNIT_SUBSTITUTIONS := -e 's|@sbindir@|$(SBINDIR)|g' -e 's|@sysconfdir@|$(SYSCONFDIR)|g'

install: $(INSTALL_SBIN:%=$(BUILD)/bin/%) $(INSTALL_BIN:%=$(BUILD)/bin/%) $(MAN_PAGES_8) $(MAN_PAGES_1) $(CONFIG_FILES)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/cascade $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(INSTALL_SBIN:%=$(BUILD)/bin/%) $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(INSTALL_BIN:%=$(BUILD)/bin/%) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN_PAGES_8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN_PAGES_1) $(DESTDIR)$(MANDIR)/man1/
	for config in $(CONFIGS); do \
		target=$(DESTDIR)$(SYSCONFDIR)/cascade/$$config; \
		if [ -e $$target ]; then echo "keeping $$target"; \
		else install -m 0644 $(BUILD)/etc/cascade/$$config $$target || exit 1; fi; \
	done
	for unit in $(UNITS); do \
		sed $(UNIT_SUBSTITUTIONS) packaging/systemd/$$unit.in > $(DESTDIR)$(UNITDIR)/$$unit.tmp && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit.tmp && \
		mv $(DESTDIR)$(UNITDIR)/$$unit.tmp $(DESTDIR)$(UNITDIR)/$$unit || exit 1; \
	done
	install -m 0644 packaging/sysusers/cascade.conf $(DESTDIR)$(SYSUSERSDIR)/cascade.conf

install-tools: $(INSTALL_TOOLS:%=$(BUILD)/bin/%) $(MAN_PAGES_TOOLS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(INSTALL_TOOLS:%=$(BUILD)/bin/%) $(DESTDIR)$(BINDIR)/
	install -m 0644 $(MAN_PAGES_TOOLS) $(DESTDIR)$(MANDIR)/man1/

# A config is removed only when it is still the one installed (compared
# with this build's); one an operator changed stays, and so does its folder.
uninstall:
	rm -f $(INSTALL_SBIN:%=$(DESTDIR)$(SBINDIR)/%) $(INSTALL_BIN:%=$(DESTDIR)$(BINDIR)/%) \
		$(INSTALL_TOOLS:%=$(DESTDIR)$(BINDIR)/%) $(INSTALL_SBIN:%=$(DESTDIR)$(MANDIR)/man8/%.8) \
		$(INSTALL_BIN:%=$(DESTDIR)$(MANDIR)/man1/%.1) $(INSTALL_TOOLS:%=$(DESTDIR)$(MANDIR)/man1/%.1) \
		$(UNITS:%=$(DESTDIR)$(UNITDIR)/%) $(DESTDIR)$(SYSUSERSDIR)/cascade.conf
	for config in $(CONFIGS); do \
		target=$(DESTDIR)$(SYSCONFDIR)/cascade/$$config; \
		if [ -e $$target ] && ! cmp -s $$target $(BUILD)/etc/cascade/$$config; then echo "keeping $$target (changed)"; \
		else rm -f $$target; fi; \
	done
	-rmdir $(DESTDIR)$(SYSCONFDIR)/cascade 2>/dev/null

DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB      := $(BUILD)/cascade_$(VERSION)-1_$(DEB_ARCH).deb

DEB_STAGE := $(BUILD)/deb/debian/cascade

# The package installs as Debian lays a system out: /usr, units in /lib.
deb: $(DEB)
$(DEB): $(INSTALL_SBIN:%=$(BUILD)/bin/%) $(INSTALL_BIN:%=$(BUILD)/bin/%) $(MAN_PAGES_8) $(MAN_PAGES_1) \
	$(CONFIG_FILES) $(wildcard packaging/*/* packaging/install.mk) VERSION
	rm -rf $(BUILD)/deb
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_STAGE)) PREFIX=/usr UNITDIR=/lib/systemd/system \
		SYSUSERSDIR=/usr/lib/sysusers.d
	packaging/deb/build $(DEB_STAGE) $(VERSION) $@
