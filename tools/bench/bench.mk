# `make bench` (docs/08-measuring.md): the page allocator against an xv6
# free list and a bitmap allocator, then start-up time and metadata from
# 1 GiB to 256 GiB. Same mm/ sources as the tests, built -O2 without
# sanitizers in their own object directory. Included from tools/host-tools.mk.
# Benchmarks are not tests: nothing here runs in `make test`.

BENCH_SRCS := $(MM_TOOL_SRCS) $(filter-out tools/bench/nothp.c,$(wildcard tools/bench/*.c))
BENCH_CFLAGS := $(filter-out -O0 -O1 -fsanitize=% -fno-sanitize-recover=%,$(HOST_CFLAGS)) -O2
BENCH_OBJS := $(patsubst %.c,$(BUILD)/bench/obj/%.o,$(BENCH_SRCS))

# The tree before the last change to the hot paths (now: 3194b44, before
# one count of the debug options, docs/07-debugging-the-allocator.md, and
# the four-instruction link offset; before that 11447bb, before the
# node's mask of cached block orders and the block paths' leaner
# registers, docs/08c-per-cpu-caches.md; before that 738bea9, before
# order 4 was cached per CPU, docs/08c-per-cpu-caches.md; before that
# e353221, free blocks' links moved off the page's first byte,
# docs/08b-the-zone-path.md; 9fab78b, the per-CPU drain took the fullest list first,
# docs/08c-per-cpu-caches.md, b89e051, issue 16's zone-path round, docs/08b-the-zone-path.md,
# f1a8680, the section map and the call-free fast paths, baeae77, migrate
# types, and bec35b4, the first fast path), for
# the before/after figures: its mm/ and host support, with tools/bench/pair_driver.c built
# against its headers, linked into one object whose every symbol gets the
# prefix old_ (objcopy), so both versions run in one process.
BENCH_OLD_REV := 3194b44
BENCH_OLD := $(BUILD)/bench/old-$(BENCH_OLD_REV)
BENCH_OLD_SRCS = $(wildcard $(BENCH_OLD)/src/mm/*.c) \
	$(filter-out %_host.c,$(wildcard $(BENCH_OLD)/src/tests/support/*.c)) \
	$(wildcard $(BENCH_OLD)/src/tests/support/*_host.c) \
	$(BENCH_OLD)/src/kernel/lib/format.c $(BENCH_OLD)/src/kernel/lib/printk.c

$(BENCH_OLD)/src/.stamp:
	@rm -rf $(BENCH_OLD)/src && mkdir -p $(BENCH_OLD)/src
	$(call say,GITARCH,$(BENCH_OLD_REV))
	$(Q)git archive $(BENCH_OLD_REV) mm kernel tests/support tools/bench | tar -x -C $(BENCH_OLD)/src
	@touch $@

$(BENCH_OLD)/old.o: $(BENCH_OLD)/src/.stamp tools/bench/pair_driver.c
	$(call say,BENCHOLD,$@)
	$(Q)rm -rf $(BENCH_OLD)/obj && mkdir -p $(BENCH_OLD)/obj
	$(Q)for f in $(BENCH_OLD_SRCS) tools/bench/pair_driver.c; do \
		$(HOST_CC) $(filter-out -I.,$(BENCH_CFLAGS)) -I$(BENCH_OLD)/src \
		    -c $$f -o $(BENCH_OLD)/obj/$$(echo $$f | tr / _).o || exit 1; \
	done
	$(Q)ld -r -o $(BENCH_OLD)/all.o $(BENCH_OLD)/obj/*.o
	$(Q)nm -g --defined-only $(BENCH_OLD)/all.o | \
		awk '{ print $$3 " old_" $$3 }' >$(BENCH_OLD)/rename.txt
	$(Q)objcopy --redefine-syms=$(BENCH_OLD)/rename.txt $(BENCH_OLD)/all.o $@

# The objects carry BENCH_OLD_REV's name (BENCH_OLD_REV_STR), so a new
# BENCH_OLD_REV rebuilds them: without this stamp, `make bench
# BENCH_OLD_REV=x` after a build for y labelled x's figures with y.
BENCH_REV_STAMP := $(BUILD)/bench/old-rev.$(BENCH_OLD_REV)
$(BENCH_REV_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/bench/old-rev.*
	@touch $@

$(BUILD)/bench/obj/%.o: %.c $(BENCH_REV_STAMP)
	@mkdir -p $(dir $@)
	$(call say,BENCHCC,$<)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_OLD_REV_STR='"$(BENCH_OLD_REV)"' -MMD -MP -c $< -o $@

# Runs a command with transparent huge pages off (boot-rss.sh).
$(BUILD)/bench/nothp: tools/bench/nothp.c
	@mkdir -p $(dir $@)
	$(call say,BENCHCC,$<)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) $< -o $@

$(BUILD)/bench/mm-bench: $(BENCH_OBJS) $(BENCH_OLD)/old.o
	$(call say,BENCHLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ -lpthread

# Prints the table; writes results.md, results.tsv (name, median, unit),
# spread.tsv (median, min, max per figure) and init.tsv to build/bench/.
# BENCH_ARGS=--quick: a smoke run (1/1000 of the work, one run).
bench: $(BUILD)/bench/mm-bench $(BUILD)/bench/nothp esp
	@mkdir -p $(BUILD)/bench
	$(BUILD)/bench/mm-bench $(BUILD)/bench $(BENCH_ARGS)
	@tools/bench/host-instructions.sh $(BUILD)/bench/mm-bench $(BUILD)/bench/results.tsv
	@echo "Target (QEMU -icount, one CPU): cycles per order-0 alloc+free pair"
	@tools/bench/target-bench.sh $(BUILD)/esp $(BUILD)/bench/results.tsv
	@tools/bench/boot-rss.sh $(BUILD)/esp $(BUILD)/bench/results.tsv \
	    $(BUILD)/bench/nothp $(if $(filter --quick,$(BENCH_ARGS)),1,3)
	@echo "bench: tables in $(BUILD)/bench/results.md and results.tsv"
