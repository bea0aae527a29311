#include "wire.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void put_u32(asr_buf *b, uint32_t v)
{
    char c[4] = {(char)(v >> 24), (char)(v >> 16), (char)(v >> 8), (char)v};
    asr_buf_add(b, c, 4);
}

static uint32_t get_u32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Layout: type, total length of what follows (u32), field count (u32), then
 * each field as length (u32) and bytes. */
void asr_wire_begin(asr_buf *out, char type)
{
    asr_buf_clear(out);
    asr_buf_addc(out, type);
    put_u32(out, 4);
    put_u32(out, 0);
}

void asr_wire_add(asr_buf *out, const char *s, size_t len)
{
    put_u32(out, (uint32_t)len);
    asr_buf_add(out, s, len);
    uint32_t total = get_u32(out->data + 1) + 4 + (uint32_t)len;
    uint32_t count = get_u32(out->data + 5) + 1;
    for (int i = 0; i < 4; i++) {
        out->data[1 + i] = (char)(total >> (24 - 8 * i));
        out->data[5 + i] = (char)(count >> (24 - 8 * i));
    }
}

void asr_wire_adds(asr_buf *out, const char *s)
{
    asr_wire_add(out, s ? s : "", s ? strlen(s) : 0);
}

static void set_u32(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

void asr_wire_frame_one(asr_buf *b, char type)
{
    uint32_t len = (uint32_t)(b->len - ASR_WIRE_ONE_HEADER);
    b->data[0] = type;
    set_u32(b->data + 1, 8 + len); /* the count, the field's length, its bytes */
    set_u32(b->data + 5, 1);
    set_u32(b->data + 9, len);
}

int asr_wire_send(int fd, const asr_buf *msg)
{
    size_t off = 0;
    while (off < msg->len) {
        ssize_t n = write(fd, msg->data + off, msg->len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        off += (size_t)n;
    }
    return 0;
}

void asr_wire_feed(asr_wire_reader *r, const char *data, size_t len)
{
    if (r->pos && r->pos == r->in.len) {
        asr_buf_clear(&r->in);
        r->pos = 0;
    } else if (r->pos > (1u << 20)) {
        memmove(r->in.data, r->in.data + r->pos, r->in.len - r->pos);
        r->in.len -= r->pos;
        r->pos = 0;
    }
    asr_buf_add(&r->in, data, len);
}

int asr_wire_next(asr_wire_reader *r, asr_wire_msg *m)
{
    size_t avail = r->in.len - r->pos;
    if (avail < 9)
        return 0;
    const char *p = r->in.data + r->pos;
    uint32_t total = get_u32(p + 1);
    if (total < 4 || total > ASR_WIRE_MAX_MESSAGE)
        return -1;
    if (avail < 5 + (size_t)total)
        return 0;
    uint32_t count = get_u32(p + 5);
    if (count > ASR_WIRE_MAX_FIELDS)
        return -1;
    m->type = p[0];
    m->n = count;
    size_t off = 9, end = 5 + (size_t)total;
    for (uint32_t i = 0; i < count; i++) {
        if (off + 4 > end)
            return -1;
        uint32_t len = get_u32(p + off);
        off += 4;
        if (off + len > end)
            return -1;
        m->field[i] = p + off;
        m->len[i] = len;
        off += len;
    }
    if (off != end)
        return -1;
    r->pos += end;
    return 1;
}

void asr_wire_reader_free(asr_wire_reader *r)
{
    asr_buf_free(&r->in);
    r->pos = 0;
}
