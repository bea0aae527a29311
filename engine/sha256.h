/* sha256: SHA-256 (FIPS 180-4), used to fingerprint imported files and the
 * map so an identical re-import is recognised, and to fingerprint findings.
 * Portable C, and the x86-64 SHA instructions where the processor has them.
 * Uses libc only. */
#ifndef ASSURE_SHA256_H
#define ASSURE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t bits;
    unsigned char block[64];
    size_t fill;
} asr_sha256;

void asr_sha256_init(asr_sha256 *c);
void asr_sha256_update(asr_sha256 *c, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex. */
void asr_sha256_final_hex(asr_sha256 *c, char hex[65]);

/* The processor's SHA instructions are used where it has them. allow = 0
 * forces the portable code (for tests); returns whether they are in use. */
int asr_sha256_hardware(int allow);

#endif
