# SPDX-License-Identifier: GPL-2.0
#
# pfnmap: `make` builds build/pfnmap (and build/pfnmap-top, the same
# program), `make STATIC=1` a self-contained static one, `make V=1` shows
# the commands.  `make test` runs every test (see scripts/test-all.sh).

OUTPUT		?= build
CLANG		?= clang
BPFTOOL		?= bpftool
LLVM_STRIP	?= llvm-strip
CC		?= gcc
ARCH		:= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION		:= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

CFLAGS		?= -g -O2
CFLAGS		+= -std=gnu11 -Wall -Wextra -Wno-missing-field-initializers
CPPFLAGS	+= -Iinclude -Iuser -I$(OUTPUT) -DPFNMAP_VERSION='"$(VERSION)"'
LDLIBS		:= -lbpf -lelf -lz -lm -lncursesw -ltinfo
BPF_CFLAGS	:= -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) \
		   -Ivmlinux -Iinclude -Ibpf

ifeq ($(STATIC),1)
LDFLAGS		+= -static
endif

ifeq ($(V),1)
Q		=
msg		=
else
Q		= @
msg		= @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

USER_SRCS	:= $(wildcard user/*.c)
USER_OBJS	:= $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
STRESS_SRCS	:= $(wildcard tests/workloads/*.c)

.PHONY: all clean test unit unit-build bench kernels vm-shell
all: $(OUTPUT)/pfnmap $(OUTPUT)/pfnmap-top $(OUTPUT)/pfnmap-stress

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/pfnmap.bpf.o: bpf/pfnmap.bpf.c bpf/pfnmap_bpf.h include/pfnmap.h vmlinux/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/pfnmap.skel.h: $(OUTPUT)/pfnmap.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name pfnmap_bpf > $@

$(OUTPUT)/user/%.o: user/%.c $(wildcard user/*.h) include/pfnmap.h $(OUTPUT)/pfnmap.skel.h | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(CPPFLAGS) -c $< -o $@

$(OUTPUT)/pfnmap: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/pfnmap-top: $(OUTPUT)/pfnmap
	$(Q)ln -sf pfnmap $@

# The workload always links statically: it is copied into guest initramfs.
$(OUTPUT)/pfnmap-stress: $(STRESS_SRCS) $(wildcard tests/workloads/*.h) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) -static -O2 -Wall -Wextra -Werror -pthread $(STRESS_SRCS) -o $@

include tests/unit/Makefile.inc

UNIT_BINS	:= $(addprefix $(OUTPUT)/tests/,$(UNIT_TESTS))

$(OUTPUT)/tests/%: tests/unit/%.c $(wildcard user/*.h) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(UNIT_CFLAGS) $(UNIT_EXTRA_CFLAGS) -o $@ $< $(UNIT_SRCS_$*) $(UNIT_LDLIBS)

# The unit tests' sources, as prerequisites.
.SECONDEXPANSION:
$(UNIT_BINS): $$(UNIT_SRCS_$$(@F))

unit-build: $(UNIT_BINS)

unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do $$t; done

test:
	$(Q)scripts/test-all.sh

# The guest kernels of the matrix, and a shell in one of them (K=7.3).
K		?= 7.3
kernels:
	$(Q)for k in 6.1 6.12 7.3; do tests/vm/fetch-kernel.sh $$k || exit 1; done

vm-shell: all
	$(Q)$(MAKE) -s OUTPUT=$(OUTPUT)/static STATIC=1 $(OUTPUT)/static/pfnmap
	$(Q)tests/vm/run-guest.sh -i -k $(K) -c 'exec sh' -- \
		$(OUTPUT)/static/pfnmap $(OUTPUT)/pfnmap-stress

# Fuzzing of the capture reader, patch validation, benchmarks.
-include tests/fuzz/Makefile.inc
-include patches/Makefile.inc
-include bench/Makefile.inc

clean:
	$(Q)rm -rf $(OUTPUT)/pfnmap* $(OUTPUT)/user $(OUTPUT)/tests
