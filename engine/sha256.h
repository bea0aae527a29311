/* sha256: SHA-256 (FIPS 180-4), used to fingerprint imported files and the
 * map so an identical re-import is recognised, and to fingerprint findings.
 * A thin wrapper over nettle's sha256 (which picks the processor's SHA
 * instructions itself where it has them). Uses nettle. */
#ifndef ASSURE_SHA256_H
#define ASSURE_SHA256_H

#include <stddef.h>

#include <nettle/sha2.h>

typedef struct {
    struct sha256_ctx ctx;
} asr_sha256;

void asr_sha256_init(asr_sha256 *c);
void asr_sha256_update(asr_sha256 *c, const void *data, size_t len);
/* Writes 64 lowercase hex digits and a NUL into hex. */
void asr_sha256_final_hex(asr_sha256 *c, char hex[65]);

/* The nettle version ("3.8"), for --version. Writes into buf. */
const char *asr_sha256_nettle_version(char *buf, size_t size);

#endif
