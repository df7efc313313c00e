# Top-level build of cascade: BPF objects and skeletons, every binary, tests.
#
# Each part describes itself in a small fragment (userspace/*/*.mk,
# tools/*/*.mk) that appends its name to COMPONENTS and sets:
#   NAME_DIR      source folder; every .c in it but main.c goes into libNAME.a
#   NAME_BIN      binary built from NAME_DIR/main.c into $(BUILD)/bin (optional)
#   NAME_USES     other components whose libraries it links, in link order
#   NAME_LDLIBS   system libraries it needs
# Unit tests in tests/unit/NAME/test_*.c link against libNAME.a and its uses.
#
# Targets: all (default), test, asan, bench, demo, fuzz, mutants, clean; install,
# install-tools, uninstall and deb in packaging/install.mk.
# make BUILD=dir SANITIZE=1 builds with ASan+UBSan into another folder.

BUILD    ?= build
PREFIX   ?= /usr/local
SANITIZE ?=
ifeq ($(origin CC),default)
CC       := gcc
endif
CLANG    ?= clang
BPFTOOL  ?= bpftool

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

CFLAGS_BASE := -std=gnu11 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
               -Iuserspace -Ibpf -I$(BUILD)/include -MMD -MP
ifeq ($(SANITIZE),1)
CFLAGS   ?= -O1 -fno-omit-frame-pointer
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
else
CFLAGS   ?= -O2
endif
ALL_CFLAGS := $(CFLAGS_BASE) $(CFLAGS)

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD)/include -Ibpf \
              -Wall -Werror -Wno-unused-function

COMPONENTS :=
include $(sort $(wildcard userspace/*/*.mk tools/*/*.mk))

.PHONY: all test unit-tests asan bench demo fuzz mutants clean deps
all:

# ---- BPF: vmlinux.h -> object -> skeleton --------------------------------
BPF_SOURCES   := $(wildcard bpf/*.bpf.c)
BPF_NAMES     := $(patsubst bpf/%.bpf.c,%,$(BPF_SOURCES))
BPF_OBJECTS   := $(BPF_NAMES:%=$(BUILD)/bpf/%.bpf.o)
BPF_SKELETONS := $(BPF_NAMES:%=$(BUILD)/include/%.skel.h)

$(BUILD)/include/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/include/vmlinux.h $(wildcard bpf/*.h)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o
	rm -f $@.tmp.o

$(BUILD)/include/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp
	mv $@.tmp $@

# ---- userspace components -------------------------------------------------
# component_rules(NAME): library, optional binary, unit tests.
define component_rules
$(1)_SOURCES := $$(filter-out $$($(1)_DIR)/main.c,$$(wildcard $$($(1)_DIR)/*.c))
$(1)_OBJECTS := $$($(1)_SOURCES:%.c=$(BUILD)/obj/%.o)
$(1)_LIBRARY := $(BUILD)/lib/lib$(1).a
$(1)_LINK    := $$($(1)_LIBRARY) $$(foreach used,$$($(1)_USES),$(BUILD)/lib/lib$$(used).a)
$(1)_ALL_LDLIBS := $$($(1)_LDLIBS) $$(foreach used,$$($(1)_USES),$$($$(used)_LDLIBS))

$$($(1)_LIBRARY): $$($(1)_OBJECTS)
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^

ifneq ($$($(1)_BIN),)
BINARIES += $(BUILD)/bin/$$($(1)_BIN)
$(BUILD)/bin/$$($(1)_BIN): $(BUILD)/obj/$$($(1)_DIR)/main.o $$($(1)_LINK)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -pthread -o $$@ $$^ $$($(1)_ALL_LDLIBS)
endif

$(1)_UNIT_SOURCES := $$(wildcard tests/unit/$(1)/test_*.c)
$(1)_UNIT_TESTS   := $$($(1)_UNIT_SOURCES:tests/unit/%.c=$(BUILD)/tests/unit/%)
UNIT_TESTS += $$($(1)_UNIT_TESTS)
$(BUILD)/tests/unit/$(1)/%: $(BUILD)/obj/tests/unit/$(1)/%.o $$($(1)_LINK)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -pthread -o $$@ $$^ $$($(1)_ALL_LDLIBS) -lcmocka
endef
BINARIES   :=
UNIT_TESTS :=
$(foreach component,$(COMPONENTS),$(eval $(call component_rules,$(component))))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The version every binary prints (--version, man pages, packages).
VERSION := $(shell cat VERSION)
$(BUILD)/obj/userspace/common/settings.o: ALL_CFLAGS += -DCASCADE_VERSION='"$(VERSION)"'
$(BUILD)/obj/userspace/common/settings.o: VERSION

# Only the sources that include a generated skeleton wait for the BPF
# pipeline (after the first build the .d files list the header anyway).
SKELETON_USERS := $(shell grep -rl --include='*.c' '\.skel\.h' userspace tools tests 2>/dev/null)
$(SKELETON_USERS:%.c=$(BUILD)/obj/%.o): | $(BPF_SKELETONS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

LIBRARIES := $(foreach component,$(COMPONENTS),$($(component)_LIBRARY))
.SECONDARY: $(BPF_OBJECTS)

all: $(BPF_SKELETONS) $(BPF_OBJECTS) $(LIBRARIES) $(BINARIES) $(UNIT_TESTS)
unit-tests: $(UNIT_TESTS)

# ---- the README's commands and friends -----------------------------------
deps:
	tools/install-deps

test: deps
	$(MAKE) all
	tests/run --build $(BUILD)

asan: deps
	$(MAKE) BUILD=build-asan SANITIZE=1 all
	tests/run --build build-asan

bench:
	tools/install-deps --bench
	$(MAKE) all
	tests/bench/run

demo: deps
	$(MAKE) all
	tools/demo/run

fuzz: deps
	tests/fuzz/run

mutants: deps
	tests/mutants/run

clean:
	rm -rf $(BUILD) build build-asan build-fuzz

# install, install-tools, uninstall, deb
include packaging/install.mk
