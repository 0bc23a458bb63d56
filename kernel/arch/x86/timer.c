/*
 * Clocks and the tick. The local APIC timer's input clock and the TSC's rate
 * are not architectural, so both are measured at boot against a clock whose
 * rate is known: the HPET states its period in femtoseconds; the PIT always
 * runs at 1.193182 MHz. Then the APIC timer is set periodic at tick_hz.
 * See docs/04-interrupts.md ("Time and the tick").
 */
#include "kernel/arch/x86/timer.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/acpi.h"
#include "kernel/arch/x86/apic.h"
#include "kernel/lib/cmdline.h"
#include "kernel/arch/x86/cpu.h"
#include "kernel/arch/x86/ioremap.h"
#include "kernel/core/irq.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/lib/string.h"

#define HPET_CAP 0x000
#define HPET_CAP_COUNT_64 (1ULL << 13)
#define HPET_CONFIG 0x010
#define HPET_CFG_ENABLE 0x1
#define HPET_COUNTER 0x0f0
#define HPET_MAX_PERIOD_FS 100000000ULL /* the spec's limit: 100 ns */

#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_MODE 0x43
#define PIT_CH2_GATE 0x61 /* bit 0: gate, bit 1: speaker, bit 5: OUT2 */

#define CALIBRATE_MS 20

volatile unsigned long jiffies;
unsigned int tick_hz = HZ_DEFAULT;
uint64_t tsc_hz, lapic_timer_hz;
const char *calibration_source = "none";

static volatile uint8_t *hpet;
static uint64_t hpet_period_fs;
static bool hpet_64bit, hpet_disabled;
static uint64_t tsc_at_boot;
static uint64_t tsc_to_ns_mult; /* ns = cycles * mult >> 32 */

static struct {
	void (*fn)(void *data);
	void *data;
} tick_hooks[TICK_HOOKS_MAX];

int parse_hz(const char *value, unsigned int *out)
{
	unsigned long v;
	if (cmdline_parse_ulong(value, &v) || v < HZ_MIN || v > HZ_MAX)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int set_hz(const char *value)
{
	return parse_hz(value, &tick_hz);
}
CMDLINE_PARAM("hz", set_hz, "timer ticks per second, 100..10000");

static int set_hpet(const char *value)
{
	if (strcmp(value, "disable") != 0)
		return -1;
	hpet_disabled = true;
	return 0;
}
CMDLINE_PARAM("hpet", set_hpet, "'disable': calibrate against the PIT");

/* ---------------------------------------------------------------- HPET */

static uint64_t hpet_counter(void)
{
	return hpet_64bit ? readq(hpet + HPET_COUNTER)
			  : readl(hpet + HPET_COUNTER);
}

/* Ticks from a to b, minding a 32-bit counter's wrap. */
static uint64_t hpet_delta(uint64_t a, uint64_t b)
{
	return hpet_64bit ? b - a : (uint32_t)(b - a);
}

static bool hpet_init(void)
{
	if (!acpi.hpet_valid || hpet_disabled)
		return false;
	hpet = ioremap(acpi.hpet_phys, 1024);
	if (!hpet)
		return false;
	uint64_t cap = readq(hpet + HPET_CAP);
	hpet_period_fs = cap >> 32;
	hpet_64bit = cap & HPET_CAP_COUNT_64;
	if (hpet_period_fs == 0 || hpet_period_fs > HPET_MAX_PERIOD_FS) {
		pr_err("hpet: period of %lu fs is out of spec: ignoring the HPET\n",
		       hpet_period_fs);
		hpet = NULL;
		return false;
	}
	/* Run the main counter; no comparators, no legacy replacement. */
	writeq(readq(hpet + HPET_CONFIG) | HPET_CFG_ENABLE, hpet + HPET_CONFIG);
	uint64_t khz = 1000000000000ULL / hpet_period_fs;
	pr_info("hpet: at phys 0x%lx mapped at %p, %u comparators, %s counter at %lu.%03lu MHz (period %lu fs)\n",
		acpi.hpet_phys, hpet, (unsigned int)((cap >> 8) & 0x1f) + 1,
		hpet_64bit ? "64-bit" : "32-bit", khz / 1000, khz % 1000,
		hpet_period_fs);
	return true;
}

/* ticks * fs / 10^6, split so that it cannot overflow. */
static uint64_t hpet_ticks_to_ns(uint64_t c)
{
	return c / 1000000 * hpet_period_fs +
	       c % 1000000 * hpet_period_fs / 1000000;
}

bool hpet_read_ns(uint64_t *ns)
{
	if (!hpet)
		return false;
	*ns = hpet_ticks_to_ns(hpet_counter());
	return true;
}

/* ---------------------------------------------------------------- calibration */

/* Turns counts over elapsed_ns into Hz. Over a 20 ms window both fit far
 * below 2^34; a vCPU away for seconds makes them larger, and halving both
 * keeps count * 10^9 from overflowing. */
static uint64_t per_second(uint64_t count, uint64_t elapsed_ns)
{
	while (count >= 1ULL << 34 || elapsed_ns >= 1ULL << 34)
		count >>= 1, elapsed_ns >>= 1;
	return elapsed_ns ? count * 1000000000ULL / elapsed_ns : 0;
}

/*
 * The TSC and the APIC timer's count, read between two reads of a reference
 * clock (the HPET or the PIT): they belong somewhere in that bracket, so a
 * sample is as good as its bracket is narrow. Under TCG the host may set the
 * vCPU aside between any two reads; a sample taken across that is wide, and
 * the calibration does not use it if a narrow one can be had.
 */
struct clock_sample {
	uint64_t ref;	/* the reference just before */
	uint64_t width; /* its ticks from before to after */
	uint64_t tsc;
	uint32_t lapic;
};

static void clock_sample(const struct timer_reference *r,
			 struct clock_sample *s)
{
	s->ref = r->read();
	s->tsc = rdtsc();
	s->lapic = lapic_timer_current();
	s->width = r->delta(s->ref, r->read());
}

/* A first sample within `narrow` ticks, or the narrowest of 1001. */
static void first_sample(const struct timer_reference *r, uint64_t narrow,
			 struct clock_sample *best)
{
	clock_sample(r, best);
	for (int i = 0; i < 1000 && best->width > narrow; i++) {
		struct clock_sample s;
		clock_sample(r, &s);
		if (s.width < best->width)
			*best = s;
	}
}

/* The end of the window: the first sample within `narrow` once `want`
 * ticks have passed since `from`; once twice `want` has passed, the
 * narrowest so far if it is within 1 % of the time passed (a host that
 * sets the vCPU aside just before a sample and again inside it leaves a
 * wide one past twice `want`, which must not end the window); once eight
 * times `want` has passed, the narrowest so far however wide (its ppm
 * says how good it is: a host that never lets a narrow one through must
 * not hold the boot). If the reference runs out (the PIT's count) or
 * never gets there (a stopped counter: 10^6 samples take a second or
 * more), the narrowest so far, or false if there is none. */
static bool last_sample(const struct timer_reference *r,
			const struct clock_sample *from, uint64_t want,
			uint64_t narrow, struct clock_sample *best)
{
	*best = *from;
	best->width = UINT64_MAX; /* (any sample past want is narrower) */
	for (unsigned long tries = 0;; tries++) {
		struct clock_sample s;
		clock_sample(r, &s);
		if ((r->ran_out && r->ran_out()) || tries == 1000000)
			return best->width != UINT64_MAX;
		uint64_t passed = r->delta(from->ref, s.ref);
		if (passed < want)
			continue;
		if (s.width < best->width)
			*best = s;
		if (best->width <= narrow ||
		    (passed >= 2 * want && best->width * 100 <= passed) ||
		    passed >= 8 * want)
			return true;
	}
}

/* The last calibration: its window's error bound (both brackets over the
 * window, ppm) and how many windows it took. */
static uint64_t calibration_error_ppm;
static unsigned int calibration_windows;

uint64_t calibrate_window(const struct timer_reference *r, uint64_t want,
			  uint64_t *tsc, uint64_t *lapic)
{
	struct clock_sample a, b;
	lapic_timer_start_countdown();
	first_sample(r, want / 1000, &a);
	bool counted = last_sample(r, &a, want, want / 1000, &b);
	lapic_timer_stop();
	if (!counted)
		return UINT64_MAX;
	uint64_t passed = r->delta(a.ref, b.ref);
	uint64_t ns = r->to_ns(passed);
	*tsc = per_second(b.tsc - a.tsc, ns);
	*lapic = per_second((uint64_t)(a.lapic - b.lapic) * APIC_DIVISOR,
			    ns); /* counts down */
	if (!*tsc || !*lapic || !passed)
		return UINT64_MAX;
	return per_second(a.width + b.width, passed) / 1000; /* 10^6 / passed */
}

/* Windows until one is within CALIBRATE_GOOD_PPM, at most
 * CALIBRATE_WINDOWS; the best of them. `prepare` readies the reference
 * before each (the PIT's count); false if no window counted. */
#define CALIBRATE_WINDOWS 8
#define CALIBRATE_GOOD_PPM 2000
static bool calibrate_best(const struct timer_reference *r, uint64_t want,
			   void (*prepare)(void), uint64_t *tsc,
			   uint64_t *lapic)
{
	uint64_t best = UINT64_MAX;
	unsigned int n = 0;
	while (n < CALIBRATE_WINDOWS && best > CALIBRATE_GOOD_PPM) {
		uint64_t t, l, ppm;
		if (prepare)
			prepare();
		ppm = calibrate_window(r, want, &t, &l);
		n++;
		/* A reference that never got there without running out has
		 * stopped (an HPET or a PIT that does not count): no use
		 * trying again. */
		if (ppm == UINT64_MAX && !(r->ran_out && r->ran_out()))
			break;
		if (ppm < best) {
			best = ppm;
			*tsc = t;
			*lapic = l;
		}
	}
	calibration_error_ppm = best;
	calibration_windows = n;
	return best != UINT64_MAX;
}

static const struct timer_reference hpet_reference = { hpet_counter, hpet_delta,
						       hpet_ticks_to_ns, NULL };

bool calibrate_against_hpet(unsigned int ms, uint64_t *tsc, uint64_t *lapic)
{
	if (!hpet)
		return false;
	uint64_t want = (uint64_t)ms * 1000000000000ULL / hpet_period_fs;
	return calibrate_best(&hpet_reference, want, NULL, tsc, lapic);
}

/* Channel 2's count right now (the latch command freezes it for reading). */
static uint16_t pit_ch2_read(void)
{
	outb(PIT_MODE, 0x80); /* counter latch, channel 2 */
	uint8_t lo = inb(PIT_CH2);
	uint8_t hi = inb(PIT_CH2);
	return lo | (uint16_t)hi << 8;
}

/* The PIT as a reference counting up: channel 2 counts down. */
static uint64_t pit_up(void)
{
	return (uint16_t)~pit_ch2_read();
}

static uint64_t pit_delta(uint64_t a, uint64_t b)
{
	return (uint16_t)(b - a);
}

static uint64_t pit_ticks_to_ns(uint64_t ticks)
{
	return ticks * 1000000000ULL / PIT_HZ;
}

/* OUT2 went high: the count reached 0 and wrapped. */
static bool pit_ran_out(void)
{
	return inb(PIT_CH2_GATE) & 0x20;
}

static const struct timer_reference pit_reference = { pit_up, pit_delta,
						      pit_ticks_to_ns,
						      pit_ran_out };

/* Channel 2 counts down from 0xffff in mode 0 with its gate on (port 0x61
 * also switches the speaker off), from the next PIT clock on. */
static void pit_ch2_load(void)
{
	outb(PIT_CH2_GATE, (inb(PIT_CH2_GATE) & ~0x02) | 0x01);
	outb(PIT_MODE, 0xb0); /* channel 2, lobyte/hibyte, mode 0 */
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	unsigned long spins = 0;
	while (pit_ch2_read() > 0xfff0 && ++spins < 1000000)
		; /* the count loads on the next PIT clock */
}

/*
 * The elapsed time is read from the counter itself, not assumed; if the
 * vCPU was away so long that the count ran out (OUT2 high), the window
 * ends with what it had, or counts for nothing, and another is tried.
 */
bool calibrate_against_pit(unsigned int ms, uint64_t *tsc, uint64_t *lapic)
{
	uint32_t want = (uint32_t)((uint64_t)PIT_HZ * ms / 1000);
	/* The window runs to twice that when the host is slow, from a
	 * first sample taken a little after the count loaded: room below
	 * the wrap (a longer one ends when the count runs out). */
	if (want == 0 || want > 0x7800)
		return false;
	if (calibrate_best(&pit_reference, want, pit_ch2_load, tsc, lapic))
		return true;
	pr_err(
	    "timer: PIT channel 2 calibration failed (the count ran out before a reading, or did not count)\n");
	return false;
}

/* ---------------------------------------------------------------- the tick */

/*
 * Every CPU's tick reads the hook table, so a slot is published with a
 * release store of fn after its data, read with one acquire load, and
 * claimed with a compare-and-swap. Unregistering waits until every CPU has
 * passed through an interrupt (an IPI round) so that no tick is still
 * running the hook when it returns.
 */
static void tick_hooks_quiesce(void *arg)
{
	(void)arg; /* reaching here means this CPU left any tick it was in */
}

int register_tick_hook(void (*fn)(void *data), void *data)
{
	for (int i = 0; i < TICK_HOOKS_MAX; i++) {
		void (*expected)(void *) = NULL;
		if (__atomic_load_n(&tick_hooks[i].fn, __ATOMIC_RELAXED))
			continue;
		/* Claim with a placeholder so data is set before fn is seen. */
		if (!__atomic_compare_exchange_n(&tick_hooks[i].fn, &expected,
						 tick_hooks_quiesce, false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		tick_hooks[i].data = data;
		__atomic_store_n(&tick_hooks[i].fn, fn, __ATOMIC_RELEASE);
		return 0;
	}
	return -1;
}

void unregister_tick_hook(void (*fn)(void *data), void *data)
{
	for (int i = 0; i < TICK_HOOKS_MAX; i++)
		if (__atomic_load_n(&tick_hooks[i].fn, __ATOMIC_ACQUIRE) ==
			fn &&
		    tick_hooks[i].data == data)
			__atomic_store_n(&tick_hooks[i].fn, NULL,
					 __ATOMIC_RELEASE);
	if (!irqs_disabled() && !in_interrupt())
		smp_call_function(tick_hooks_quiesce, NULL);
}

static irqreturn_t timer_interrupt(unsigned int vector, void *dev_id)
{
	(void)vector;
	(void)dev_id;
	/* Every CPU ticks, but time advances once: on the boot CPU (Linux's
	 * tick_do_timer_cpu). The hooks run on each CPU's own tick. */
	if (this_cpu_irq() == &boot_cpu_irq)
		jiffies++;
	for (int i = 0; i < TICK_HOOKS_MAX; i++) {
		void (*fn)(void *) =
		    __atomic_load_n(&tick_hooks[i].fn, __ATOMIC_ACQUIRE);
		if (fn && fn != tick_hooks_quiesce)
			fn(tick_hooks[i].data);
	}
	sched_tick(); /* timeouts and time slices */
	return IRQ_HANDLED;
}

/* ---------------------------------------------------------------- clocks */

uint64_t ktime_get_ns(void)
{
	if (!tsc_to_ns_mult)
		return 0;
	return (uint64_t)((unsigned __int128)(rdtsc() - tsc_at_boot) *
			      tsc_to_ns_mult >>
			  32);
}

/* One deadline for the whole wait: interrupts taken meanwhile count. */
static void delay_cycles(uint64_t cycles)
{
	uint64_t start = rdtsc();
	while (rdtsc() - start < cycles)
		__builtin_ia32_pause();
}

void udelay(unsigned long usecs)
{
	if (!tsc_hz) {
		while (usecs--)
			outb(0x80, 0); /* about a microsecond on real ISA */
		return;
	}
	delay_cycles(usecs * (tsc_hz / 1000) / 1000);
}

void mdelay(unsigned long msecs)
{
	if (!tsc_hz) {
		while (msecs--)
			udelay(1000);
		return;
	}
	delay_cycles(msecs * (tsc_hz / 1000));
}

static void print_mhz(const char *what, uint64_t hz)
{
	uint64_t khz = hz / 1000;
	pr_info("timer: %s %lu.%03lu MHz\n", what, khz / 1000, khz % 1000);
}

uint32_t timer_start_this_cpu(void)
{
	uint32_t count = (uint32_t)(lapic_timer_hz / APIC_DIVISOR / tick_hz);
	lapic_timer_periodic(LOCAL_TIMER_VECTOR, count);
	return count;
}

void time_init(void)
{
	bool ok;

	ok = hpet_init();
	if (ok) {
		calibration_source = "HPET";
		ok = calibrate_against_hpet(CALIBRATE_MS, &tsc_hz,
					    &lapic_timer_hz);
		if (!ok)
			pr_err("timer: the HPET did not count through %d ms: trying the PIT\n",
			       CALIBRATE_MS);
	}
	if (!ok) {
		calibration_source = "PIT";
		ok = calibrate_against_pit(CALIBRATE_MS, &tsc_hz,
					   &lapic_timer_hz);
	}
	if (!ok) {
		/* Any tick beats none: QEMU's APIC runs at 1 GHz. */
		pr_err("timer: calibration against the %s failed; assuming a 1 GHz APIC timer and TSC\n",
		       calibration_source);
		tsc_hz = lapic_timer_hz = 1000000000ULL;
		calibration_source = "nothing (assumed)";
	}
	tsc_at_boot = rdtsc();
	tsc_to_ns_mult = (1000000000ULL << 32) / tsc_hz;
	if (ok)
		pr_info("timer: calibrated against the %s over %d ms, within %lu ppm (%u window%s):\n",
			calibration_source, CALIBRATE_MS,
			(unsigned long)calibration_error_ppm,
			calibration_windows,
			calibration_windows == 1 ? "" : "s");
	if (ok && calibration_error_ppm > CALIBRATE_GOOD_PPM)
		pr_warn("timer: no calibration window within %d ppm: the host kept the vCPU away; times may be off by %lu ppm\n",
			CALIBRATE_GOOD_PPM,
			(unsigned long)calibration_error_ppm);
	print_mhz("TSC", tsc_hz);
	print_mhz("LAPIC timer input clock", lapic_timer_hz);

	if (request_vector(LOCAL_TIMER_VECTOR, timer_interrupt, "timer", NULL))
		return;
	uint32_t count = timer_start_this_cpu();
	pr_info("timer: periodic tick at %u Hz (APIC timer /%d, count %u, vector 0x%x)\n",
		tick_hz, APIC_DIVISOR, count, LOCAL_TIMER_VECTOR);
}

/* ---------------------------------------------------------------- PIT channel 0 */

void pit_start_periodic(unsigned int hz)
{
	uint32_t latch = PIT_HZ / hz;
	outb(PIT_MODE, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate) */
	outb(PIT_CH0, latch & 0xff);
	outb(PIT_CH0, (latch >> 8) & 0xff);
}

void pit_stop(void)
{
	/* Mode 0 with a zero count fires once, then stays quiet (Linux's
	 * pit_shutdown does the same). */
	outb(PIT_MODE, 0x30);
	outb(PIT_CH0, 0);
	outb(PIT_CH0, 0);
}
