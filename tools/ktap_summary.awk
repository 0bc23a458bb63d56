# Reads KTAP (a host run or a serial log with other lines mixed in) and
# prints one line per failed leaf case, "FAIL suite.case", then
#   RESULT <passed> <failed> <skipped> <complete>
# A leaf is a test line with no subtests of its own. complete is 1 when the
# top-level plan was printed and every plan got all of its results (a crash
# mid-suite leaves it 0). A run that ran nothing (top-level plan 1..0) is
# one failure, "FAIL (no test ran: plan 1..0)", never "0 passed, 0 failed".
# With -v list=1 passed and skipped leaves are named too ("PASS suite.case",
# "SKIP suite.case"): tools/lab.sh grades case by case from them.
# With -v context=N each FAIL line is followed by the failed case's own
# diagnostic lines ("#" lines since the previous result), at most the last
# N of them, each as "  | text": CI prints only the summary, so this is all
# a reader of a failed CI run sees of why. A stream that ends mid-case (a
# panic, a hang) gets "INCOMPLETE in suite" and the log's last N lines of
# any kind, which hold the panic's message and registers.
# A suite's own line ("ok 3 name # SKIP reason" when all its cases were
# skipped) is not a leaf: only the cases are counted. Used by
# tests/run-tests.sh; checked by tests/host/ktest_host_test.c.
function indent(line) { match(line, /^ */); return RLENGTH }
BEGIN { passed = 0; failed = 0; skipped = 0; seen_plan = 0; bad_plan = 0; nctx = 0; ntail = 0 }
{ sub(/\r$/, "") }
# Two rings of the last `context` lines: ctx, the current case's "#" lines;
# tail, every line of the log.
context > 0 { tail[ntail++ % context] = $0 }
function print_last(ring, n,   i) {
	for (i = (n > context ? n - context : 0); i < n; i++) print "  | " ring[i % context]
}
/^ *KTAP version [0-9]+$/ { d = indent($0); got[d] = 0; plan[d] = -1; had_child[d] = 0; next }
/^ *1\.\.[0-9]+$/ {
	d = indent($0); p = $0; sub(/^ *1\.\./, "", p); plan[d] = p + 0
	if (d == 0) seen_plan = 1
	next
}
/^ *# Subtest: / { d = indent($0); s = $0; sub(/^ *# Subtest: /, "", s); subtest[d] = s; nctx = 0; next }
context > 0 && /^ *# / { l = $0; sub(/^ *# /, "", l); ctx[nctx++ % context] = l; next }
/^ *(not )?ok [0-9]+ / {
	d = indent($0)
	line = $0; sub(/^ */, "", line)
	ok = (line !~ /^not ok/)
	name = line; sub(/^(not )?ok [0-9]+ /, "", name)
	skip = (name ~ /# SKIP/); sub(/ *# .*$/, "", name)
	if (!had_child[d + 4]) {  # a leaf: no deeper results since the last one
		full = (d > 0 && subtest[d] != "") ? subtest[d] "." name : name
		if (!ok) { failed++; print "FAIL " full; if (context > 0) print_last(ctx, nctx) }
		else if (skip) { skipped++; if (list) print "SKIP " full }
		else { passed++; if (list) print "PASS " full }
	} else if (plan[d + 4] >= 0 && got[d + 4] != plan[d + 4]) {
		bad_plan = 1  # a subtest ended with results missing
	}
	had_child[d + 4] = 0; got[d + 4] = 0; plan[d + 4] = -1
	got[d]++; if (d >= 4) had_child[d] = 1
	nctx = 0
	next
}
END {
	complete = seen_plan && !bad_plan && got[0] == plan[0]
	if (seen_plan && plan[0] == 0 && passed + failed + skipped == 0) {
		failed++; print "FAIL (no test ran: plan 1..0)"
	}
	for (k in plan) if (k + 0 > 0 && plan[k] >= 0 && got[k] != plan[k]) complete = 0
	if (context > 0 && !complete) {
		print "INCOMPLETE in " (subtest[4] != "" ? subtest[4] : "(no suite yet)")
		print_last(tail, ntail)
	}
	print "RESULT " passed " " failed " " skipped " " complete
}
