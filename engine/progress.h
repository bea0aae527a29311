/* progress: how far a long piece of work has got, for someone watching a
 * terminal or reading a scheduler's log. Owns one command's progress
 * display: what is at work (the dataset being imported, the rules being
 * run), its counts (rows and bytes read against the file's size, rules
 * finished against the rules to run, findings so far), the rate, and the
 * estimate of the time left where the size is known.
 *
 * Two ways of showing it, chosen by whoever makes the handle (the command
 * line): live, one line on a terminal redrawn in place (carriage return,
 * clear to end of line) at most 4 times a second, cut to the terminal's
 * width and cleared when the work ends, so the next line starts clean; or
 * log, a plain timestamped line when a piece of work starts, every 5
 * seconds while it goes on, and when it ends -- no carriage returns, no
 * colour -- for a scheduler's log.
 *
 * Library code is handed a handle in its options (NULL: no progress) and
 * tells it what is happening; it never learns where the lines go. Reporting
 * is cheap: a caller reports every few thousand rows, and the clock is read
 * only then. Names shown are escaped like every other text output. Uses
 * util. */
#ifndef ASSURE_PROGRESS_H
#define ASSURE_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef enum {
    ASR_PROGRESS_LIVE, /* a terminal: one line redrawn in place */
    ASR_PROGRESS_LOG,  /* a log: timestamped lines every few seconds */
} asr_progress_mode;

typedef struct asr_progress asr_progress;

/* A display on out (borrowed) for the command named verb ("import"). */
asr_progress *asr_progress_new(FILE *out, asr_progress_mode mode, const char *verb);

/* Clears a live line still shown and frees. Accepts NULL. */
void asr_progress_free(asr_progress *p);

/* ---- reading a file (import) ---- */

/* Reading starts for `what` (a dataset id); total_bytes is the file's size
 * when the bytes read can be compared with it, else 0 (no estimate). */
void asr_progress_begin(asr_progress *p, const char *what, unsigned long long total_bytes);

/* Rows read so far and bytes consumed (0: not known) of the current piece.
 * Redraws when it is time to. Callers call it every few thousand rows. */
void asr_progress_rows(asr_progress *p, long long rows, unsigned long long bytes);

/* What the work is doing now that reading is over ("storing", "committing");
 * shown at once. NULL: back to the counts. */
void asr_progress_phase(asr_progress *p, const char *phase);

/* The current piece is done: a log gets a line with its totals; a live
 * line is cleared. */
void asr_progress_end(asr_progress *p);

/* ---- running rules (check) ---- */

/* The rules' state: done of total finished, findings so far, and the ids of
 * those at work (at_work[0..n_work)). Redraws when it is time to; `force`
 * draws now (a log line too) -- for the first and last call. */
void asr_progress_rules(asr_progress *p, size_t done, size_t total, size_t findings,
                        const char *const *at_work, size_t n_work, int force);

/* How often the callers above may be called without cost: rows between
 * calls of asr_progress_rows. */
#define ASR_PROGRESS_EVERY 1024

#endif
