#include "sha256.h"

#include <nettle/version.h>
#include <stdio.h>

void asr_sha256_init(asr_sha256 *c)
{
    sha256_init(&c->ctx);
}

void asr_sha256_update(asr_sha256 *c, const void *data, size_t len)
{
    sha256_update(&c->ctx, len, data);
}

void asr_sha256_final_hex(asr_sha256 *c, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[SHA256_DIGEST_SIZE];
    sha256_digest(&c->ctx, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 0xf];
    }
    hex[64] = '\0';
}

const char *asr_sha256_nettle_version(char *buf, size_t size)
{
    snprintf(buf, size, "%d.%d", nettle_version_major(), nettle_version_minor());
    return buf;
}
