/*
 * nothp COMMAND [ARG...]: runs COMMAND with transparent huge pages off for
 * it and its children (prctl PR_SET_THP_DISABLE, kept across execve), so
 * that `make bench` can boot QEMU with and without huge pages behind guest
 * RAM (boot-rss.sh; docs/03b-free-memory-untouched-at-boot.md).
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: nothp COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		perror("nothp: prctl(PR_SET_THP_DISABLE)");
		return 2;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
