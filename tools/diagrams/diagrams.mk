# `make diagrams` (docs/03-buddy-and-gfp.md, "Pictures of the data
# structures"): build/host/diagrams builds real nodes with the mm/ sources
# (linked like memmap-tool and the host suites) and writes Graphviz DOT;
# `dot` (Debian's graphviz, installed by tools/deps.sh) makes the PNGs:
#   node.png         a node: zones, free lists, per-CPU lists, sections
#   buddy-steps.png  chapter 03's worked example, split and merge
# `make diagrams-docs` copies them to docs/img/. `make plots` draws them
# too. Included from tools/host-tools.mk.

DIAGRAMS_DIR  := $(BUILD)/diagrams
DIAGRAMS_DOTS := $(DIAGRAMS_DIR)/node.dot $(DIAGRAMS_DIR)/buddy-steps.dot
DIAGRAMS_PNGS := $(DIAGRAMS_DOTS:.dot=.png)

HOST_TOOLS += $(BUILD)/host/diagrams

$(BUILD)/host/diagrams: $(patsubst %.c,$(BUILD)/host/%.o,$(MM_TOOL_SRCS) $(wildcard tools/diagrams/*.c))
	$(call say,HOSTLD,$@)
	$(Q)$(HOST_CC) $^ -o $@ $(HOST_LDFLAGS) -lpthread

.PHONY: diagrams diagrams-docs diagrams-check
diagrams: $(DIAGRAMS_PNGS)
	@echo "diagrams: $(DIAGRAMS_PNGS)"

diagrams-docs: diagrams
	@mkdir -p docs/img
	$(Q)cp $(DIAGRAMS_PNGS) docs/img/
	@ls -l $(addprefix docs/img/,$(notdir $(DIAGRAMS_PNGS)))

diagrams-check:
	@command -v dot >/dev/null || { echo "diagrams: dot is missing; run tools/deps.sh as root (Debian package graphviz)" >&2; exit 1; }

$(DIAGRAMS_DOTS) &: $(BUILD)/host/diagrams
	@mkdir -p $(DIAGRAMS_DIR)
	$(call say,DIAGRAM,$(DIAGRAMS_DIR))
	$(Q)$(BUILD)/host/diagrams $(DIAGRAMS_DIR) >/dev/null

$(DIAGRAMS_DIR)/%.png: $(DIAGRAMS_DIR)/%.dot | diagrams-check
	$(call say,DOT,$@)
	$(Q)dot -Tpng $< -o $@
