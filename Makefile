# SPDX-License-Identifier: MIT
# pvkit top-level Makefile. Configuration through Debian linux-kbuild-6.1's `conf`, a Kbuild-style
# object collector over per-folder Makefiles (obj-y, obj-$(CONFIG_...), subdir/), objects under
# $(O) (default build/), automatic header dependencies, and the run/check/bench entry points.
#
#   make            build build/pvkit.elf and build/pvkit.iso (default config on a fresh tree)
#   make run        install what is missing, build, boot natively under QEMU, then as a Xen DomU
#   make check      all tests; the last line is "N passed, M failed"
#   make bench      pvkit vs a Linux DomU on the Xen test host: table + $(O)/bench/results.json
#   make soak       the lifecycle soak at full size on the Xen test host (docs/suspend.md)
#   make install    PREFIX=/usr DESTDIR=...: libpvkit.a, headers, pvkit.pc (docs/library.md)
#   make docs       the API reference: Doxygen HTML of the public headers in $(O)/docs/html
#   make V=1        show full command lines

srctree := $(CURDIR)
O       ?= build
obj     := $(O)

MAKEFLAGS += --no-builtin-rules --no-builtin-variables
.SUFFIXES:
.DELETE_ON_ERROR:

# ---------------------------------------------------------------------------------------------
# Tools. CC may be gcc (default) or clang; the host compiler builds unit tests and fuzzers.
CC      ?= gcc
ifeq ($(origin CC),default)
CC      := gcc
endif
LD      ?= ld
ifeq ($(origin LD),default)
LD      := ld
endif
AR      ?= ar
ifeq ($(origin AR),default)
AR      := ar
endif
OBJCOPY ?= objcopy
OBJDUMP ?= objdump
HOSTCC  ?= gcc
PYTHON  ?= python3
INSTALL_DEPS ?= scripts/install-deps.sh
# Debian's python3-kconfiglib lives in the system interpreter's dist-packages.
MENUCONFIG_PYTHON ?= /usr/bin/python3
KCONFIG_CONF ?= /usr/lib/linux-kbuild-6.1/scripts/kconfig/conf
export CC LD HOSTCC srctree

ifeq ($(V),1)
Q :=
else
Q := @
endif
# $(call say,TAG,target): the one-line progress message, silent under V=1 (which shows commands).
say = $(if $(Q),@printf '  %-8s %s\n' '$(1)' '$(2)')

# ---------------------------------------------------------------------------------------------
# Targets that do not need a configuration (and must not create one). run, check and bench
# install the packages first (scripts/install-deps.sh) and then build in a make of their own:
# on a fresh machine nothing may look for the compiler or `conf` before the install.
no-config-targets := clean distclean help deps run check bench soak %defconfig savedefconfig \
                     olddefconfig menuconfig allyesconfig allnoconfig unit fuzz fuzz-long \
                     fuzz-list docs
need-config := 1
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(no-config-targets),$(MAKECMDGOALS)),)
need-config :=
endif
endif

.PHONY: all
all: $(obj)/pvkit.elf $(obj)/pvkit.iso

# ---------------------------------------------------------------------------------------------
# Kconfig. .config lives in $(obj); a fresh tree gets configs/defconfig without questions.
# Only syncconfig may write auto.conf and autoconf.h: the other modes create auto.conf "if it
# does not exist", which would make make believe the configuration was synced. They get
# scratch paths instead.
kconfig-base := KCONFIG_CONFIG=$(obj)/.config
conf := $(kconfig-base) \
        KCONFIG_AUTOCONFIG=$(obj)/include/config/.scratch-auto.conf \
        KCONFIG_AUTOHEADER=$(obj)/include/generated/.scratch-autoconf.h \
        KCONFIG_RUSTCCFG=$(obj)/include/generated/.scratch-rustc_cfg \
        $(KCONFIG_CONF)
syncconf := $(kconfig-base) \
        KCONFIG_AUTOCONFIG=$(obj)/include/config/auto.conf \
        KCONFIG_AUTOHEADER=$(obj)/include/generated/autoconf.h.tmp \
        KCONFIG_RUSTCCFG=$(obj)/include/generated/rustc_cfg \
        $(KCONFIG_CONF)

$(KCONFIG_CONF):
	@echo "error: $(KCONFIG_CONF) is missing: install Debian's linux-kbuild-6.1" >&2
	@echo "       (scripts/install-deps.sh does it)" >&2
	@exit 1

.PHONY: defconfig olddefconfig savedefconfig menuconfig allyesconfig allnoconfig
defconfig: | $(KCONFIG_CONF)
	$(Q)mkdir -p $(obj)
	$(Q)$(conf) --defconfig=configs/defconfig Kconfig

# make native_only_defconfig, make xen_only_defconfig, make allyes_defconfig: configs/<name>
%_defconfig: | $(KCONFIG_CONF)
	$(Q)test -f configs/$* || { echo "error: no configs/$*" >&2; exit 1; }
	$(Q)mkdir -p $(obj)
	$(Q)$(conf) --defconfig=configs/$* Kconfig

olddefconfig allyesconfig allnoconfig: | $(KCONFIG_CONF)
	$(Q)mkdir -p $(obj)
	$(Q)$(conf) --$@ Kconfig

savedefconfig: $(obj)/.config | $(KCONFIG_CONF)
	$(Q)$(conf) --savedefconfig=$(obj)/defconfig Kconfig
	@echo "wrote $(obj)/defconfig (copy it to configs/ to make it a default)"

menuconfig: | $(KCONFIG_CONF)
	$(Q)mkdir -p $(obj)
	$(Q)test -f $(obj)/.config || $(conf) --defconfig=configs/defconfig Kconfig
	$(Q)KCONFIG_CONFIG=$(obj)/.config $(MENUCONFIG_PYTHON) -m menuconfig Kconfig
	$(Q)$(conf) --olddefconfig Kconfig

$(obj)/.config: | $(KCONFIG_CONF)
	$(Q)mkdir -p $(obj)
	$(call say,DEFCONF,configs/defconfig)
	$(Q)$(conf) -s --defconfig=configs/defconfig Kconfig

# syncconfig rewrites autoconf.h on every run; replace it only when it changed, so that a config
# change that does not change the header rebuilds nothing.
$(obj)/include/config/auto.conf: $(obj)/.config | $(KCONFIG_CONF)
	$(call say,SYNCCONF,$@)
	$(Q)mkdir -p $(obj)/include/config $(obj)/include/generated
	$(Q)$(syncconf) -s --syncconfig Kconfig
	$(Q)cmp -s $(obj)/include/generated/autoconf.h.tmp $(obj)/include/generated/autoconf.h || \
	   cp $(obj)/include/generated/autoconf.h.tmp $(obj)/include/generated/autoconf.h
	$(Q)touch $@

# Also mends a tree where auto.conf exists but the header does not (an interrupted build).
$(obj)/include/generated/autoconf.h: $(obj)/include/config/auto.conf
	$(Q)test -f $@.tmp || $(syncconf) -s --syncconfig Kconfig
	$(Q)cmp -s $@.tmp $@ || cp $@.tmp $@

ifneq ($(need-config),)
-include $(obj)/include/config/auto.conf
# auto.conf.cmd lists the Kconfig files: editing one re-runs syncconfig.
-include $(obj)/include/config/auto.conf.cmd
endif

# ---------------------------------------------------------------------------------------------
# Xen public headers from Debian libxen-dev, copied into $(obj)/include/xen (never committed).
# Only the package's own files are taken: /usr/include/xen also holds Linux uapi headers.
xen-hdr-stamp := $(obj)/include/xen/.copied
libxen-list   := /var/lib/dpkg/info/libxen-dev.list
$(xen-hdr-stamp): $(wildcard $(libxen-list)) scripts/copy-xen-headers.sh
	$(call say,XENHDRS,$(obj)/include/xen)
	$(Q)scripts/copy-xen-headers.sh $(obj)/include/xen
	$(Q)touch $@

# ---------------------------------------------------------------------------------------------
# Flags (DESIGN.md §1). -nostdinc: the only system headers are gcc's freestanding ones.
XEN_INTERFACE_VERSION := 0x00040e00
ifneq ($(need-config),)
cc-include := $(shell $(CC) -print-file-name=include)
endif
KCPPFLAGS := -nostdinc -isystem $(cc-include) \
             -Iinclude -Iinclude/libc -I$(obj)/include -include $(obj)/include/generated/autoconf.h \
             -D__XEN_INTERFACE_VERSION__=$(XEN_INTERFACE_VERSION) -D__PVKIT_KERNEL__
# The code-generation flags every object linked with libpvkit must share (pvkit.pc gives them).
KABIFLAGS := -std=gnu11 -ffreestanding -fno-pic -fno-pie -mno-red-zone -mcmodel=kernel \
             -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
             -fno-common -fno-strict-aliasing -fno-omit-frame-pointer
KCFLAGS   := $(KABIFLAGS) -O2 \
             -Wall -Wextra -Wno-unused-parameter -Wmissing-prototypes -Wstrict-prototypes \
             -Wundef -Wvla -Wno-sign-compare
KAFLAGS   := -D__ASSEMBLY__ -fno-pic -fno-pie
ifeq ($(CONFIG_DEBUG_INFO),y)
KCFLAGS   += -g
KAFLAGS   += -g
endif
ifeq ($(CONFIG_WERROR),y)
KCFLAGS   += -Werror
endif
ifeq ($(CONFIG_UBSAN_TRAP),y)
KCFLAGS   += -fsanitize=undefined -fsanitize-undefined-trap-on-error
endif
# The library's version, read from its header (one place; pvkit.pc gets the same).
PVKIT_VERSION := $(shell sed -n 's/^\#define PVKIT_VERSION_[A-Z]*[[:space:]]*\([0-9][0-9]*\)$$/\1/p' \
                   include/pvkit/version.h | paste -sd.)
KLDFLAGS  := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments \
             --build-id=none

# A changed command line rebuilds everything that used it (checked at parse time: silent).
ifneq ($(need-config),)
flags-now := $(CC) $(KCPPFLAGS) $(KCFLAGS) | $(KAFLAGS) | $(LD) $(KLDFLAGS)
flags-old := $(file <$(obj)/.flags)
ifneq ($(flags-now),$(flags-old))
$(shell mkdir -p $(obj))
$(file >$(obj)/.flags,$(flags-now))
endif
endif

# ---------------------------------------------------------------------------------------------
# Kbuild-style object collection: each folder's Makefile adds to obj-y (files and subdir/).
# The link order is the order of the folders, then the order inside each Makefile.
# lib-dirs make build/libpvkit.a (docs/library.md); app-dirs are the reference kernel, an
# application on the library (init/: pvkit_main, serve mode; tests/guest: the self-tests).
lib-dirs  := arch/x86 paravirt xen-guest drivers/core drivers/native drivers/xen-front kernel lib
app-dirs  := init tests/guest
core-dirs := $(lib-dirs) $(app-dirs)

# $(call cc-option,<flag>): the flag if $(CC) takes it, else nothing (for CFLAGS_<file>.o).
cc-option = $(shell $(CC) -Werror $(1) -c -x c /dev/null -o /dev/null 2>/dev/null && echo $(1))

# A folder's Makefile may also set CFLAGS_<file>.o: extra flags for that one object.
# $(call include-dir,<folder>,<list>): the folder's objects go to <list>-objs (lib or app).
lib-objs :=
app-objs :=
define include-dir
obj-y :=
include $(1)/Makefile
$(2)-objs += $$(addprefix $(obj)/$(1)/,$$(filter %.o,$$(obj-y)))
$$(foreach o,$$(filter %.o,$$(obj-y)),$$(eval $(obj)/$(1)/$$(o): extra-cflags := $$(CFLAGS_$$(o))))
$$(foreach o,$$(filter %.o,$$(obj-y)),$$(eval CFLAGS_$$(o) :=))
subdirs-$(1) := $$(addprefix $(1)/,$$(patsubst %/,%,$$(filter %/,$$(obj-y))))
$$(foreach d,$$(subdirs-$(1)),$$(eval $$(call include-dir,$$(d),$(2))))
endef

ifneq ($(need-config),)
$(foreach d,$(lib-dirs),$(eval $(call include-dir,$(d),lib)))
$(foreach d,$(app-dirs),$(eval $(call include-dir,$(d),app)))
endif
all-objs := $(lib-objs) $(app-objs)

# Include paths say the layering (DESIGN.md, docs/library.md): everything below the kernel
# services (arch, paravirt, lib, xen-guest, drivers) sees include/ only, and reaches the
# services through include/pvkit/os.h; kernel/ adds its own public headers (kernel/include:
# mm, timers, idle loop, IP stack, the platform API); the reference kernel (init/, the
# self-tests) adds init/ as well. scripts/check-layers.py names any line that crosses.
$(obj)/kernel/%.o: dir-cppflags := -Ikernel/include
$(obj)/init/%.o $(obj)/tests/guest/%.o: dir-cppflags := -Ikernel/include -Iinit

# Generated headers must exist before anything compiles; their later changes reach objects
# through the .d files.
build-prereqs := $(obj)/include/generated/autoconf.h $(xen-hdr-stamp)

$(obj)/%.o: %.c $(obj)/.flags | $(build-prereqs)
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCPPFLAGS) $(dir-cppflags) $(KCFLAGS) $(extra-cflags) -MMD -MP -MF $(@:.o=.d) \
	   -c $< -o $@

$(obj)/%.o: %.S $(obj)/.flags | $(build-prereqs)
	$(call say,AS,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCPPFLAGS) $(dir-cppflags) $(KAFLAGS) -MMD -MP -MF $(@:.o=.d) -c $< -o $@

$(obj)/%.lds: %.lds.S $(obj)/.flags | $(build-prereqs)
	$(call say,LDS,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCPPFLAGS) $(KAFLAGS) -E -P -x c -MMD -MP -MT $@ -MF $(@:.lds=.lds.d) $< -o $@

lds := $(obj)/arch/x86/pvkit.lds

# The layering, checked before the library is made: no include from below the services into
# kernel/ or init/, none from kernel/ into init/ (the offending line is named).
layer-srcs := $(shell find arch paravirt lib xen-guest drivers kernel -name '*.[chS]' 2>/dev/null)
$(obj)/.layers-ok: scripts/check-layers.py $(layer-srcs)
	$(call say,LAYERS,arch paravirt lib xen-guest drivers kernel)
	$(Q)$(PYTHON) scripts/check-layers.py --root . --build $(obj)
	$(Q)touch $@

# libpvkit.a: every library object, indexed. Link it whole (--whole-archive): the boot stubs,
# the ELF notes, the self-registering tables (console commands, xenbus frontends) are reached
# by no symbol reference, and an archive's members are otherwise only taken when referenced.
$(obj)/libpvkit.a: $(lib-objs) $(obj)/.layers-ok
	$(call say,AR,$@)
	$(Q)rm -f $@.tmp
	$(Q)$(AR) rcsD $@.tmp $(lib-objs)
	$(Q)mv $@.tmp $@

$(obj)/pvkit.elf: $(app-objs) $(obj)/libpvkit.a $(lds) $(obj)/.flags scripts/check-image.py
	$(call say,LD,$@)
	$(Q)$(LD) $(KLDFLAGS) -T $(lds) -Map $(obj)/pvkit.map -o $@.tmp \
	   --whole-archive $(obj)/libpvkit.a --no-whole-archive $(app-objs)
	$(Q)OBJDUMP=$(OBJDUMP) $(PYTHON) scripts/check-image.py $@.tmp $(obj)/.config \
	   $(obj)/pv_patch_sites.txt
	$(Q)mv $@.tmp $@

# make install PREFIX=/usr DESTDIR=...: headers, libpvkit.a, the linker script, the
# configuration and pvkit.pc (docs/library.md lists every file; make check compares).
PREFIX  ?= /usr/local
DESTDIR ?=
.PHONY: install
install: $(obj)/libpvkit.a $(lds) CHANGELOG.md scripts/install.sh scripts/pvkit.pc.in
	$(Q)scripts/install.sh $(obj) "$(DESTDIR)" "$(PREFIX)" "$(PVKIT_VERSION)" \
	   "-D__XEN_INTERFACE_VERSION__=$(XEN_INTERFACE_VERSION) -D__PVKIT_KERNEL__" \
	   "$(KABIFLAGS)" "$(KLDFLAGS)"

# examples/hello built the way its users build it: pvkit installed into a staging prefix,
# then the example's own Makefile with nothing but pkg-config (make check boots the result).
hello-stage := $(abspath $(obj))/examples/stage
hello-out   := $(abspath $(obj))/examples/hello
.PHONY: examples
examples: $(obj)/examples/hello/hello.elf $(obj)/examples/hello/hello.iso
$(obj)/examples/hello/hello.elf: $(obj)/libpvkit.a $(lds) examples/hello/hello.c \
		examples/hello/Makefile scripts/install.sh scripts/pvkit.pc.in CHANGELOG.md
	$(call say,EXAMPLE,$@)
	$(Q)rm -rf $(hello-stage)
	$(Q)$(MAKE) --no-print-directory -s install DESTDIR=$(hello-stage) PREFIX=/usr >/dev/null
	$(Q)$(MAKE) --no-print-directory -s -C examples/hello O=$(hello-out) \
	   PKG_CONFIG="pkg-config --define-prefix" PKG_CONFIG_PATH=$(hello-stage)/usr/lib/pkgconfig
$(obj)/examples/hello/hello.iso: $(obj)/examples/hello/hello.elf scripts/grub.cfg scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $< scripts/grub.cfg $@

$(obj)/pvkit.iso: $(obj)/pvkit.elf scripts/grub.cfg scripts/mkiso.sh
	$(call say,ISO,$@)
	$(Q)scripts/mkiso.sh $< scripts/grub.cfg $@

-include $(all-objs:.o=.d) $(lds:.lds=.lds.d)

# ---------------------------------------------------------------------------------------------
# The API reference: the public headers (what make install installs: include/pvkit and
# kernel/include/pvkit) through Doxygen (docs/Doxyfile) to $(obj)/docs/html. Warnings are
# errors: an undocumented public symbol fails it, and so does a header without its @file
# block, which Doxygen would otherwise skip without a word. The warnings go to stderr.
DOXYGEN ?= doxygen
.PHONY: docs
docs:
	@command -v $(DOXYGEN) >/dev/null || { \
	   echo "error: $(DOXYGEN) is missing: install Debian's doxygen" >&2; \
	   echo "       (scripts/install-deps.sh does it)" >&2; exit 1; }
	$(call say,DOXYGEN,$(obj)/docs/html)
	$(Q)nofile=$$(grep -L '@file' $$(find include/pvkit kernel/include/pvkit -name '*.h')); \
	   [ -z "$$nofile" ] || { echo "error: no @file block (Doxygen skips the header):" \
	   $$nofile >&2; exit 1; }
	$(Q)rm -rf $(obj)/docs/html
	$(Q)mkdir -p $(obj)/docs
	$(Q)PVKIT_DOCS_OUT=$(obj)/docs PVKIT_DOCS_VERSION=$(PVKIT_VERSION) $(DOXYGEN) docs/Doxyfile

# ---------------------------------------------------------------------------------------------
# Hosted unit tests (host compiler, ASan + UBSan) and fuzzers: see tests/unit/Makefile.
include tests/unit/Makefile
include tests/fuzz/Makefile
# Static helper programs for dom0 (/pvkit/tools on the Xen test host): tests/dom0-tools/Makefile.
include tests/dom0-tools/Makefile

# ---------------------------------------------------------------------------------------------
# Entry points.
.PHONY: deps run check check-boot check-xen soak bench bench_image_defconfig help clean distclean fuzz

deps:
	$(Q)$(INSTALL_DEPS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(PYTHON) scripts/run.py --image $(obj)/pvkit.elf

check: deps
	$(Q)$(MAKE) --no-print-directory all unit-build dom0-tools examples
	$(Q)$(PYTHON) scripts/testrun.py --build $(obj) $(TESTS)

check-boot: all
	$(Q)$(PYTHON) scripts/testrun.py --build $(obj) --suite boot

check-xen: all dom0-tools examples
	$(Q)$(PYTHON) scripts/testrun.py --build $(obj) --suite xen

# The lifecycle soak at full size (docs/suspend.md "Soak"): 10^5 verified random writes over
# save/restore, live-migration and detach/attach cycles with a UDP stream; not in make check
# (which runs it small).
soak: deps
	$(Q)$(MAKE) --no-print-directory all dom0-tools
	$(Q)$(PYTHON) scripts/testrun.py --build $(obj) --suite soak

# pvkit vs a Linux DomU on one boot of the Xen test host (docs/benchmarks.md): a table on
# stdout, $(obj)/bench/results.json. BENCH_RUNS=N (default 5) runs per guest.
# The guest is the production image (defconfig without the in-guest self-tests, which would
# run at every boot), built beside the main one in $(obj)/bench/image.
bench: deps
	$(Q)$(MAKE) --no-print-directory all dom0-tools
	$(Q)$(MAKE) --no-print-directory O=$(obj)/bench/image bench_image_defconfig
	$(Q)$(MAKE) --no-print-directory O=$(obj)/bench/image $(obj)/bench/image/pvkit.elf
	$(Q)$(PYTHON) scripts/bench/bench.py --build $(obj) --image $(obj)/bench/image/pvkit.elf

# make bench's guest configuration: configs/defconfig, self-tests off.
bench_image_defconfig: | $(KCONFIG_CONF)
	$(Q)mkdir -p $(obj)
	$(Q)printf '# CONFIG_SELFTEST is not set\n' >$(obj)/bench.defconfig
	$(Q)$(conf) -s --defconfig=$(obj)/bench.defconfig Kconfig

# Every fuzz target of tests/fuzz/*.mk, longer than make check: FUZZ_SECONDS each (default 600).
fuzz: fuzz-run

clean:
	$(Q)rm -rf $(obj)/arch $(obj)/paravirt $(obj)/xen-guest $(obj)/drivers $(obj)/kernel \
	   $(obj)/init $(obj)/lib $(obj)/tests $(obj)/iso $(obj)/pvkit.* $(obj)/.flags \
	   $(obj)/libpvkit.a $(obj)/.layers-ok $(obj)/examples $(obj)/docs

distclean:
	$(Q)rm -rf $(obj)

help:
	@sed -n '2,14s/^# \{0,1\}//p' Makefile
