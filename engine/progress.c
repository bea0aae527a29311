#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define LIVE_EVERY 0.25 /* seconds between redraws of a live line: 4 a second */
#define LOG_EVERY 5.0   /* seconds between lines of a log */
#define LINE_MAX_BYTES 512

struct asr_progress {
    FILE *out;
    asr_progress_mode mode;
    char verb[32];
    /* the piece at work: a file being read, or the rules */
    char what[128];
    int active;
    unsigned long long total, bytes;
    long long rows;
    char phase[64];
    int rules; /* the piece is a set of rules */
    size_t done, n_rules, findings;
    char work[256];
    double start, last;
    int shown;   /* a live line is on the screen */
    int counted; /* the piece's rows have been drawn once */
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

asr_progress *asr_progress_new(FILE *out, asr_progress_mode mode, const char *verb)
{
    asr_progress *p = asr_xcalloc(1, sizeof *p);
    p->out = out;
    p->mode = mode;
    snprintf(p->verb, sizeof p->verb, "%s", verb);
    p->start = p->last = now_seconds();
    return p;
}

static void clear_live(asr_progress *p)
{
    if (p->shown) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->shown = 0;
    }
}

void asr_progress_free(asr_progress *p)
{
    if (!p)
        return;
    clear_live(p);
    free(p);
}

/* 1234567 as "1,234,567". */
static void add_count(asr_buf *b, unsigned long long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", v);
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            asr_buf_add(b, ",", 1);
        asr_buf_add(b, &digits[i], 1);
    }
}

static void add_duration(asr_buf *b, double s)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    if (t < 60)
        asr_buf_addf(b, "%ld s", t);
    else if (t < 3600)
        asr_buf_addf(b, "%ld min %02ld s", t / 60, t % 60);
    else
        asr_buf_addf(b, "%ld h %02ld min", t / 3600, t % 3600 / 60);
}

/* bytes in the unit that suits `scale` (MB from 1 MB on, else kB), with
 * the unit's name if `unit`. */
static void add_size(asr_buf *b, unsigned long long bytes, unsigned long long scale, int unit)
{
    if (scale >= 1000000)
        asr_buf_addf(b, "%.1f%s", (double)bytes / 1e6, unit ? " MB" : "");
    else
        asr_buf_addf(b, "%.0f%s", (double)bytes / 1e3 + (bytes && bytes < 500 ? 1 : 0),
                     unit ? " kB" : "");
}

/* Names come from maps and rule files: shown with control characters as '?'. */
static void add_name(asr_buf *b, const char *s)
{
    for (; *s; s++) {
        char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
        asr_buf_add(b, &c, 1);
    }
}

/* The line's text, without timestamp or verb. `ending`: the totals. */
static void compose(const asr_progress *p, double now, int ending, asr_buf *b)
{
    double elapsed = now - p->start;
    if (p->rules) {
        add_count(b, p->done);
        asr_buf_adds(b, " of ");
        add_count(b, p->n_rules);
        asr_buf_addf(b, " rule%s done, ", p->n_rules == 1 ? "" : "s");
        add_count(b, p->findings);
        asr_buf_addf(b, " finding%s, %s", p->findings == 1 ? "" : "s", ending ? "in " : "");
        add_duration(b, elapsed);
        if (p->work[0] && !ending) {
            asr_buf_adds(b, "; at work: ");
            add_name(b, p->work);
        }
        return;
    }
    if (p->what[0]) {
        add_name(b, p->what);
        asr_buf_adds(b, ": ");
    }
    if (!p->active && p->phase[0]) {
        add_name(b, p->phase);
        return;
    }
    if (!ending && !p->rows && !p->bytes) {
        asr_buf_adds(b, "reading");
        if (p->total)
            asr_buf_adds(b, " "), add_size(b, p->total, p->total, 1);
        return;
    }
    add_count(b, (unsigned long long)p->rows);
    asr_buf_addf(b, " row%s", p->rows == 1 ? "" : "s");
    if (ending) {
        asr_buf_adds(b, " read in ");
        add_duration(b, elapsed);
    }
    if (p->bytes && p->total)
        asr_buf_adds(b, ", "), add_size(b, p->bytes, p->total, 0), asr_buf_adds(b, " of "),
            add_size(b, p->total, p->total, 1);
    else if (p->bytes)
        asr_buf_adds(b, ", "), add_size(b, p->bytes, p->bytes, 1);
    if (elapsed >= 0.5 && p->rows > 0) {
        asr_buf_adds(b, ", ");
        add_count(b, (unsigned long long)((double)p->rows / elapsed));
        asr_buf_adds(b, " rows/s");
    }
    if (p->phase[0]) {
        asr_buf_adds(b, "; ");
        add_name(b, p->phase);
    } else if (!ending && p->total && p->bytes && p->bytes < p->total && elapsed >= 1.0) {
        double left = elapsed * (double)(p->total - p->bytes) / (double)p->bytes;
        left = left < 1 ? 1 : left;
        asr_buf_adds(b, ", about ");
        add_duration(b, left);
        asr_buf_adds(b, " left");
    }
}

/* The terminal's width, or 80. */
static size_t columns(FILE *out)
{
    struct winsize ws;
    if (ioctl(fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

static void draw(asr_progress *p, double now, int ending)
{
    asr_buf b = {0};
    if (p->mode == ASR_PROGRESS_LIVE)
        asr_buf_addf(&b, "%s%s", p->verb, p->rules || !p->what[0] ? ": " : " ");
    compose(p, now, ending, &b);
    if (p->mode == ASR_PROGRESS_LOG) {
        char when[32];
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
        fprintf(p->out, "%s assure %s: %s\n", when, p->verb, asr_buf_str(&b));
    } else {
        /* one column short of the width: a line that filled it would wrap
         * on some terminals, and \r could not take it back */
        size_t width = columns(p->out), len = b.len;
        if (width > 1 && len > width - 1) {
            len = width - 1;
            while (len > 0 && ((unsigned char)b.data[len] & 0xC0) == 0x80)
                len--; /* not inside a UTF-8 character */
        }
        if (len > LINE_MAX_BYTES)
            len = LINE_MAX_BYTES;
        fputc('\r', p->out);
        fwrite(b.data, 1, len, p->out);
        fputs("\033[K", p->out);
        p->shown = 1;
    }
    fflush(p->out);
    asr_buf_free(&b);
    p->last = now;
}

static int due(const asr_progress *p, double now)
{
    return now - p->last >= (p->mode == ASR_PROGRESS_LIVE ? LIVE_EVERY : LOG_EVERY);
}

void asr_progress_begin(asr_progress *p, const char *what, unsigned long long total_bytes)
{
    if (!p)
        return;
    snprintf(p->what, sizeof p->what, "%s", what ? what : "");
    p->active = 1;
    p->rules = 0;
    p->total = total_bytes;
    p->bytes = 0;
    p->rows = 0;
    p->phase[0] = '\0';
    p->counted = 0;
    p->start = now_seconds();
    draw(p, p->start, 0);
}

void asr_progress_rows(asr_progress *p, long long rows, unsigned long long bytes)
{
    if (!p)
        return;
    p->rows = rows;
    if (bytes)
        p->bytes = bytes;
    double now = now_seconds();
    /* on a terminal the first rows at once: it has started moving */
    if (due(p, now) || (!p->counted && p->mode == ASR_PROGRESS_LIVE))
        draw(p, now, 0);
    p->counted = 1;
}

void asr_progress_phase(asr_progress *p, const char *phase)
{
    if (!p)
        return;
    snprintf(p->phase, sizeof p->phase, "%s", phase ? phase : "");
    if (!p->active && !p->rules)
        p->what[0] = '\0';
    /* a terminal shows it now; a log has it in its next line */
    if (phase && p->mode == ASR_PROGRESS_LIVE)
        draw(p, now_seconds(), 0);
}

void asr_progress_end(asr_progress *p)
{
    if (!p || (!p->active && !p->rules))
        return;
    p->phase[0] = '\0';
    if (p->mode == ASR_PROGRESS_LOG)
        draw(p, now_seconds(), 1);
    else
        clear_live(p);
    p->active = 0;
    p->rules = 0;
    p->what[0] = '\0';
}

void asr_progress_rules(asr_progress *p, size_t done, size_t total, size_t findings,
                        const char *const *at_work, size_t n_work, int force)
{
    if (!p)
        return;
    if (!p->rules) {
        p->rules = 1;
        p->active = 0;
        p->what[0] = p->phase[0] = '\0';
        p->start = now_seconds();
    }
    p->done = done;
    p->n_rules = total;
    p->findings = findings;
    double now = now_seconds();
    if (!force && !due(p, now))
        return;
    p->work[0] = '\0';
    size_t at = 0;
    for (size_t i = 0; i < n_work && at < sizeof p->work - 1; i++) {
        if (i == 2) {
            snprintf(p->work + at, sizeof p->work - at, " and %zu more", n_work - i);
            break;
        }
        int w = snprintf(p->work + at, sizeof p->work - at, "%s%s", i ? ", " : "",
                         at_work[i] ? at_work[i] : "?");
        at += w > 0 ? (size_t)w : 0;
    }
    draw(p, now, 0);
}
