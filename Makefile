# Labyrinth build. Everything lands in build/ (out of tree); `make help` lists
# the targets. docs/01-boot.md explains what each piece is.

BUILD     ?= build
OVMF      ?= /usr/share/ovmf/OVMF.fd
CC        := gcc
NASM      := nasm
LD        := ld
OBJCOPY   := objcopy

.DEFAULT_GOAL := all

# `make V=1` shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif
.PHONY: all help host kernel loader esp image run test host-test matrix gdb \
	clean compile_commands deps bench fuzz format check-layout \
	lab-list lab-start lab-reset lab-check grade exercises stress stress-build stress-tsan

# ---------------------------------------------------------------- sources
# Where each file goes is decided by its folder (docs/01-boot.md, "The
# tree"): kernel/lib and mm/ build into the kernel, the host tests and the
# host tools alike; tests/shared runs on both sides, tests/host and
# tests/support/*_host.c only on the host, tests/target only in the kernel.
LIB_SRCS     := kernel/lib/format.c kernel/lib/printk.c kernel/lib/cmdline.c
MM_SRCS      := $(wildcard mm/*.c)
# Test helpers both sides use (test nodes and arenas), and the host's
# implementation of mm/platform.h with its other host-only helpers.
SUPPORT_SRCS := $(filter-out %_host.c,$(wildcard tests/support/*.c))
HOST_SUPPORT_SRCS := $(wildcard tests/support/*_host.c)
SHARED_TESTS := tests/ktest.c $(wildcard tests/shared/*_test.c)
# The table readers that touch only the buffer they are handed: the MADT
# entries and the NUMA topology (SRAT, SLIT), tested on the host too.
TOPO_SRCS    := kernel/arch/x86/madt.c kernel/numa/topology.c
SHARED_SRCS  := $(LIB_SRCS) $(MM_SRCS) $(TOPO_SRCS) $(SUPPORT_SRCS) $(SHARED_TESTS)
# Kernel only: everything else under kernel/, and the target-only suites
# with their runner.
KERNEL_SRCS := $(filter-out $(LIB_SRCS) $(TOPO_SRCS),$(sort $(shell find kernel -name '*.c'))) \
	$(wildcard tests/target/*.c)
KERNEL_ASM  := $(sort $(shell find kernel -name '*.asm'))
# Host only: the host runner and host-only suites, the platform shims, the
# ELF checker the loader uses.
HOST_SRCS   := $(wildcard tests/host/*.c) $(HOST_SUPPORT_SRCS) boot/elf.c
LOADER_SRCS := $(wildcard boot/*.c) kernel/lib/format.c

# ---------------------------------------------------------------- host
HOST_CC     ?= gcc
HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -I. -DLABYRINTH_HOST \
	-D_GNU_SOURCE -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
HOST_LDFLAGS := -fsanitize=address,undefined -lm -rdynamic

HOST_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(SHARED_SRCS) $(HOST_SRCS))

$(BUILD)/host/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/ktest-host: $(HOST_OBJS)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS)

# tools/ adds its host tools (memmap-tool, benchmarks) here; tests/fuzz its
# libFuzzer targets (make fuzz); tests/stress the host stress (make stress).
-include tools/host-tools.mk
include tests/fuzz/fuzz.mk
include tests/stress/stress.mk
-include tools/plots/plots.mk

host: $(BUILD)/host/ktest-host $(HOST_TOOLS)

# ---------------------------------------------------------------- kernel
KCFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -I. -DLABYRINTH_KERNEL \
	-ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -mcmodel=kernel -mgeneral-regs-only -mno-mmx -mno-sse \
	-mno-sse2 -mno-80387 -fno-omit-frame-pointer -fno-optimize-sibling-calls \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T linker.ld

KERNEL_OBJS := $(patsubst %.c,$(BUILD)/kernel/%.o,$(SHARED_SRCS) $(KERNEL_SRCS)) \
	$(patsubst %.asm,$(BUILD)/kernel/%.o,$(KERNEL_ASM))

$(BUILD)/kernel/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/kernel/%.o: %.asm
	@mkdir -p $(dir $@)
	$(call say,NASM,$<)
	$(Q)$(NASM) -f elf64 -g -F dwarf -MD $(@:.o=.d) -MP $< -o $@

# The backtrace symbol table is linked in a second pass. It lives in its own
# section after everything else (linker.ld), so adding it moves no function:
# pass 1 links with an empty table, pass 2 with the real one, and the link
# fails if any text symbol moved between the two.
$(BUILD)/kernel/ksyms0.o: tools/gen_ksyms.sh
	@mkdir -p $(dir $@)
	$(Q)tools/gen_ksyms.sh /dev/null > $(BUILD)/kernel/ksyms0.asm
	$(Q)$(NASM) -f elf64 $(BUILD)/kernel/ksyms0.asm -o $@

$(BUILD)/kernel/kernel.pass1.elf: $(KERNEL_OBJS) $(BUILD)/kernel/ksyms0.o linker.ld
	$(call say,LD,$@)
	$(Q)$(LD) $(KLDFLAGS) $(KERNEL_OBJS) $(BUILD)/kernel/ksyms0.o -o $@

$(BUILD)/kernel/ksyms.o: $(BUILD)/kernel/kernel.pass1.elf tools/gen_ksyms.sh
	$(call say,KSYMS,$@)
	$(Q)nm -n $< > $(BUILD)/kernel/kernel.pass1.nm
	$(Q)tools/gen_ksyms.sh $(BUILD)/kernel/kernel.pass1.nm > $(BUILD)/kernel/ksyms.asm
	$(Q)$(NASM) -f elf64 $(BUILD)/kernel/ksyms.asm -o $@

$(BUILD)/kernel/kernel.elf: $(KERNEL_OBJS) $(BUILD)/kernel/ksyms.o linker.ld
	$(call say,LD,$@)
	$(Q)$(LD) $(KLDFLAGS) $(KERNEL_OBJS) $(BUILD)/kernel/ksyms.o -o $@
	@nm -n $@ | grep -i ' t ' > $(BUILD)/kernel/kernel.nm.text
	@grep -i ' t ' $(BUILD)/kernel/kernel.pass1.nm | cmp -s - $(BUILD)/kernel/kernel.nm.text \
		|| { echo "ksyms: text moved between link passes" >&2; rm -f $@; exit 1; }

kernel: $(BUILD)/kernel/kernel.elf

# ---------------------------------------------------------------- loader
EFI_INC    := /usr/include/efi
EFI_LIB    := /usr/lib
LOADER_CFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -I. -I$(EFI_INC) \
	-I$(EFI_INC)/x86_64 -DLABYRINTH_LOADER -DGNU_EFI_USE_MS_ABI \
	-ffreestanding -fpic -fshort-wchar -fno-stack-protector -fno-strict-aliasing \
	-mno-red-zone -maccumulate-outgoing-args -mgeneral-regs-only
LOADER_OBJS := $(patsubst %.c,$(BUILD)/loader/%.o,$(LOADER_SRCS))

$(BUILD)/loader/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,EFICC,$<)
	$(Q)$(CC) $(LOADER_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/loader/loader.so: $(LOADER_OBJS)
	$(call say,LD,$@)
	$(Q)$(LD) -shared -Bsymbolic -nostdlib -znocombreloc -T $(EFI_LIB)/elf_x86_64_efi.lds \
		$(EFI_LIB)/crt0-efi-x86_64.o $^ -o $@ -L$(EFI_LIB) -lefi -lgnuefi

$(BUILD)/loader/BOOTX64.EFI: $(BUILD)/loader/loader.so
	$(call say,OBJCOPY,$@)
	$(Q)$(OBJCOPY) -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
		-j .rel -j .rela -j .rel.* -j .rela.* -j .reloc \
		--target efi-app-x86_64 --subsystem=10 $< $@

loader: $(BUILD)/loader/BOOTX64.EFI

# ---------------------------------------------------------------- boot media
CMDLINE ?=
$(BUILD)/esp/EFI/BOOT/BOOTX64.EFI: $(BUILD)/loader/BOOTX64.EFI
	@mkdir -p $(dir $@)
	$(Q)cp $< $@
# The ESP's copy without DWARF (--strip-debug keeps the symbol table and
# .ksyms): the loader reads the file whole, and at 48 MiB OVMF has no room
# for 2 MB of debug info. gdb reads build/kernel/kernel.elf.
$(BUILD)/esp/labyrinth/kernel.elf: $(BUILD)/kernel/kernel.elf
	@mkdir -p $(dir $@)
	$(Q)objcopy --strip-debug $< $@

# cmdline.txt always holds CMDLINE, empty unless given: a cmdline that an
# earlier `./run-qemu.sh --cmdline ...` left in the ESP is never carried into
# `make image` or the next boot. It is rewritten only when it differs, with
# no line end, and refused past the 2047 bytes the loader reads. CMDLINE
# reaches the recipes through the environment, so quotes in it are safe.
export CMDLINE
esp: $(BUILD)/esp/EFI/BOOT/BOOTX64.EFI $(BUILD)/esp/labyrinth/kernel.elf
	@mkdir -p $(BUILD)/esp/labyrinth
	@if [ $${#CMDLINE} -gt 2047 ]; then \
		echo "esp: CMDLINE is $${#CMDLINE} bytes; the loader reads at most 2047" >&2; exit 2; fi
	@f=$(BUILD)/esp/labyrinth/cmdline.txt; \
	if [ ! -f $$f ] || [ "$$(cat $$f)" != "$$CMDLINE" ]; then printf '%s' "$$CMDLINE" > $$f; fi

all: esp host

# The image carries CMDLINE (empty unless given), like the ESP it copies.
image: esp
	@tools/mkimage.sh $(BUILD)/esp $(BUILD)/labyrinth.img

# Boots CMDLINE (empty unless given), as ./run-qemu.sh --cmdline does.
run: esp
	BUILD=$(abspath $(BUILD)) ./run-qemu.sh --no-build $(if $(CMDLINE),--cmdline "$$CMDLINE")

# tools/gdb.sh stops QEMU when gdb exits and refuses a port in use.
GDB_PORT ?= 1234
gdb: esp
	BUILD=$(abspath $(BUILD)) GDB_PORT=$(GDB_PORT) tools/gdb.sh $(if $(CMDLINE),--cmdline "$$CMDLINE")

# ---------------------------------------------------------------- tests
TEST_BINS := host esp image $(BUILD)/host/make-bad-elf fuzz-build \
	$(BUILD)/stress/stress $(BUILD)/stress/stress-planted

# `make test`: host suites, then the QEMU boot matrix, then one summary line.
test: deps
	@$(MAKE) --no-print-directory -j2 $(TEST_BINS)
	@BUILD=$(abspath $(BUILD)) tests/run-tests.sh

host-test: deps
	@$(MAKE) --no-print-directory host
	@BUILD=$(abspath $(BUILD)) tests/run-tests.sh --host-only

# `make matrix ONLY=q35-8g,crash-ud2` boots just those configurations.
matrix: deps
	@$(MAKE) --no-print-directory -j2 $(TEST_BINS)
	@BUILD=$(abspath $(BUILD)) tests/run-tests.sh --matrix-only $(if $(ONLY),--only $(ONLY))

$(BUILD)/host/make-bad-elf: tests/loader/make-bad-elf.c
	@mkdir -p $(dir $@)
	$(call say,HOSTCC,$<)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< -o $@ $(HOST_LDFLAGS)

# The tree's rules: what may include what, file sizes, folder READMEs, and
# every path, function and section the docs and comments cite.
check-layout:
	@tools/check-layout.sh; a=$$?; tools/check-docs.sh; b=$$?; [ $$a = 0 ] && [ $$b = 0 ]

# The course labs (docs/labs/README.md): tools/lab.sh does the work.
# `make grade LAB=buddy` prints one line per graded case and "Score: N/M".
lab-list:
	@tools/lab.sh list
lab-start:
	@tools/lab.sh start $(LAB)
lab-reset:
	@tools/lab.sh reset
lab-check:
	@tools/lab.sh check
grade:
	@BUILD=$(BUILD) tools/lab.sh grade $(LAB)
# The chapters' mechanical exercises, planted and checked (make test runs them too).
exercises: host
	@BUILD=$(abspath $(BUILD)) tools/lab.sh exercise all

deps:
	@tools/deps.sh

# A build of its own under bear, in $(BUILD)/compile_commands: the rest of
# $(BUILD) (objects, test logs, fuzz corpora) is left as it is.
compile_commands:
	@command -v bear >/dev/null || { echo "compile_commands: bear is missing (Debian package bear)" >&2; exit 1; }
	rm -rf $(BUILD)/compile_commands
	bear --output compile_commands.json -- $(MAKE) --no-print-directory -j2 BUILD=$(BUILD)/compile_commands all
	@echo "compile_commands: compile_commands.json written (objects in $(BUILD)/compile_commands)"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)

help:
	@echo "Labyrinth make targets:"
	@echo "  all        build the loader, the kernel, the ESP folder and host tools"
	@echo "  run        boot build/esp in QEMU + OVMF with CMDLINE (see ./run-qemu.sh --help)"
	@echo "  test       host suites (ASan/UBSan) + QEMU boot matrix; ends 'N passed, N failed'"
	@echo "  host       host test binary and tools in build/host"
	@echo "  image      FAT disk image build/labyrinth.img with CMDLINE (can be written to a USB stick)"
	@echo "  gdb        boot QEMU waiting for gdb on GDB_PORT, attach gdb with kernel symbols;"
	@echo "             QEMU stops when gdb exits, a port in use is refused"
	@echo "  bench      host benchmarks -> build/bench/results.md and results.tsv"
	@echo "  plots      PNG pictures (memory map, boot demo, benchmarks) -> build/plots,"
	@echo "             and the diagrams"
	@echo "  diagrams   the allocator's data structures, drawn from a real node with"
	@echo "             Graphviz -> build/diagrams (diagrams-docs: copy to docs/img)"
	@echo "  fuzz       libFuzzer targets for FUZZ_SECONDS each (default 180)"
	@echo "  stress     signals playing interrupts on host threads: STRESS_OPS (1e8)"
	@echo "             under ASan+UBSan, then STRESS_TSAN_OPS (2e6) under TSan"
	@echo "             (stress-tsan: that one only)"
	@echo "  matrix     only the QEMU boot matrix (ONLY=name,name for some)"
	@echo "  check-layout  the include rule, file sizes, folder READMEs and docs references"
	@echo "  lab-list   the course labs; lab-start LAB=NAME makes branch lab-NAME with its skeleton,"
	@echo "             lab-reset goes back, grade LAB=NAME scores it ('Score: N/M'; docs/labs/)"
	@echo "  exercises  plant each mechanical exercise of the chapters and check the case it names fails"
	@echo "  format     clang-format every C file"
	@echo "  compile_commands  compile_commands.json for editors (uses bear); builds in"
	@echo "             build/compile_commands, the rest of build/ is kept"
	@echo "  clean      remove build/"
	@echo "Variables: CMDLINE='ktest=all' for esp, image, run and gdb (default: empty; it is"
	@echo "           never kept from an earlier run), GDB_PORT (default 1234), BUILD (default build)"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
