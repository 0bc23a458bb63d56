/*
 * Turns memory map fixtures (the .map files in tests/fixtures, the text format) into
 * seed inputs for fuzz_memmap: a 3-byte header (descriptor size 48, version
 * 1, MAXPHYADDR 52) and the raw 48-byte descriptors OVMF would write.
 * Usage: make-seeds OUTDIR FILE.map...
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	for (int f = 2; f < argc; f++) {
		FILE *in = fopen(argv[f], "r");
		if (!in) {
			perror(argv[f]);
			return 2;
		}
		const char *base = strrchr(argv[f], '/');
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.bin", argv[1],
			 base ? base + 1 : argv[f]);
		FILE *out = fopen(path, "wb");
		if (!out) {
			perror(path);
			return 2;
		}
		/* data[0] % 8 == 1 -> 48 bytes; data[2] % 17 == 16 -> 52 bits */
		const unsigned char header[3] = { 1, 1, 16 };
		fwrite(header, 1, 3, out);
		char line[512];
		while (fgets(line, sizeof(line), in)) {
			unsigned long long type, start, pages, attr;
			if (line[0] == '#' ||
			    sscanf(line, "%llu %llx %llx %llx", &type, &start,
				   &pages, &attr) != 4)
				continue;
			uint8_t d[48] = { 0 };
			uint32_t t = (uint32_t)type;
			memcpy(d, &t, 4);
			memcpy(d + 8, &start, 8);
			memcpy(d + 24, &pages, 8);
			memcpy(d + 32, &attr, 8);
			fwrite(d, 1, sizeof(d), out);
		}
		fclose(in);
		fclose(out);
	}
	return 0;
}
