# Fuzzing with clang's libFuzzer (ASan + UBSan), included by the Makefile.
#   make fuzz               each target for FUZZ_SECONDS (default 180)
#   make fuzz-smoke         each target for 20 s (part of `make test`)
# Corpora live in build/fuzz/<target>.corpus/, seeded by make-seeds.c (fuzz_memmap
# from tests/fixtures/, fuzz_alloc with inputs that reach its compaction steps).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 180
FUZZ_CFLAGS  := -std=c11 -g -O1 -Wall -Wextra -Werror -I. -DLABYRINTH_HOST -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS := fuzz_memmap fuzz_alloc
FUZZ_MM_SRCS := $(MM_SRCS) $(SUPPORT_SRCS) tests/support/test_arena_host.c \
	tests/support/platform_host.c kernel/lib/format.c kernel/lib/printk.c tests/fuzz/console_host.c

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_MM_SRCS)
	@mkdir -p $(dir $@)
	$(call say,FUZZCC,$<)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_EXTRA) $(filter %.c,$^) -o $@

# fuzz_alloc: its model and misuse beside it; coverage only of the code under test
# (not of printk, the test node or pgdat_check), and no comparison
# tracing: its operands are physical addresses, not input bytes, and it
# cost a third of the time (docs/07b, "Fuzzing the allocator").
$(BUILD)/fuzz/fuzz_alloc: tests/fuzz/fuzz_alloc_model.c tests/fuzz/fuzz_alloc_model.h \
	tests/fuzz/fuzz_alloc_bad.c tests/fuzz/fuzz_alloc_bad.h \
	tests/fuzz/fuzz_alloc_migrate.c tests/fuzz/fuzz_alloc_migrate.h \
	tests/fuzz/fuzz_alloc_compact.c tests/fuzz/fuzz_alloc_compact.h \
	tests/fuzz/coverage-ignore.txt
$(BUILD)/fuzz/fuzz_alloc: FUZZ_EXTRA := -fno-sanitize-coverage=trace-cmp \
	-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt

$(BUILD)/fuzz/make-seeds: tests/fuzz/make-seeds.c
	@mkdir -p $(dir $@)
	$(Q)$(HOST_CC) -O1 -Wall -Wextra -Werror $< -o $@

$(BUILD)/fuzz/seeds.stamp: $(BUILD)/fuzz/make-seeds $(wildcard tests/fixtures/*.map)
	@mkdir -p $(BUILD)/fuzz/fuzz_memmap.corpus $(BUILD)/fuzz/fuzz_alloc.corpus
	$(Q)$(BUILD)/fuzz/make-seeds $(BUILD)/fuzz/fuzz_memmap.corpus tests/fixtures/*.map
	$(Q)$(BUILD)/fuzz/make-seeds --alloc $(BUILD)/fuzz/fuzz_alloc.corpus
	@touch $@

fuzz-build: $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS)) $(BUILD)/fuzz/fuzz_alloc-planted \
	$(BUILD)/fuzz/seeds.stamp

# Runs every target for $(1) seconds; a crash leaves its input in build/fuzz/.
define run_fuzzers
	@for t in $(FUZZ_TARGETS); do \
		echo "fuzz: $$t for $(1) s"; \
		(cd $(BUILD)/fuzz && FUZZ_ALLOC_STATS=1 ./$$t -max_total_time=$(1) -max_len=8192 -print_final_stats=1 \
			-artifact_prefix=$$t- $$t.corpus > $$t.log 2>&1) \
			|| { echo "fuzz: $$t FAILED, see $(BUILD)/fuzz/$$t.log"; tail -20 $(BUILD)/fuzz/$$t.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units|compaction steps' $(BUILD)/fuzz/$$t.log | sed "s/^/fuzz: $$t /"; \
	done
endef

fuzz: fuzz-build
	$(call run_fuzzers,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call run_fuzzers,20)

# The model's spill checks, proved in `make test`: fuzz_alloc built with one
# planted bug in mm/compaction.c (a spill counts half the pages it moved)
# must fail on each input in tests/fuzz/planted/, which the real target
# passes (tests/fuzz/README.md, "Planted").
FUZZ_PLANT_SED := s|cc->moved - moved, __ATOMIC_RELAXED);|(cc->moved - moved) / 2, __ATOMIC_RELAXED); /* PLANTED */|
$(BUILD)/fuzz/planted/compaction.c: mm/compaction.c tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(Q)sed '$(FUZZ_PLANT_SED)' $< > $@
	$(Q)[ "$$(diff $< $@ | grep -c '^>')" = 1 ] || { rm -f $@; \
		echo "fuzz: the planted bug no longer applies to mm/compaction.c: fix FUZZ_PLANT_SED in tests/fuzz/fuzz.mk" >&2; exit 1; }

FUZZ_ALLOC_SRCS := tests/fuzz/fuzz_alloc.c tests/fuzz/fuzz_alloc_model.c tests/fuzz/fuzz_alloc_bad.c \
	tests/fuzz/fuzz_alloc_migrate.c tests/fuzz/fuzz_alloc_compact.c
$(BUILD)/fuzz/fuzz_alloc-planted: $(FUZZ_ALLOC_SRCS) $(filter-out mm/compaction.c,$(FUZZ_MM_SRCS)) \
	$(BUILD)/fuzz/planted/compaction.c $(wildcard tests/fuzz/*.h) tests/fuzz/coverage-ignore.txt
	$(call say,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fno-sanitize-coverage=trace-cmp \
		-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt $(filter %.c,$^) -o $@
