#!/usr/bin/env bash
# Checks that what the docs cite still exists, so a rename cannot leave a
# student following a dead pointer:
#   paths      every tree path cited (boot/, kernel/, mm/, tests/, tools/,
#              docs/, the top-level files) names a file or folder; a glob
#              must match something; "path:LINE" checks the file
#   functions  every name() in docs/*.md and the READMEs occurs in the
#              sources before a "(" (a definition, declaration, macro or
#              call: the build proves a called firmware or libc name exists)
#              or is an asm label or shell/awk function
#   sections   "chapter NN" names a docs/NN-*.md ("chapter 04b", a second
#              part, a docs/04b-*.md); a doc or chapter followed by
#              ("Heading") names a heading of that doc, whole or up to its
#              first ":" or "," ("ACPI" for "ACPI: asking the firmware what
#              is there");
#              see "Heading" / "Heading" below names one of the same doc;
#              every markdown link's file exists and its #anchor is the
#              GitHub anchor of one of its headings
# Paths and sections are checked in docs/*.md, docs/labs/ (the lab
# handouts), every README.md, and the
# comments of the sources (*.c *.h *.asm *.inc *.sh *.mk *.awk, Makefile,
# run-qemu.sh, linker.ld); functions in the docs and READMEs only. A wrapped
# reference is seen whole: docs are read a paragraph, list item or table row
# at a time, comments a block at a time. In a path, the placeholder words
# NAME and NN stand for "*" (tests/fixtures/NAME.map is a pattern).
#
# Linux is cited too, and its files and functions do not exist here:
#   - a path that is Linux's must be listed in LINUX_PATHS below;
#   - a name() is accepted as Linux's when "Linux" comes before it in the
#     same sentence, or when it sits in a table column headed "Linux".
# Everything else missing is a problem: one "file:line: what" line each,
# then one summary line per kind; the exit status is 1 if any was found.
#
# Usage: tools/check-docs.sh [ROOT]   (default: the repository)
# Needs bash and a POSIX awk (Debian's mawk is enough).
set -uo pipefail

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root" || exit 2
export LC_ALL=C

# Linux's own files, cited as Linux's. Keep it short: a path belongs here
# only if the docs name it as Linux's; a path that exists in this tree is
# never looked up here, so an entry cannot excuse one of ours.
LINUX_PATHS="
kernel/kthread.c
kernel/locking/mutex.c
kernel/sched/core.c
kernel/sched/wait.c
kernel/smp.c
kernel/time/timer.c
mm/debug_page_alloc.c
mm/fail_page_alloc.c
mm/filemap.c
mm/page_poison.c
mm/vmalloc.c
"

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# Every file and folder of the tree (build/ outputs are never cited as tree
# paths: "build/..." and "$(BUILD)/..." do not start with a tree folder).
find . \( -name .git -o -path ./build \) -prune -o -print |
	sed -e 's|^\./||' -e '/^\.$/d' >"$tmp/tree"
printf '%s\n' "$LINUX_PATHS" >"$tmp/linux"

docs=$(
	ls docs/*.md 2>/dev/null
	find docs/labs -name "*.md" 2>/dev/null | sort
	[ -f README.md ] && echo README.md
	find boot kernel mm tests tools -name README.md 2>/dev/null | sort
)
srcs=$(
	find boot kernel mm tests tools -type f \( -name '*.[ch]' -o -name '*.asm' \
		-o -name '*.inc' -o -name '*.sh' -o -name '*.mk' -o -name '*.awk' \) \
		2>/dev/null | sort
	for f in Makefile run-qemu.sh linker.ld; do [ -f "$f" ] && echo "$f"; done
)

# One awk pass: the tree and the Linux list, the docs' headings (pass H),
# the sources (pass S: the names they define or call, and their comments),
# then the docs themselves (pass D).
# shellcheck disable=SC2086 # word splitting of the file lists is intended
awk -f - "$tmp/tree" "$tmp/linux" pass=H $docs pass=S $srcs pass=D $docs \
	>"$tmp/out" <<'AWK'
# ------------------------------------------------------------- helpers
function problem(kind, file, line, msg) {
	bad[kind]++
	print file ":" line ": " msg
}
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# A heading as it is cited: no markdown emphasis or code marks.
function plain(s) { gsub(/`/, "", s); gsub(/\*\*/, "", s); return trim(s) }
# GitHub's anchor for a heading: lower case, punctuation dropped, spaces to
# hyphens (non-ASCII bytes are dropped too: arrows and dashes are).
function slug(s) {
	s = tolower(s)
	gsub(/[^a-z0-9 _-]/, "", s)
	gsub(/ /, "-", s)
	return s
}
function dirname(f) { return (f ~ /\//) ? substr(f, 1, match(f, /\/[^\/]*$/) - 1) : "" }
# Joins a relative link to the folder of the doc it is in.
function resolve(dir, rel,   n, i, parts, out, k, stack) {
	if (rel ~ /^\//) rel = substr(rel, 2)
	else if (dir != "") rel = dir "/" rel
	n = split(rel, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".") continue
		if (parts[i] == "..") { if (k > 0) k--; continue }
		stack[++k] = parts[i]
	}
	out = ""
	for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") stack[i]
	return out
}
function glob_re(g,   re, c, i, inbrace) {
	re = "^"
	for (i = 1; i <= length(g); i++) {
		c = substr(g, i, 1)
		if (c == "*") re = re "[^/]*"
		else if (c == "?") re = re "[^/]"
		else if (c == "{") { re = re "("; inbrace = 1 }
		else if (c == "}") { re = re ")"; inbrace = 0 }
		else if (c == "," && inbrace) re = re "|"
		else if (c ~ /[.+()|^$\[\]\\]/) re = re "\\" c
		else re = re c
	}
	return re "$"
}
# A comment may write a pattern with a placeholder word, as in
# tests/fixtures/NAME.map or docs/NN-*.md: NAME and NN stand for "*".
function placeholders(p,   out, b, a) {
	out = ""
	while (match(p, /NAME|NN/)) {
		b = RSTART > 1 ? substr(p, RSTART - 1, 1) : ""
		a = substr(p, RSTART + RLENGTH, 1)
		if (b !~ /[A-Za-z0-9]/ && a !~ /[A-Za-z0-9]/)
			out = out substr(p, 1, RSTART - 1) "*"
		else
			out = out substr(p, 1, RSTART + RLENGTH - 1)
		p = substr(p, RSTART + RLENGTH)
	}
	return out p
}
function path_exists(p,   re, f) {
	if (p ~ /^docs\/[0-9][0-9][a-z]?$/) return chapter_exists(substr(p, 6))
	p = placeholders(p)
	if (p ~ /[*?{]/) {
		re = glob_re(p)
		for (f in tree) if (f ~ re) return 1
		return 0
	}
	sub(/\/+$/, "", p)
	return (p in tree) || (p in linux)
}
# The docs of chapter nn ("06", or "04b" for a part b) as a list
# "file1 file2": every docs/NN-*.md for that number.
function chapter_files(nn,   f, out) {
	if (nn in chapcache) return chapcache[nn]
	out = ""
	for (f in tree)
		if (index(f, "docs/" nn "-") == 1 && f ~ /\.md$/ && f !~ /\/.*\//)
			out = out (out == "" ? "" : " ") f
	chapcache[nn] = out
	return out
}
function chapter_exists(nn) { return chapter_files(nn) != "" }
function has_heading(files, h,   n, i, fl) {
	n = split(files, fl, " ")
	for (i = 1; i <= n; i++) if ((fl[i] SUBSEP h) in heads) return 1
	return 0
}

# ------------------------------------------------------------- units
# A unit is text that is read as one: a paragraph, list item, heading or
# table row of a doc, a block of comment lines of a source. Its lines are
# joined with spaces; UO[i] is where line i starts in the joined text.
function unit_add(text, line) {
	if (un == 0) {
		ufile = FILENAME # the unit is checked when it ends, maybe in the
		upass = pass     # next file: remember where it came from
	}
	un++
	UL[un] = text
	UN[un] = line
}
function unit_flush(   i, T) {
	if (un == 0) return
	T = ""
	for (i = 1; i <= un; i++) {
		if (i > 1) T = T " "
		UO[i] = length(T) + 1
		T = T UL[i]
	}
	check_unit(T)
	un = 0
	in_table_row = 0
}
function line_of(p,   i) {
	for (i = un; i > 1; i--) if (UO[i] <= p) return UN[i]
	return UN[1]
}

function check_unit(T) {
	gsub(/[a-z]+:\/\/[^ )>`"]*/, "", T) # URLs are not tree paths
	check_paths(T)
	check_sections(T)
	if (upass == "D") check_functions(T)
}

# ------------------------------------------------------------- paths
function check_paths(T,   s, base, start, tok, pre, pre2, post, re) {
	s = T
	base = 0
	re = "(boot|kernel|mm|tests|tools|docs)\\/([A-Za-z0-9_.*?+\\/-]|\\{[A-Za-z0-9_.,]*\\})*"
	while (match(s, re)) {
		start = base + RSTART
		tok = substr(s, RSTART, RLENGTH)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		pre = start > 1 ? substr(T, start - 1, 1) : ""
		pre2 = start > 2 ? substr(T, start - 2, 1) : ""
		# Part of a longer path (Linux's arch/x86/kernel/..., build/kernel/,
		# $(BUILD)/tests/...) or of a word: not a tree path. "./x" is one.
		if (pre ~ /[A-Za-z0-9_\/$~-]/) continue
		if (pre == "." && pre2 ~ /[A-Za-z0-9_.\/]/) continue
		sub(/[.,:;-]+$/, "", tok)
		checked["paths"]++
		if (!path_exists(tok))
			problem("paths", ufile, line_of(start),
			    (tok ~ /[*?{]/ ? "glob " tok " matches nothing" : \
			    tok " does not exist"))
	}
	s = T
	base = 0
	while (match(s, /(Makefile|linker\.ld|run-qemu\.sh|README\.md)/)) {
		start = base + RSTART
		tok = substr(s, RSTART, RLENGTH)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		pre = start > 1 ? substr(T, start - 1, 1) : ""
		pre2 = start > 2 ? substr(T, start - 2, 1) : ""
		post = substr(T, start + length(tok), 1)
		if (pre ~ /[A-Za-z0-9_\/$~-]/ || post ~ /[A-Za-z0-9_\/-]/) continue
		if (pre == "." && pre2 ~ /[A-Za-z0-9_.\/]/) continue
		checked["paths"]++
		if (!(tok in tree))
			problem("paths", ufile, line_of(start), tok " does not exist")
	}
}

# ------------------------------------------------------------- functions
# Sentence starts of T: after . ! or ? (and closing marks), spaces, and a
# capital, a code mark or an opening bracket; "e.g. `x`" is no end.
function sentence_starts(T,   s, base, n, k, before) {
	ns = 1
	SS[1] = 1
	s = T
	base = 0
	while (match(s, /[.!?][)"'*]*[ ]+[A-Z`*(_]/)) {
		k = base + RSTART
		before = substr(T, k > 4 ? k - 4 : 1, k > 4 ? 4 : k - 1)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		if (before ~ /(e\.g|i\.e|etc|vs)$/) continue
		SS[++ns] = base
	}
}
# Does "Linux" come before position p in p's sentence?
function linux_before(T, p,   i, from) {
	from = 1
	for (i = 1; i <= ns; i++) if (SS[i] <= p) from = SS[i]
	return index(substr(T, from, p - from), "Linux") > 0
}
# The header of the table column holding position p of a table row.
function column_header(T, p,   i, c, col) {
	col = 0
	for (i = 1; i < p; i++) {
		c = substr(T, i, 1)
		if (c == "\\") { i++; continue }
		if (c == "|") col++
	}
	return (col in hdr) ? hdr[col] : ""
}
function check_functions(T,   s, base, start, name, pre) {
	s = T
	base = 0
	sentence_starts(T)
	while (match(s, /[A-Za-z_][A-Za-z0-9_]*\(\)/)) {
		start = base + RSTART
		name = substr(s, RSTART, RLENGTH - 2)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		pre = start > 1 ? substr(T, start - 1, 1) : ""
		if (pre ~ /[A-Za-z0-9_.>$]/) continue # a member, or a longer word
		checked["functions"]++
		if (name in known) continue
		if (in_table_row && column_header(T, start) ~ /Linux/) continue
		if (!in_table_row && linux_before(T, start)) continue
		problem("functions", ufile, line_of(start),
		    name "() is not defined, declared or called in boot/ kernel/ mm/ tests/ tools/")
	}
}

# ------------------------------------------------------------- sections
function check_heading_after(T, pos, files, what,   rest, h) {
	# pos: first character after the reference. Accepts `("Heading")`,
	# `, "Heading"`, and a closing code mark or link target between.
	rest = substr(T, pos, 200)
	sub(/^`/, "", rest)
	sub(/^\]\([^)]*\)/, "", rest)
	if (!match(rest, /^[ ]*(\(|,)[ ]*"[^"]+"/)) return
	h = substr(rest, RSTART, RLENGTH)
	sub(/^[^"]*"/, "", h)
	sub(/"$/, "", h)
	checked["sections"]++
	if (!has_heading(files, plain(h)))
		problem("sections", ufile, line_of(pos),
		    what " has no heading \"" h "\"")
}
function check_sections(T,   s, base, start, tok, nn, files, len, target, anchor, f, dir) {
	# chapter NN / chapter NNb
	s = T
	base = 0
	while (match(s, /[Cc]hapters? +[0-9][0-9][a-z]?/)) {
		start = base + RSTART
		len = RLENGTH
		tok = substr(s, RSTART, RLENGTH)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		if (substr(T, start + len, 1) ~ /[A-Za-z0-9]/) continue
		nn = tok
		sub(/^[Cc]hapters? +/, "", nn)
		checked["sections"]++
		files = chapter_files(nn)
		if (files == "") {
			problem("sections", ufile, line_of(start),
			    "\"" tok "\": there is no docs/" nn "-*.md")
			continue
		}
		check_heading_after(T, start + len, files, "chapter " nn)
	}
	# docs/NAME.md ("Heading") and docs/NN ("Heading")
	s = T
	base = 0
	while (match(s, /docs\/[A-Za-z0-9_.-]+/)) {
		start = base + RSTART
		len = RLENGTH
		tok = substr(s, RSTART, RLENGTH)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		if (start > 1 && substr(T, start - 1, 1) ~ /[A-Za-z0-9_\/-]/) continue
		sub(/[.]+$/, "", tok)
		if (tok ~ /^docs\/[0-9][0-9][a-z]?$/) files = chapter_files(substr(tok, 6))
		else if (tok ~ /\.md$/ && (tok in tree)) files = tok
		else continue # a missing file is the paths check's to report
		check_heading_after(T, start + length(tok), files, tok)
	}
	if (upass != "D") return
	# see "Heading", "Heading" below/above: a heading of this doc
	s = T
	base = 0
	while (match(s, /([Ss]ee "[^"]+"|"[^"]+" (below|above))/)) {
		start = base + RSTART
		tok = substr(s, RSTART, RLENGTH)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		sub(/^[Ss]ee /, "", tok)
		sub(/ (below|above)$/, "", tok)
		gsub(/"/, "", tok)
		checked["sections"]++
		if (!has_heading(ufile, plain(tok)))
			problem("sections", ufile, line_of(start),
			    "this doc has no heading \"" tok "\"")
	}
	# [text](target#anchor)
	s = T
	base = 0
	dir = dirname(ufile)
	while (match(s, /\]\([^) ]+\)/)) {
		start = base + RSTART
		tok = substr(s, RSTART + 2, RLENGTH - 3)
		base += RSTART + RLENGTH - 1
		s = substr(s, RSTART + RLENGTH)
		if (tok ~ /^[a-z]+:/) continue # http:, mailto:
		checked["sections"]++
		anchor = ""
		if (index(tok, "#")) {
			anchor = substr(tok, index(tok, "#") + 1)
			tok = substr(tok, 1, index(tok, "#") - 1)
		}
		f = (tok == "") ? ufile : resolve(dir, tok)
		if (f != "" && !(f in tree)) {
			problem("sections", ufile, line_of(start),
			    "link to " tok ": " f " does not exist")
			continue
		}
		if (anchor != "" && f ~ /\.md$/ && !((f SUBSEP anchor) in slugs))
			problem("sections", ufile, line_of(start),
			    "link to " tok "#" anchor ": no such heading in " f)
	}
}

# ------------------------------------------------------------- sources
# Splits a C line into code (returned) and comment text (in cmt), keeping
# the "inside a comment" state across lines in incom. Strings and
# character literals count as code, with their contents dropped.
function split_c(s,   out, a, b, q, ap, i, c) {
	out = ""
	cmt = ""
	while (s != "") {
		if (incom) {
			i = index(s, "*/")
			if (!i) { cmt = cmt " " s; return out }
			cmt = cmt " " substr(s, 1, i - 1)
			s = substr(s, i + 2)
			incom = 0
			continue
		}
		a = index(s, "/*"); b = index(s, "//"); q = index(s, "\""); ap = index(s, "'")
		i = 0
		if (a && (!i || a < i)) i = a
		if (b && (!i || b < i)) i = b
		if (q && (!i || q < i)) i = q
		if (ap && (!i || ap < i)) i = ap
		if (!i) return out s
		out = out substr(s, 1, i - 1)
		c = substr(s, i, 1)
		if (i == q || i == ap) {
			s = substr(s, i + 1)
			while (s != "" && substr(s, 1, 1) != c)
				s = substr(s, (substr(s, 1, 1) == "\\") ? 3 : 2)
			s = substr(s, 2)
			out = out " "
		} else if (i == b) {
			cmt = cmt " " substr(s, i + 2)
			return out
		} else {
			incom = 1
			s = substr(s, i + 2)
		}
	}
	return out
}
# Names a line of C code makes known: any identifier right before "(".
function learn_c(code,   n) {
	while (match(code, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/)) {
		n = substr(code, RSTART, RLENGTH)
		sub(/[ \t]*\($/, "", n)
		known[n] = 1
		code = substr(code, RSTART + RLENGTH)
	}
	if (match(code, /^[ \t]*#[ \t]*define[ \t]+[A-Za-z_][A-Za-z0-9_]*/)) {
		n = substr(code, RSTART, RLENGTH)
		sub(/.*[ \t]/, "", n)
		known[n] = 1
	}
}
function learn_word(n) { if (n ~ /^[A-Za-z_][A-Za-z0-9_.]*$/) known[n] = 1 }

# ------------------------------------------------------------- the passes
FILENAME == ARGV[1] { tree[$0] = 1; next }
FILENAME == ARGV[2] { if ($0 != "") linux[$0] = 1; next }

FNR == 1 {
	unit_flush()
	fence = 0
	incom = 0
	prev_table = 0
	kind = FILENAME
	sub(/.*\//, "", kind)
	if (kind ~ /\./) sub(/.*\./, "", kind)
	if (pass == "H") delete dupes
}

# Pass H: headings of the docs, outside code blocks.
pass == "H" {
	if ($0 ~ /^[ \t]*(```|~~~)/) { fence = !fence; next }
	if (fence || $0 !~ /^#+[ \t]/) next
	h = $0
	sub(/^#+[ \t]+/, "", h)
	sub(/[ \t]+#*[ \t]*$/, "", h)
	heads[FILENAME SUBSEP plain(h)] = 1
	# "ACPI: asking the firmware what is there" may be cited as "ACPI",
	# "Data structures, and what they cost" as "Data structures".
	short = plain(h)
	if (match(short, /[:,]/)) heads[FILENAME SUBSEP trim(substr(short, 1, RSTART - 1))] = 1
	sl = slug(h)
	if (sl in dupes) sl = sl "-" dupes[sl]++
	else dupes[sl] = 1
	slugs[FILENAME SUBSEP sl] = 1
	next
}

# Pass S: sources. Learn their names; check their comments.
pass == "S" {
	text = ""
	if (kind == "c" || kind == "h" || kind == "ld") {
		code = split_c($0)
		learn_c(code)
		text = cmt
		sub(/^[ \t]*\*+[ \t]?/, "", text) # the " * " of a block comment
	} else if (kind == "asm" || kind == "inc") {
		line = $0
		if (match(line, /^[ \t]*(global|extern)[ \t]+/)) {
			n = split(substr(line, RLENGTH + 1), w, /[ \t,;:]+/)
			for (i = 1; i <= n; i++) learn_word(w[i])
		}
		if (match(line, /^[A-Za-z_][A-Za-z0-9_.]*:/)) learn_word(substr(line, 1, RLENGTH - 1))
		if (match(line, /^[ \t]*%(macro|define)[ \t]+[A-Za-z_][A-Za-z0-9_]*/)) {
			n = substr(line, RSTART, RLENGTH); sub(/.*[ \t]/, "", n); learn_word(n)
		}
		i = index(line, ";")
		if (i) text = substr(line, i + 1)
	} else { # sh, mk, awk, Makefile
		line = $0
		if (match(line, /^[ \t]*(function[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*\([ \t]*\)/) ||
		    match(line, /^[ \t]*function[ \t]+[A-Za-z_][A-Za-z0-9_]*/) ||
		    match(line, /^define[ \t]+[A-Za-z_][A-Za-z0-9_-]*/)) {
			n = substr(line, RSTART, RLENGTH)
			sub(/^[ \t]*(function|define)?[ \t]*/, "", n)
			sub(/[ \t]*\(.*$/, "", n)
			learn_word(n)
		}
		if (line ~ /^[ \t]*#/ && line !~ /^#!/) text = line
		else if (match(line, /[ \t]#[ \t]/)) text = substr(line, RSTART + 1)
		sub(/^[ \t]*#+[ \t]?/, "", text)
	}
	if (text ~ /[^ \t]/) unit_add(text, FNR)
	else unit_flush()
	next
}

# Pass D: the docs, a paragraph / list item / heading / table row at a time.
pass == "D" {
	if ($0 ~ /^[ \t]*(```|~~~)/) { unit_flush(); fence = !fence; prev_table = 0; next }
	if (fence) { unit_add($0, FNR); unit_flush(); next }
	if ($0 ~ /^[ \t]*$/) { unit_flush(); prev_table = 0; next }
	if ($0 ~ /^[ \t]*\|/) {
		unit_flush()
		if (!prev_table) { # the header row: remember its cells
			delete hdr
			n = split($0, cells, "|")
			for (i = 2; i <= n; i++) hdr[i - 1] = cells[i]
		}
		prev_table = 1
		if ($0 ~ /^[ \t|:-]+$/) next # the |---| row
		unit_add($0, FNR)
		in_table_row = 1
		unit_flush()
		next
	}
	prev_table = 0
	if ($0 ~ /^#+[ \t]/ || $0 ~ /^[ \t]*([-*+]|[0-9]+\.)[ \t]/) unit_flush()
	unit_add($0, FNR)
	if ($0 ~ /^#+[ \t]/) unit_flush()
	next
}

END {
	unit_flush()
	n = split("paths functions sections", kinds, " ")
	for (i = 1; i <= n; i++) {
		k = kinds[i]
		if (bad[k]) printf "SUMMARY docs: %s: FAILED (%d problems, %d checked)\n", k, bad[k], checked[k]
		else printf "SUMMARY docs: %s: ok (%d checked)\n", k, checked[k] + 0
	}
}
AWK
awk_status=$?

# Problems first, in file and line order, then the summary lines.
grep -v '^SUMMARY ' "$tmp/out" | sort -t: -k1,1 -k2,2n
grep '^SUMMARY ' "$tmp/out" | sed 's/^SUMMARY //'
[ $awk_status = 0 ] || exit 2
if grep -q '^SUMMARY .*FAILED' "$tmp/out"; then exit 1; fi
exit 0
