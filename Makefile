# SPDX-License-Identifier: GPL-2.0
#
# pfnmap: `make` builds build/pfnmap (and build/pfnmap-top, the same
# program), `make STATIC=1` a self-contained static one, `make V=1` shows
# the commands.  `make test` runs every test (see scripts/test-all.sh).
# `make install` (PREFIX, DESTDIR), `make deb`: see packaging/Makefile.inc.
# `make SANITIZE=1`: the CLI under ASan + UBSan (any report aborts it), in
# build/asan (the same BPF object; the workload is not instrumented).

ifeq ($(SANITIZE),1)
ifeq ($(STATIC),1)
$(error SANITIZE=1 and STATIC=1 do not go together)
endif
OUTPUT		?= build/asan
# gcc's -Walloc-size-larger-than sees ranges the sanitizers' checks make
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer -Wno-alloc-size-larger-than
CFLAGS		?= -g -O1
endif
OUTPUT		?= build
CLANG		?= clang
BPFTOOL		?= bpftool
LLVM_STRIP	?= llvm-strip
CC		?= gcc
ARCH		:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CFLAGS		?= -g -O2
WARNINGS	:= -Wall -Wextra -Wno-missing-field-initializers -Werror
CFLAGS		+= -std=gnu11 $(WARNINGS)
CPPFLAGS	+= -DPFNMAP_VERSION='"$(VERSION)"'
LDLIBS		:= -lbpf -lelf -lz -lzstd -lm -lncursesw -ltinfo

# vmlinux.h is per architecture: say so instead of failing in clang.
VMLINUX_H	:= vmlinux/$(ARCH)/vmlinux.h
ifeq ($(wildcard $(VMLINUX_H)),)
$(error no $(VMLINUX_H): pfnmap has no vmlinux.h for $(ARCH); make one with 'bpftool btf dump file /sys/kernel/btf/vmlinux format c')
endif
BPF_CFLAGS	:= -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
		   -Ivmlinux/$(ARCH) -Iinclude -Ibpf

ifeq ($(STATIC),1)
LDFLAGS		+= -static
endif
CFLAGS		+= $(SAN_FLAGS)
UNIT_EXTRA_CFLAGS += $(SAN_FLAGS)

ifeq ($(V),1)
Q		=
msg		=
else
Q		= @
msg		= @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# The layers, bottom up.  Each is compiled with the include paths of the
# layers below it only, so a reach upwards fails to build:
#   src/lib	pure code, no libbpf: registry, records, aggregation, stats,
#		JSON, captures, diff (a static library: the CLI, the unit
#		tests and the fuzzers link it)
#   src/view	text and JSON formatting, exports
#   src/loader	libbpf: probing, targets, session (the only users of the
#		skeleton)
#   src/cmd	the commands
LIB_INC		:= -Iinclude -Isrc/lib
VIEW_INC	:= $(LIB_INC) -Isrc/view
LOADER_INC	:= $(LIB_INC) -Isrc/loader -I$(OUTPUT)
CMD_INC		:= $(VIEW_INC) -Isrc/loader -Isrc/cmd

LIB_SRCS	:= $(wildcard src/lib/*.c)
VIEW_SRCS	:= $(wildcard src/view/*.c)
LOADER_SRCS	:= $(wildcard src/loader/*.c)
CMD_SRCS	:= $(wildcard src/cmd/*.c src/cmd/*/*.c)
obj		= $(patsubst src/%.c,$(OUTPUT)/obj/%.o,$(1))
LIB_OBJS	:= $(call obj,$(LIB_SRCS))
VIEW_OBJS	:= $(call obj,$(VIEW_SRCS))
LOADER_OBJS	:= $(call obj,$(LOADER_SRCS))
CMD_OBJS	:= $(call obj,$(CMD_SRCS))
LIBPFNMAP	:= $(OUTPUT)/libpfnmap.a
REGISTRY	:= $(wildcard include/*.h include/*.def)
STRESS_SRCS	:= $(wildcard tests/workloads/*.c)

# One object, one skeleton: bpftool links the per-family files.
BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))

.PHONY: all clean test unit unit-build bench kernels vm-shell docs
all: $(OUTPUT)/pfnmap $(OUTPUT)/pfnmap-top $(OUTPUT)/pfnmap-stress

$(OUTPUT) $(OUTPUT)/tests $(OUTPUT)/bpf:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(REGISTRY) $(VMLINUX_H) | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/pfnmap.bpf.o: $(BPF_OBJS)
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $^
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/pfnmap.skel.h: $(OUTPUT)/pfnmap.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pfnmap_bpf > $@

$(OUTPUT)/obj/lib/%.o: src/lib/%.c $(wildcard src/lib/*.h) $(REGISTRY)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LIB_INC) -c $< -o $@

$(OUTPUT)/obj/view/%.o: src/view/%.c $(wildcard src/lib/*.h src/view/*.h) $(REGISTRY)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(VIEW_INC) -c $< -o $@

$(OUTPUT)/obj/loader/%.o: src/loader/%.c $(wildcard src/lib/*.h src/loader/*.h) $(REGISTRY) $(OUTPUT)/pfnmap.skel.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(LOADER_INC) -c $< -o $@

$(OUTPUT)/obj/cmd/%.o: src/cmd/%.c $(wildcard src/*/*.h src/cmd/*/*.h) $(REGISTRY)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) $(CMD_INC) -c $< -o $@

$(LIBPFNMAP): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/pfnmap: $(CMD_OBJS) $(LOADER_OBJS) $(VIEW_OBJS) $(LIBPFNMAP)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/pfnmap-top: $(OUTPUT)/pfnmap
	$(Q)ln -sf pfnmap $@

# The workload always links statically: it is copied into guest initramfs.
$(OUTPUT)/pfnmap-stress: $(STRESS_SRCS) $(wildcard tests/workloads/*.h) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) -static -O2 $(WARNINGS) -Iinclude -pthread $(STRESS_SRCS) -o $@

include tests/unit/Makefile.inc

UNIT_BINS	:= $(addprefix $(OUTPUT)/tests/,$(UNIT_TESTS))

$(OUTPUT)/tests/%: tests/unit/%.c $(wildcard src/*/*.h) $(REGISTRY) $(LIBPFNMAP) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(UNIT_CFLAGS) $(UNIT_EXTRA_CFLAGS) -o $@ $< $(UNIT_SRCS_$*) $(LIBPFNMAP) $(UNIT_LDLIBS)

# The unit tests' sources, as prerequisites.
.SECONDEXPANSION:
$(UNIT_BINS): $$(UNIT_SRCS_$$(@F))

unit-build: $(UNIT_BINS)

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do $$t; done

test:
	$(Q)scripts/test-all.sh

# pfnmap for SOAK_SECONDS at sustained load (tests/soak/soak.sh); not in
# `make test`.  Its files go to $(OUTPUT)/soak.
SOAK_SECONDS	?= 600
.PHONY: soak
soak: all
	$(Q)SOAK_SECONDS=$(SOAK_SECONDS) SOAK_OUT=$(OUTPUT)/soak \
		PFNMAP=$(OUTPUT)/pfnmap STRESS=$(OUTPUT)/pfnmap-stress \
		tests/soak/soak.sh

# docs/fields.md: its introduction, then the registry's tables.
docs: $(OUTPUT)/pfnmap
	$(Q){ sed '/^<!-- generated by/,$$d' docs/fields.md; \
	      $(OUTPUT)/pfnmap list --markdown; } > docs/fields.md.new
	$(Q)mv docs/fields.md.new docs/fields.md

# The guest kernels of the matrix, and a shell in one of them (K=7.3).
K		?= 7.3
kernels:
	$(Q)for k in 6.1 6.12 7.3; do tests/vm/fetch-kernel.sh $$k || exit 1; done

vm-shell: all
	$(Q)$(MAKE) -s OUTPUT=$(OUTPUT)/static STATIC=1 $(OUTPUT)/static/pfnmap
	$(Q)tests/vm/run-guest.sh -i -k $(K) -c 'exec sh' -- \
		$(OUTPUT)/static/pfnmap $(OUTPUT)/pfnmap-stress

# Fuzzing of the readers of foreign input, patch validation, benchmarks;
# man pages, completion, install, uninstall and the Debian package.
-include tests/fuzz/Makefile.inc
-include patches/Makefile.inc
-include bench/Makefile.inc
-include packaging/Makefile.inc

clean:
	$(Q)rm -rf $(OUTPUT)/pfnmap* $(OUTPUT)/obj $(OUTPUT)/bpf $(OUTPUT)/libpfnmap.a $(OUTPUT)/tests
