# The host stress of the interrupt paths (tests/stress/README.md), included
# by the Makefile:
#   make stress        STRESS_OPS (1e8) operations under ASan+UBSan, then
#                      STRESS_TSAN_OPS (2e6) under ThreadSanitizer
#   make stress-tsan   only the ThreadSanitizer run
#   make stress-build  the three programs (`make test` runs the first two):
#                      build/stress/stress (ASan+UBSan), stress-planted
#                      (one irqsave removed) and stress-tsan
STRESS_OPS      ?= 100000000
STRESS_TSAN_OPS ?= 2000000
STRESS_SRCS := $(MM_SRCS) $(SUPPORT_SRCS) tests/support/test_arena_host.c \
	tests/support/platform_host.c $(LIB_SRCS)
STRESS_OBJS := $(patsubst %.c,$(BUILD)/host/%.o,$(STRESS_SRCS) tests/stress/stress.c \
	tests/stress/stress_main.c)

$(BUILD)/stress/stress: $(STRESS_OBJS)
	@mkdir -p $(dir $@)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS)

# The planted bug: free_pages_locked() (the locked free path) in a copy of mm/page_free.c takes
# the zone lock with interrupts left on. mm/ itself carries no switch; the
# copy must differ in exactly that one line, or the build stops (the plant
# would silently test nothing).
STRESS_PLANT_SED := /^int free_pages_locked(/,/^}/ s/spin_lock_irqsave(&z->lock, flags);/flags = arch_local_save_flags(); spin_lock(\&z->lock); \/* PLANTED: no irqsave *\//
$(BUILD)/stress/planted/page_free.c: mm/page_free.c tests/stress/stress.mk
	@mkdir -p $(dir $@)
	$(Q)sed '$(STRESS_PLANT_SED)' $< > $@
	$(Q)[ "$$(diff $< $@ | grep -c '^>')" = 1 ] || { rm -f $@; \
		echo "stress: the planted bug no longer applies to mm/page_free.c: fix STRESS_PLANT_SED in tests/stress/stress.mk" >&2; exit 1; }

$(BUILD)/stress/planted/page_free.o: $(BUILD)/stress/planted/page_free.c
	$(call say,HOSTCC,$@)
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/stress/stress-planted: $(filter-out %/mm/page_free.o,$(STRESS_OBJS)) $(BUILD)/stress/planted/page_free.o
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS)

# ThreadSanitizer: one compile of everything, -O1 like the ASan build.
STRESS_TSAN_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(HOST_CFLAGS)) \
	-fsanitize=thread
$(BUILD)/stress/stress-tsan: $(STRESS_SRCS) tests/stress/stress.c tests/stress/stress_main.c
	@mkdir -p $(dir $@)
	$(call say,TSANCC,$@)
	$(Q)$(HOST_CC) $(STRESS_TSAN_CFLAGS) $^ -o $@ -fsanitize=thread -lm

stress-build: $(BUILD)/stress/stress $(BUILD)/stress/stress-planted $(BUILD)/stress/stress-tsan

stress: stress-build
	BUILD=$(abspath $(BUILD)) tests/stress/run-stress.sh --long $(STRESS_OPS)
	BUILD=$(abspath $(BUILD)) tests/stress/run-stress.sh --tsan $(STRESS_TSAN_OPS)

stress-tsan: $(BUILD)/stress/stress-tsan
	BUILD=$(abspath $(BUILD)) tests/stress/run-stress.sh --tsan $(STRESS_TSAN_OPS)
