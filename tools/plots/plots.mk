# `make plots` (docs/08-measuring.md): PNG pictures in build/plots/, drawn
# with gnuplot (Debian's gnuplot-nox, installed by tools/deps.sh):
#   memmap.png          the memory map of the demo boot, to scale, by type
#                       and zone (PLOT_MEMMAP= a serial log or a .map file)
#   memmap-fixture.png  the same for PLOT_FIXTURE (an 8 GiB q35 machine)
#   demo.png            free pages per order during the boot demo, with the
#                       watermarks (boots QEMU once: demo_buddyinfo=1)
#   pageblocks.png      the biggest zone's pageblocks by migrate type and use,
#                       before and after compaction (the same boot:
#                       demo_pageblocks=1)
#   antifrag.png        the anti-fragmentation churn, grouping on and off
#                       (build/host/antifrag-tool, no boot)
#   numa-nodes.png      the nodes of a NUMA boot: memory to scale by node,
#                       CPUs, the distance table as a heat map
#   numa-free.png       free pages per node over the numa_alloc suite (the
#                       same boot: numa-4node-dist's QEMU options from
#                       tests/matrix.conf, numa_trace_ms=10)
#   bench.png, init.png `make bench`'s figures (run first if missing)
# and, with Graphviz, `make diagrams` (tools/diagrams/: the allocator's data
# structures, in build/diagrams/). `make plots-docs` also copies them all to
# docs/img/. Included by the Makefile.

PLOTS_DIR    := $(BUILD)/plots
PLOT_LOG     ?= $(PLOTS_DIR)/demo-serial.log
PLOT_MEMMAP  ?= $(PLOT_LOG)
PLOT_FIXTURE ?= tests/fixtures/ovmf-q35-8g.map
PLOT_QEMU    ?= -m 256M
PLOT_CMDLINE ?= demo_seconds=12 demo_buddyinfo=1 demo_pageblocks=1
PLOT_NUMA_LOG     ?= $(PLOTS_DIR)/numa-serial.log
PLOT_NUMA_LINE    ?= numa-4node-dist
PLOT_NUMA_CMDLINE ?= ktest=numa_alloc numa_trace_ms=10
PLOT_PNGS    := $(addprefix $(PLOTS_DIR)/,memmap.png memmap-fixture.png demo.png \
	pageblocks.png antifrag.png numa-nodes.png numa-free.png bench.png init.png)

.PHONY: plots plots-docs plots-check
plots: $(PLOT_PNGS) diagrams
	@echo "plots: $(PLOT_PNGS)"

plots-docs: plots diagrams-docs
	@mkdir -p docs/img
	$(Q)cp $(PLOT_PNGS) docs/img/
	@ls -l $(addprefix docs/img/,$(notdir $(PLOT_PNGS)))

plots-check:
	@command -v gnuplot >/dev/null || { echo "plots: gnuplot is missing; run tools/deps.sh as root (Debian package gnuplot-nox)" >&2; exit 1; }

# One boot of its own ESP (like the test matrix), the demo stretched, with
# buddyinfo every second and the pageblock maps. The run must reach the
# demo's last line.
$(PLOT_LOG): $(BUILD)/loader/BOOTX64.EFI $(BUILD)/kernel/kernel.elf
	@mkdir -p $(PLOTS_DIR)/esp/EFI/BOOT $(PLOTS_DIR)/esp/labyrinth
	$(Q)cp $(BUILD)/loader/BOOTX64.EFI $(PLOTS_DIR)/esp/EFI/BOOT/
	$(Q)cp $(BUILD)/kernel/kernel.elf $(PLOTS_DIR)/esp/labyrinth/
	$(Q)printf '%s\n' "$(PLOT_CMDLINE)" > $(PLOTS_DIR)/esp/labyrinth/cmdline.txt
	$(call say,QEMU,$@)
	$(Q)./run-qemu.sh --no-build --esp $(PLOTS_DIR)/esp --timeout 300 $(PLOT_QEMU) > $@.tmp 2>&1 </dev/null || true
	$(Q)grep -q 'demo: compaction: compact_stall' $@.tmp || { echo "plots: the demo boot did not finish; see $@.tmp" >&2; exit 1; }
	$(Q)mv $@.tmp $@

# The NUMA boot: the QEMU options of the matrix line PLOT_NUMA_LINE (so the
# picture is of the machine the tests boot), the numa_alloc suite with
# samples every 10 ms. The suite must pass.
$(PLOT_NUMA_LOG): $(BUILD)/loader/BOOTX64.EFI $(BUILD)/kernel/kernel.elf tests/matrix.conf
	@mkdir -p $(PLOTS_DIR)/numa-esp/EFI/BOOT $(PLOTS_DIR)/numa-esp/labyrinth
	$(Q)cp $(BUILD)/loader/BOOTX64.EFI $(PLOTS_DIR)/numa-esp/EFI/BOOT/
	$(Q)cp $(BUILD)/kernel/kernel.elf $(PLOTS_DIR)/numa-esp/labyrinth/
	$(Q)printf '%s\n' "$(PLOT_NUMA_CMDLINE)" > $(PLOTS_DIR)/numa-esp/labyrinth/cmdline.txt
	$(call say,QEMU,$@)
	$(Q)qemu_opts=$$(awk -F' [|] ' '$$1 == "$(PLOT_NUMA_LINE)" { print $$2 }' tests/matrix.conf); \
	[ -n "$$qemu_opts" ] || { echo "plots: no line '$(PLOT_NUMA_LINE)' in tests/matrix.conf" >&2; exit 1; }; \
	./run-qemu.sh --no-build --esp $(PLOTS_DIR)/numa-esp --timeout 300 $$qemu_opts > $@.tmp 2>&1 </dev/null || \
	{ echo "plots: the NUMA boot failed (exit status $$?); see $@.tmp" >&2; exit 1; }
	$(Q)grep -q '^numa-free: ' $@.tmp || { echo "plots: the NUMA boot printed no 'numa-free:' samples; see $@.tmp" >&2; exit 1; }
	$(Q)mv $@.tmp $@

$(PLOTS_DIR)/numa-nodes.png: $(PLOT_NUMA_LOG) tools/plots/numa-nodes.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/numa-nodes.sh $(PLOT_NUMA_LOG) $@

$(PLOTS_DIR)/numa-free.png: $(PLOT_NUMA_LOG) tools/plots/numa-free.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/numa-free.sh $(PLOT_NUMA_LOG) $@

$(PLOTS_DIR)/memmap.png: $(PLOT_MEMMAP) $(BUILD)/host/memmap-tool tools/plots/memmap.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/memmap.sh $(BUILD)/host/memmap-tool $(PLOT_MEMMAP) $@

$(PLOTS_DIR)/memmap-fixture.png: $(PLOT_FIXTURE) $(BUILD)/host/memmap-tool tools/plots/memmap.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/memmap.sh $(BUILD)/host/memmap-tool $(PLOT_FIXTURE) $@

$(PLOTS_DIR)/demo.png: $(PLOT_LOG) tools/plots/demo.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/demo.sh $(PLOT_LOG) $@

$(PLOTS_DIR)/pageblocks.png: $(PLOT_LOG) tools/plots/pageblocks.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/pageblocks.sh $(PLOT_LOG) $@

$(PLOTS_DIR)/antifrag.png: $(BUILD)/host/antifrag-tool tools/plots/antifrag.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$@)
	$(Q)tools/plots/antifrag.sh $(BUILD)/host/antifrag-tool $@

# The benchmark runs only when its results are missing (`make bench` to
# measure again); a rebuilt mm-bench alone does not rerun it.
$(BUILD)/bench/spread.tsv: | $(BUILD)/bench/mm-bench
	$(Q)$(MAKE) --no-print-directory bench

$(PLOTS_DIR)/bench.png $(PLOTS_DIR)/init.png &: $(BUILD)/bench/spread.tsv tools/plots/bench.sh | plots-check
	@mkdir -p $(PLOTS_DIR)
	$(call say,PLOT,$(PLOTS_DIR)/bench.png)
	$(Q)tools/plots/bench.sh $(BUILD)/bench $(PLOTS_DIR)
