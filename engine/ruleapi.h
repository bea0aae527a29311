/* ruleapi: the `ctx` a rule's check(ctx) receives -- as_of, params, a
 * read-only view of the map, ctx:rows / ctx:one over a read-only database
 * connection with bound parameters only, ctx:flag to record findings (sent
 * straight to the parent over the worker's pipe, within an output budget),
 * ctx:log, and calendar helpers. Every finding gets the as-of date, the
 * rule's parameters in effect and the rows it rests on attached here, and
 * its evidence values typed (number, integer, date, boolean, text, null). Also the strict global
 * table: reading a global that does not exist is an error, naming the forbidden ones; and
 * ctx:combined_assurance, mapstate's computation over the rule's connection. Uses sandbox,
 * store (read-only queries), map, rule, finding, date, wire, mapstate, heldsort. */
#ifndef ASSURE_RULEAPI_H
#define ASSURE_RULEAPI_H

#include <stddef.h>

#include "finding.h"
#include "heldsort.h"
#include "map.h"
#include "rule.h"
#include "sandbox.h"
#include "store.h"
#include "util.h"
#include "wire.h"

typedef struct {
    size_t max_findings; /* per rule */
    size_t max_bytes;    /* total bytes of findings per rule */
} asr_output_budget;

typedef struct {
    asr_sandbox *sb;
    asr_ro *ro; /* NULL: queries are refused (validate, unit tests) */
    const asr_map *map;
    const asr_rule *rule;
    const char *as_of; /* YYYY-MM-DD */
    int out_fd;        /* where findings go; -1 to keep them in `sent` only */
    asr_output_budget budget;
    asr_finding_sink *sink; /* NULL: send findings as 'F' messages; else its bytes, as 'B' blocks */
    asr_finding_classifier *classifier; /* NULL: findings go as the rule made them */

    asr_strset *reads; /* if set: gets the map_* names of the map parts the rule read */
    asr_strset ids[6]; /* per asr_ref: the map's ids, built on first use by ctx:flag */
    int have_ids[6];

    /* what happened */
    char row[160]; /* the row a ctx:rows loop last gave, for a failure: "action_id = A-2" */
    size_t findings, bytes, logs, logs_dropped;
    int output_exceeded;
    asr_buf msg;       /* scratch for wire messages */
    asr_buf out;       /* messages waiting to be sent: one write per 64 KiB, not per finding */
    asr_heldsort held; /* findings, held until the rule has finished (in memory,
                        * or beyond a limit in the worker's file: heldsort) */
    int held_failed;   /* the file could not be written: the rule fails */
    asr_buf params;    /* the rule's parameters in effect, packed once (asr_finding_pack) */
    int have_params;
    asr_buf list; /* scratch for a finding's packed rows and evidence */
} asr_ctx;

/* Sends what ctx:log has queued. 0, or -1 if the pipe is gone. */
int asr_ctx_flush(asr_ctx *c);

/* Sends the rule's findings, sorted by subject and message (then flagging
 * order), each with its fingerprint, so the parent only has to put the
 * rules' blocks in order. Without c->sink each finding is an 'F' message;
 * with one, the bytes the sink makes of them go in 'B' messages of about
 * 64 KiB ('V' for waived findings), then an 'N' message with their count and
 * the counts by severity (high, medium, low), waived ones apart, and the
 * waived count. The classifier's note, if any, follows as a 'K' message.
 * Call once the rule has finished. 0, or -1 if the pipe is gone or the
 * held findings could not be read back (c->held_failed set,
 * asr_heldsort_error(&c->held) says why). */
int asr_ctx_send_findings(asr_ctx *c);

/* Message prefix for errors that are attempts to leave the sandbox. */
#define ASR_SANDBOX_PREFIX "sandbox: "

/* Makes reading an undefined global an error in this state. Call once after
 * the rule chunk has run. */
void asr_ruleapi_strict_globals(lua_State *L);

/* Pushes the ctx table for c onto the Lua stack. c must outlive the call. */
void asr_ruleapi_push_ctx(lua_State *L, asr_ctx *c);

/* Frees what c holds (not the sandbox, connection or map). */
void asr_ctx_free(asr_ctx *c);

#endif
