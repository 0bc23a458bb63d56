/*
 * cpu_identify: what the boot CPU is and can do, read with CPUID. Later
 * issues need the features listed here (x2APIC, TSC-deadline timer,
 * invariant TSC); MAXPHYADDR bounds the memory map (mm/).
 */
#include "kernel/arch/x86/cpu.h"
#include "kernel/lib/string.h"

struct cpu_info boot_cpu;

void cpu_identify(struct cpu_info *c)
{
	uint32_t r[4];

	memset(c, 0, sizeof(*c));
	cpuid(0, 0, r);
	uint32_t max_leaf = r[0];
	memcpy(c->vendor, &r[1], 4);
	memcpy(c->vendor + 4, &r[3], 4);
	memcpy(c->vendor + 8, &r[2], 4);

	if (max_leaf >= 1) {
		cpuid(1, 0, r);
		c->stepping = r[0] & 0xf;
		c->family = (r[0] >> 8) & 0xf;
		c->model_number = (r[0] >> 4) & 0xf;
		if (c->family == 0xf)
			c->family += (r[0] >> 20) & 0xff;
		if (c->family >= 6)
			c->model_number |= ((r[0] >> 16) & 0xf) << 4;
		c->x2apic = r[2] & (1u << 21);
		c->tsc_deadline = r[2] & (1u << 24);
		c->hypervisor = r[2] & (1u << 31);
	}

	cpuid(0x80000000, 0, r);
	uint32_t max_ext = r[0];
	if (max_ext >= 0x80000001) {
		cpuid(0x80000001, 0, r);
		c->nx = r[3] & (1u << 20);
		c->pdpe1gb = r[3] & (1u << 26);
	}
	if (max_ext >= 0x80000004) {
		for (uint32_t i = 0; i < 3; i++) {
			cpuid(0x80000002 + i, 0, r);
			memcpy(c->model + 16 * i, r, 16);
		}
	}
	if (max_ext >= 0x80000007) {
		cpuid(0x80000007, 0, r);
		c->invariant_tsc = r[3] & (1u << 8);
	}
	/* Without leaf 0x80000008 the architecture promises 36 bits. */
	c->max_phys_addr_bits = 36;
	c->max_virt_addr_bits = 48;
	if (max_ext >= 0x80000008) {
		cpuid(0x80000008, 0, r);
		c->max_phys_addr_bits = r[0] & 0xff;
		c->max_virt_addr_bits = (r[0] >> 8) & 0xff;
	}
	/* Brand strings are often padded with leading spaces. */
	char *m = c->model;
	while (*m == ' ')
		m++;
	memmove(c->model, m, strlen(m) + 1);
}
