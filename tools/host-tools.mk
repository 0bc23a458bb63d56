# Host tools over the mm/ sources, included by the top Makefile (docs/02-memory-map.md,
# docs/03-buddy-and-gfp.md): memmap-tool (map policy + allocator simulation),
# antifrag-tool (the anti-fragmentation churn over time, for `make plots`,
# docs/10-fragmentation-and-compaction.md), `make bench` (tools/bench/bench.mk, docs/08-measuring.md) and `make
# diagrams` (tools/diagrams/diagrams.mk).

MM_TOOL_SRCS := $(MM_SRCS) $(SUPPORT_SRCS) $(HOST_SUPPORT_SRCS) \
	kernel/lib/format.c kernel/lib/printk.c

HOST_TOOLS += $(BUILD)/host/memmap-tool $(BUILD)/host/antifrag-tool

$(BUILD)/host/memmap-tool: $(patsubst %.c,$(BUILD)/host/%.o,$(MM_TOOL_SRCS) tools/memmap-tool.c)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS)

$(BUILD)/host/antifrag-tool: $(patsubst %.c,$(BUILD)/host/%.o,$(MM_TOOL_SRCS) tools/antifrag-tool.c)
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS)

# `make bench`: tools/bench/bench.mk.
include tools/bench/bench.mk

# `make diagrams`: tools/diagrams/diagrams.mk.
include tools/diagrams/diagrams.mk
