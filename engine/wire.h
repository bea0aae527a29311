/* wire: the messages a rule worker sends its parent over a pipe. A message
 * is a type byte and a list of byte strings, each length-prefixed, so any
 * bytes a rule produces travel safely. Uses util. */
#ifndef ASSURE_WIRE_H
#define ASSURE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define ASR_WIRE_MAX_FIELDS 64
#define ASR_WIRE_MAX_MESSAGE (8u << 20)

typedef struct asr_wire_msg {
    char type;
    size_t n;
    const char *field[ASR_WIRE_MAX_FIELDS]; /* point into the reader's buffer */
    uint32_t len[ASR_WIRE_MAX_FIELDS];
    const char *raw; /* the whole message as it came, header included */
    size_t raw_len;
} asr_wire_msg;

/* Builds a message in out (cleared first). */
void asr_wire_begin(asr_buf *out, char type);
void asr_wire_add(asr_buf *out, const char *s, size_t len);
void asr_wire_adds(asr_buf *out, const char *s); /* NULL is sent as an empty field */

/* A one-field message built in place, with no copy of the field: reserve
 * ASR_WIRE_ONE_HEADER bytes at the start of b, append the field's bytes,
 * then asr_wire_frame_one(b, type) fills the header in. */
#define ASR_WIRE_ONE_HEADER 13
void asr_wire_frame_one(asr_buf *b, char type);

/* Writes the whole buffer to fd, retrying short writes. 0 or -1. */
int asr_wire_send(int fd, const asr_buf *msg);

/* Reader side: feed bytes as they arrive, then take complete messages. */
typedef struct {
    asr_buf in;
    size_t pos;
} asr_wire_reader;

void asr_wire_feed(asr_wire_reader *r, const char *data, size_t len);
/* Reads the message at the start of p (avail bytes) into *m, whose fields
 * point into p: its size in bytes, 0 if it is not all there, -1 if it is
 * malformed. */
int asr_wire_parse(const char *p, size_t avail, asr_wire_msg *m);
/* 1: a message in *m (valid until the next feed/next); 0: need more bytes;
 * -1: malformed stream. */
int asr_wire_next(asr_wire_reader *r, asr_wire_msg *m);
void asr_wire_reader_free(asr_wire_reader *r);

#endif
