/*
 * Misuse for tests/fuzz/fuzz_alloc.c (fuzz_alloc_bad.c): bad frees of
 * pages and of mempool elements, API calls with impossible arguments,
 * and writes to free pages that page_poison must catch. a, b, kind and
 * idx are input bytes.
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#ifndef LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_BAD_H
#define LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_BAD_H

void fz_bad_free(unsigned int kind, unsigned int idx);
void fz_pool_bad_free(unsigned int kind, unsigned int idx);
void fz_bad_call(unsigned int a, unsigned int b);
void fz_scribble(unsigned int a, unsigned int b);

#endif
