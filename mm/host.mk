# mm/ host tools, included by the top Makefile (docs/02-memory-map.md,
# docs/03-buddy-and-gfp.md): memmap-tool (map policy + allocator simulation)
# and `make bench` (the allocator benchmark, -O2, no sanitizers).

MM_CORE_SRCS := $(filter-out %_host.c,$(wildcard mm/*.c))
MM_HOST_SRCS := $(wildcard mm/*_host.c)
MM_TOOL_SRCS := $(MM_CORE_SRCS) $(MM_HOST_SRCS) kernel/format.c kernel/printk.c

HOST_TOOLS += $(BUILD)/host/memmap-tool

$(BUILD)/host/memmap-tool: $(patsubst %.c,$(BUILD)/host/%.o,$(MM_TOOL_SRCS) tools/memmap-tool.c)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS)

# The benchmark measures the allocator, not the sanitizers: same sources,
# optimised, in their own object directory.
BENCH_CFLAGS := $(filter-out -O0 -O1 -fsanitize=% -fno-sanitize-recover=%,$(HOST_CFLAGS)) -O2
BENCH_OBJS := $(patsubst %.c,$(BUILD)/bench/obj/%.o,$(MM_TOOL_SRCS) tools/bench/mm_bench.c)

$(BUILD)/bench/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,BENCHCC,$<)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bench/mm-bench: $(BENCH_OBJS)
	$(call say,BENCHLD,$@)
	$(Q)$(HOST_CC) $^ -o $@

# Prints the table and writes build/bench/results.tsv (name, value, unit).
bench: $(BUILD)/bench/mm-bench
	@mkdir -p $(BUILD)/bench
	$(BUILD)/bench/mm-bench $(BUILD)/bench/results.tsv
