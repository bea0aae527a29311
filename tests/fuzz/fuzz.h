/* The entry point every fuzz target defines (libFuzzer calls it once per
 * input; replay.c calls it once per file for the regression tests). Each
 * target returns 0 and must not leak, crash or print. */
#ifndef ASSURE_FUZZ_H
#define ASSURE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (a crash the fuzzer reports) when cond is false: the targets'
 * oracles, kept even in builds with NDEBUG. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#endif
