/*
 * Time: the TSC, HPET and PIT as clocks, the local APIC timer as the tick.
 * At boot the APIC timer and the TSC are calibrated against the HPET (or,
 * without one, PIT channel 2); the APIC timer then ticks `hz=` times a
 * second (default 1000), each tick advancing jiffies.
 * See docs/04-interrupts.md ("Time and the tick").
 */
#ifndef LABYRINTH_KERNEL_ARCH_X86_TIMER_H
#define LABYRINTH_KERNEL_ARCH_X86_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define HZ_DEFAULT 1000
#define HZ_MIN 100
#define HZ_MAX 10000
#define PIT_HZ 1193182 /* the 8254's input clock: 14.31818 MHz / 12 */

/* Ticks since time_init(); written only by the tick interrupt. */
extern volatile unsigned long jiffies;
/* Ticks per second (the hz= option), Linux's HZ. */
extern unsigned int tick_hz;

/* Calibrated frequencies, in Hz (0 before time_init). */
extern uint64_t tsc_hz;
extern uint64_t lapic_timer_hz; /* the APIC timer's input clock, before /16 */
extern const char *calibration_source; /* "HPET" or "PIT" */

/*
 * Maps the HPET (if ACPI found one and hpet=disable was not given),
 * calibrates the TSC and the APIC timer, prints both, and starts the
 * periodic tick. Call after init_IRQ(), with interrupts still disabled.
 */
void time_init(void);

/* Starts the periodic tick on the calling CPU with the boot CPU's
 * calibration (all local APIC timers share one input clock); for APs.
 * Returns the APIC timer's initial count. */
uint32_t timer_start_this_cpu(void);

/* Parses an hz= value: 0 and the number if accepted, -1 if not. */
int parse_hz(const char *value, unsigned int *out);

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Nanoseconds since time_init(), from the TSC (0 before it). */
uint64_t ktime_get_ns(void);

/* The HPET's main counter in nanoseconds; false if there is no HPET. */
bool hpet_read_ns(uint64_t *ns);

/* Busy-waits (the TSC; before calibration, port 0x80 writes). */
void udelay(unsigned long usecs);
void mdelay(unsigned long msecs);

static inline unsigned long jiffies_to_msecs(unsigned long j)
{
	return j * 1000 / tick_hz;
}
static inline unsigned long msecs_to_jiffies(unsigned long ms)
{
	return (ms * tick_hz + 999) / 1000;
}

/*
 * Functions called from every tick, in interrupt context (interrupts off),
 * after jiffies advanced. At most TICK_HOOKS_MAX at once; 0 or -1 if full.
 */
#define TICK_HOOKS_MAX 8
int register_tick_hook(void (*fn)(void *data), void *data);
void unregister_tick_hook(void (*fn)(void *data), void *data);

/* Measures TSC and APIC timer frequencies against the PIT or the HPET now
 * (tests compare the two): windows until one is within 0.2 %, at most 8,
 * the best of them. Interrupts must be disabled. False on failure. */
bool calibrate_against_pit(unsigned int ms, uint64_t *tsc, uint64_t *lapic);
bool calibrate_against_hpet(unsigned int ms, uint64_t *tsc, uint64_t *lapic);

/* A clock to calibrate against: the HPET, the PIT, or a test's. */
struct timer_reference {
	uint64_t (*read)(void);			   /* counts up */
	uint64_t (*delta)(uint64_t a, uint64_t b); /* ticks from a to b */
	uint64_t (*to_ns)(uint64_t ticks);
	bool (*ran_out)(void); /* a count that can no longer be trusted */
};
/* One window of `want` reference ticks, the APIC timer counting down
 * through it: the TSC's and the APIC timer's rates, and the window's error
 * bound (the two samples' brackets over the window) in ppm, or UINT64_MAX
 * if the reference did not get there (ran out, or stopped). */
uint64_t calibrate_window(const struct timer_reference *r, uint64_t want,
			  uint64_t *tsc, uint64_t *lapic);

/* PIT channel 0 as a periodic IRQ 0 source (for the I/O APIC tests). */
void pit_start_periodic(unsigned int hz);
void pit_stop(void);

#endif
