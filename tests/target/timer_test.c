/*
 * Time on target: the tick runs at hz, mdelay() waits its time, and the
 * boot's calibration of the TSC and the APIC timer agrees with a fresh
 * one against the HPET and against the PIT; hz= refuses bad values. Each
 * check is made so that a host that starves or pauses the vCPU (QEMU
 * under TCG on a loaded machine) cannot fail it, while a clock at the
 * wrong rate still does. See docs/04-interrupts.md ("Time and the tick").
 */
#include <stdint.h>

#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/irq.h"
#include "kernel/core/spinlock.h"
#include "tests/ktest.h"

/* A clock independent of the APIC timer: the HPET, else the TSC. */
static uint64_t now_ns(void)
{
	uint64_t ns;
	return hpet_read_ns(&ns) ? ns : ktime_get_ns();
}

/* Intervals between two ticks seen one after the other, by the TSC. */
static uint64_t tick_intervals[512];

static void sort_u64(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned int j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void test_tick_runs_at_hz(struct ktest *t)
{
	/* Halt between ticks rather than poll the HPET: under TCG every HPET
	 * read takes QEMU's global lock, which its timers need too. */
	uint64_t t0 = now_ns(), k0 = ktime_get_ns();
	unsigned long j0 = jiffies;
	/* An interval counts only when jiffies went up by exactly one since
	 * the last wake, which was itself a tick. */
	unsigned long last = j0;
	uint64_t last_ns = k0;
	unsigned int pairs = 0;
	uint64_t k;
	uint64_t period = 1000000000ULL / tick_hz;
	unsigned int early = 0, late = 0;
	while ((k = ktime_get_ns()) - k0 < 300000000ULL) {
		unsigned long j = __atomic_load_n(&jiffies, __ATOMIC_RELAXED);
		if (j == last + 1 && last != j0) {
			uint64_t d = k - last_ns;
			if (d < period / 2)
				early++;
			else if (d > period * 3 / 2)
				late++;
			else if (pairs < sizeof(tick_intervals) /
					     sizeof(tick_intervals[0]))
				tick_intervals[pairs++] = d;
		}
		if (j != last)
			last = j, last_ns = k;
		__asm__ volatile("hlt");
	}
	unsigned long ticks = jiffies - j0;
	uint64_t ns = now_ns() - t0;
	uint64_t expected = (uint64_t)tick_hz * ns / 1000000000ULL;
	sort_u64(tick_intervals, pairs);
	uint64_t median = pairs ? tick_intervals[pairs / 2] : 0;
	ktest_diag(
	    t,
	    "hz=%u: %lu ticks in %lu us (%lu at hz, against the %s); intervals: %u under half a period, %u over one and a half, %u between: shortest %lu us, median %lu us",
	    tick_hz, ticks, (unsigned long)(ns / 1000), (unsigned long)expected,
	    hpet_read_ns(&t0) ? "HPET" : "TSC", early, late, pairs,
	    (unsigned long)(pairs ? tick_intervals[0] / 1000 : 0),
	    (unsigned long)(median / 1000));
	/* The tick's period comes from the calibration and hz=. */
	KTEST_EXPECT_EQ(t, apic_read(APIC_TMICT),
			lapic_timer_hz / APIC_DIVISOR / tick_hz);
	KTEST_EXPECT_EQ(t, apic_read(APIC_LVTT),
			APIC_LVT_TIMER_PERIODIC | LOCAL_TIMER_VECTOR);
	/* Neither the count of ticks nor the shortest interval says the rate
	 * under TCG. A starved vCPU takes two pending ticks as one (on a host
	 * with a load of 6.6 only 74 of 318 came), and QEMU sets each periodic
	 * deadline one period after the last deadline, not after the late
	 * callback, so a stalled main loop delivers its backlog in a burst:
	 * CI once saw 388 ticks in 300 ms, shortest interval 138 us, backlog
	 * from before the window. The first makes intervals of two periods or
	 * more, the second short ones: both are left out above. A tick at the
	 * wrong rate against the TSC is still caught: its intervals either
	 * stay inside the window with their median outside 3/4..5/4 of a
	 * period (4/3 times too fast, 5/4 too slow), or fall outside it,
	 * leaving fewer than 10. The TSC itself is checked against the HPET
	 * and the PIT by test_calibration_pit_agrees_with_hpet. */
	KTEST_ASSERT_TRUE(t, pairs >= 10);
	KTEST_EXPECT_GE(t, median, period * 3 / 4);
	KTEST_EXPECT_LE(t, median, period * 5 / 4);
}

static void test_mdelay_against_clock(struct ktest *t)
{
	/* A vCPU the host sets aside during a delay makes it longer, never
	 * shorter: every delay must last its time, and the shortest of five
	 * says whether mdelay waits too long (a stall in all five is
	 * unlikely; a wrong delay is wrong in all five). */
	uint64_t shortest = UINT64_MAX, longest = 0;
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = now_ns();
		mdelay(20);
		uint64_t us = (now_ns() - t0) / 1000;
		KTEST_EXPECT_GE(t, us, 18000);
		if (us < shortest)
			shortest = us;
		if (us > longest)
			longest = us;
	}
	ktest_diag(t, "mdelay(20) five times: %lu to %lu us",
		   (unsigned long)shortest, (unsigned long)longest);
	KTEST_EXPECT_LE(t, shortest, 30000);
}

static void test_calibration_pit_agrees_with_hpet(struct ktest *t)
{
	uint64_t tsc_p, lapic_p, tsc_h, lapic_h;
	unsigned long flags;
	if (!hpet_read_ns(&tsc_h)) {
		ktest_skip(t,
			   "no HPET: the boot calibration already used the PIT");
		return;
	}
	local_irq_save(flags);
	uint32_t lvtt = apic_read(APIC_LVTT), tmict = apic_read(APIC_TMICT);
	bool ok_p = calibrate_against_pit(20, &tsc_p, &lapic_p);
	bool ok_h = calibrate_against_hpet(20, &tsc_h, &lapic_h);
	/* Put the tick back exactly as it was. */
	lapic_timer_periodic(lvtt & 0xff, tmict);
	local_irq_restore(flags);
	KTEST_ASSERT_TRUE(t, ok_p && ok_h);
	ktest_diag(t,
		   "TSC %lu kHz (PIT) vs %lu kHz (HPET); APIC %lu vs %lu kHz",
		   (unsigned long)(tsc_p / 1000), (unsigned long)(tsc_h / 1000),
		   (unsigned long)(lapic_p / 1000),
		   (unsigned long)(lapic_h / 1000));
	/* Within 5%: both are QEMU's virtual clock, only the window differs.
	 * And so is the boot's calibration, which the TSC and the tick use. */
	KTEST_EXPECT_LE(t, tsc_hz > tsc_h ? tsc_hz - tsc_h : tsc_h - tsc_hz,
			tsc_h / 20);
	KTEST_EXPECT_LE(t,
			lapic_timer_hz > lapic_h ? lapic_timer_hz - lapic_h
						 : lapic_h - lapic_timer_hz,
			lapic_h / 20);
	KTEST_EXPECT_LE(t, tsc_p > tsc_h ? tsc_p - tsc_h : tsc_h - tsc_p,
			tsc_h / 20);
	KTEST_EXPECT_LE(t,
			lapic_p > lapic_h ? lapic_p - lapic_h
					  : lapic_h - lapic_p,
			lapic_h / 20);
}

/*
 * A reference clock made of the TSC, with the host's worst timing
 * played on purpose: once 20 ms have passed, the first read that opens a
 * sample waits 45 ms before it reads (the vCPU set aside before the
 * sample) and 38 ms after (set aside inside it). The sample that follows
 * is past twice the window and 38 ms wide; a calibration that ended on it
 * would be off by half (the CI failure of 2026-12-07: "each end read
 * within 38159550 ns", the TSC 16 % fast). `stall_after_ns` plays what
 * the CI run of 2026-12-07 met after it: for the second after that stall,
 * every sample is that wide (a vCPU whose APIC read waits on a lock that a
 * descheduled QEMU thread holds).
 */
static uint64_t stall_start, stall_reads, stall_every_ns, stall_after_ns;
static uint64_t stall_last_open; /* the last read that opened a sample */
static bool stall_armed;

static void spin_ns(uint64_t ns)
{
	uint64_t t0 = ktime_get_ns();
	while (ktime_get_ns() - t0 < ns)
		cpu_relax();
}

static uint64_t stalling_read(void)
{
	uint64_t now = ktime_get_ns();
	if (!stall_start)
		stall_start = now;
	/* Reads come in pairs around each sample: an even one opens it. */
	bool opens = !(stall_reads & 1);
	if (stall_armed && opens && now - stall_start >= 20000000) {
		stall_armed = false;
		spin_ns(45000000);
		now = ktime_get_ns();
		spin_ns(38000000);
	} else if (!stall_armed && stall_after_ns && opens &&
		   now - stall_start < 1000000000) {
		spin_ns(stall_after_ns);
	} else if (stall_every_ns && opens && now - stall_start >= 20000000) {
		spin_ns(stall_every_ns); /* inside every sample from now on */
	}
	if (opens)
		stall_last_open = now;
	stall_reads++;
	return now;
}

static uint64_t ns_delta(uint64_t a, uint64_t b)
{
	return b - a;
}

static uint64_t ns_to_ns(uint64_t ns)
{
	return ns;
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* One 20 ms window against the stalling clock, the APIC timer put back
 * afterwards. True if the window may have run to eight times its length
 * (its last sample opened 160 ms or more after the first read; the
 * window began at or after that read). */
#define STALL_WINDOW_NS 20000000ULL
static bool stalled_window(struct ktest *t, uint64_t *tsc, uint64_t *lapic,
			   uint64_t *ppm)
{
	static const struct timer_reference stalling = { stalling_read,
							 ns_delta, ns_to_ns,
							 NULL };
	unsigned long flags;
	stall_start = stall_reads = 0;
	stall_armed = true;
	local_irq_save(flags);
	uint32_t lvtt = apic_read(APIC_LVTT), tmict = apic_read(APIC_TMICT);
	*ppm = calibrate_window(&stalling, STALL_WINDOW_NS, tsc, lapic);
	lapic_timer_periodic(lvtt & 0xff, tmict);
	local_irq_restore(flags);
	bool ran_long = stall_last_open - stall_start >= 8 * STALL_WINDOW_NS;
	ktest_diag(
	    t,
	    "TSC %lu kHz (the boot's %lu), APIC %lu kHz (%lu), within %lu ppm; the stall %s; the window ran %s",
	    (unsigned long)(*tsc / 1000), (unsigned long)(tsc_hz / 1000),
	    (unsigned long)(*lapic / 1000),
	    (unsigned long)(lapic_timer_hz / 1000), (unsigned long)*ppm,
	    stall_armed ? "never came" : "came",
	    ran_long ? "to 8x (no narrow sample came in time)" : "short");
	KTEST_EXPECT_FALSE(t, stall_armed);
	KTEST_EXPECT_NE(t, *ppm, UINT64_MAX);
	/* Whatever the host did, the bound is honest: the reference is the
	 * TSC itself, so only the two brackets can make them differ (1 % more
	 * for the boot's own calibration and rounding). */
	KTEST_EXPECT_LE(t, abs_diff(*tsc, tsc_hz),
			tsc_hz / 1000000 * *ppm + tsc_hz / 100);
	return ran_long;
}

static void test_calibration_outlasts_a_stalled_sample(struct ktest *t)
{
	uint64_t tsc = 0, lapic = 0, ppm = 0;
	if (stalled_window(t, &tsc, &lapic, &ppm)) {
		/* The real host made every sample after the played stall
		 * wider than it until the window was eightfold (pc-smp2-256m
		 * on a CI host running two QEMUs: 23 % off, 231157 ppm, the
		 * bound honest). Then the narrowest ends it, by the rule, and
		 * the boot's calibrate_best() would try another window. The
		 * next case plays that on purpose. */
		ktest_diag(t, "the host paused this vCPU beyond the played "
			      "stall: only the bound is checked");
		return;
	}
	KTEST_EXPECT_LE(t, ppm, 10000);
	KTEST_EXPECT_LE(t, abs_diff(tsc, tsc_hz), tsc_hz / 100);
	KTEST_EXPECT_LE(t, abs_diff(lapic, lapic_timer_hz),
			lapic_timer_hz / 20);
}

/* The played stall, then every sample 40 ms wide: none narrow before
 * eight times the window, which then ends on the narrowest (the played
 * one, 38 ms) and says so: a bound over 1 %, and an honest one. */
static void test_calibration_stalled_on_and_on_says_so(struct ktest *t)
{
	uint64_t tsc = 0, lapic = 0, ppm = 0;
	stall_after_ns = 40000000;
	bool ran_long = stalled_window(t, &tsc, &lapic, &ppm);
	stall_after_ns = 0;
	KTEST_EXPECT_TRUE(t, ran_long);
	KTEST_EXPECT_GT(t, ppm, 10000);
}

/* The stall inside every sample of the case below. */
static const uint64_t stall_every_ns_played = 3000000;

/* A host that never lets a narrow sample through once the window is
 * due (3 ms inside every one: never within 1 % of 160 ms) must not hold
 * the boot: the window ends at eight times its length on its narrowest
 * sample, and says how wide it is. (Before, it sampled on for 10^6
 * tries: an hour.) */
static void test_calibration_ends_without_a_narrow_sample(struct ktest *t)
{
	static const struct timer_reference slow = { stalling_read, ns_delta,
						     ns_to_ns, NULL };
	uint64_t tsc = 0, lapic = 0, ppm;
	unsigned long flags;
	stall_start = stall_reads = 0;
	stall_armed = false;
	stall_every_ns = stall_every_ns_played;
	local_irq_save(flags);
	uint32_t lvtt = apic_read(APIC_LVTT), tmict = apic_read(APIC_TMICT);
	uint64_t t0 = ktime_get_ns();
	ppm = calibrate_window(&slow, 20000000, &tsc, &lapic);
	uint64_t elapsed = ktime_get_ns() - t0, ms = elapsed / 1000000;
	lapic_timer_periodic(lvtt & 0xff, tmict);
	local_irq_restore(flags);
	stall_every_ns = 0;
	ktest_diag(t, "the window took %lu ms, within %lu ppm",
		   (unsigned long)ms, (unsigned long)ppm);
	KTEST_EXPECT_LE(t, ms, 1000);
	KTEST_EXPECT_NE(t, ppm, UINT64_MAX);
	/* Honest: the sample the window ends on holds a 3 ms stall, so the
	 * bound is at least 3 ms over the time that passed. Near 160 ms that
	 * is over 1 %; a host that preempts the vCPU stretches the window
	 * and thins it (CI: 457 ms, 8,709 ppm, which a fixed "over 1 %"
	 * failed). */
	KTEST_EXPECT_GE(t, (ppm + 1) * elapsed,
			stall_every_ns_played * 1000000);
}

static void test_hz_option(struct ktest *t)
{
	unsigned int hz = 0;
	KTEST_EXPECT_EQ(t, parse_hz("99", &hz), -1);
	KTEST_EXPECT_EQ(t, parse_hz("10001", &hz), -1);
	KTEST_EXPECT_EQ(t, parse_hz("fast", &hz), -1);
	KTEST_EXPECT_EQ(t, hz, 0);
	KTEST_EXPECT_EQ(t, parse_hz("100", &hz), 0);
	KTEST_EXPECT_EQ(t, hz, 100);
	KTEST_EXPECT_EQ(t, parse_hz("10000", &hz), 0);
	KTEST_EXPECT_EQ(t, hz, 10000);
}

static const struct ktest_case timer_cases[] = {
	KTEST_CASE(test_tick_runs_at_hz),
	KTEST_CASE(test_mdelay_against_clock),
	KTEST_CASE(test_calibration_pit_agrees_with_hpet),
	KTEST_CASE(test_calibration_outlasts_a_stalled_sample),
	KTEST_CASE(test_calibration_stalled_on_and_on_says_so),
	KTEST_CASE(test_calibration_ends_without_a_narrow_sample),
	KTEST_CASE(test_hz_option),
	{ 0 },
};

KTEST_SUITE_WHERE(timer, timer_cases, KTEST_TARGET_ONLY);
