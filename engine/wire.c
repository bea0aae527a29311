#include "wire.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Layout: type, total length of what follows (u32), field count (u32), then
 * each field as length (u32) and bytes. */
void asr_wire_begin(asr_buf *out, char type)
{
    asr_buf_clear(out);
    asr_buf_addc(out, type);
    asr_buf_add_be32(out, 4);
    asr_buf_add_be32(out, 0);
}

void asr_wire_add(asr_buf *out, const char *s, size_t len)
{
    asr_buf_add_be32(out, (uint32_t)len);
    asr_buf_add(out, s, len);
    asr_be32_put(out->data + 1, asr_be32_get(out->data + 1) + 4 + (uint32_t)len);
    asr_be32_put(out->data + 5, asr_be32_get(out->data + 5) + 1);
}

void asr_wire_adds(asr_buf *out, const char *s)
{
    asr_wire_add(out, s ? s : "", s ? strlen(s) : 0);
}

void asr_wire_frame_one(asr_buf *b, char type)
{
    uint32_t len = (uint32_t)(b->len - ASR_WIRE_ONE_HEADER);
    b->data[0] = type;
    asr_be32_put(b->data + 1, 8 + len); /* the count, the field's length, its bytes */
    asr_be32_put(b->data + 5, 1);
    asr_be32_put(b->data + 9, len);
}

int asr_wire_send(int fd, const asr_buf *msg)
{
    return asr_write_all(fd, msg->data, msg->len, -1);
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

int asr_wire_parse(const char *p, size_t avail, asr_wire_msg *m)
{
    if (avail < 9)
        return 0;
    uint32_t total = asr_be32_get(p + 1);
    if (total < 4 || total > ASR_WIRE_MAX_MESSAGE)
        return -1;
    if (avail < 5 + (size_t)total)
        return 0;
    uint32_t count = asr_be32_get(p + 5);
    if (count > ASR_WIRE_MAX_FIELDS)
        return -1;
    m->type = p[0];
    m->n = count;
    size_t off = 9, end = 5 + (size_t)total;
    for (uint32_t i = 0; i < count; i++) {
        if (off + 4 > end)
            return -1;
        uint32_t len = asr_be32_get(p + off);
        off += 4;
        if (off + len > end)
            return -1;
        m->field[i] = p + off;
        m->len[i] = len;
        off += len;
    }
    if (off != end)
        return -1;
    m->raw = p;
    m->raw_len = end;
    return (int)end;
}

int asr_wire_next(asr_wire_reader *r, asr_wire_msg *m)
{
    if (r->in.len - r->pos < 9)
        return 0;
    int size = asr_wire_parse(r->in.data + r->pos, r->in.len - r->pos, m);
    if (size <= 0)
        return size;
    r->pos += (size_t)size;
    return 1;
}

void asr_wire_reader_free(asr_wire_reader *r)
{
    asr_buf_free(&r->in);
    r->pos = 0;
}
