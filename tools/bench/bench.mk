# `make bench` (docs/08-measuring.md): the page allocator against an xv6
# free list and a bitmap allocator, then start-up time and metadata from
# 1 GiB to 256 GiB. Same mm/ sources as the tests, built -O2 without
# sanitizers in their own object directory. Included from tools/host-tools.mk.
# Benchmarks are not tests: nothing here runs in `make test`.

BENCH_SRCS := $(MM_TOOL_SRCS) $(wildcard tools/bench/*.c)
BENCH_CFLAGS := $(filter-out -O0 -O1 -fsanitize=% -fno-sanitize-recover=%,$(HOST_CFLAGS)) -O2
BENCH_OBJS := $(patsubst %.c,$(BUILD)/bench/obj/%.o,$(BENCH_SRCS))

$(BUILD)/bench/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,BENCHCC,$<)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bench/mm-bench: $(BENCH_OBJS)
	$(call say,BENCHLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ -lpthread

# Prints the table; writes results.md, results.tsv (name, median, unit),
# spread.tsv (median, min, max per figure) and init.tsv to build/bench/.
# BENCH_ARGS=--quick: a smoke run (1/1000 of the work, one run).
bench: $(BUILD)/bench/mm-bench esp
	@mkdir -p $(BUILD)/bench
	$(BUILD)/bench/mm-bench $(BUILD)/bench $(BENCH_ARGS)
	@echo "Target (QEMU -icount, one CPU): cycles per order-0 alloc+free pair"
	@tools/bench/target-bench.sh $(BUILD)/esp $(BUILD)/bench/results.tsv
	@echo "bench: tables in $(BUILD)/bench/results.md and results.tsv"
