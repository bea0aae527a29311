#include "diagjson.h"

#include "findfmt.h"

static void string_or_null(FILE *out, const char *s)
{
    if (s)
        asr_json_string(out, s);
    else
        fputs("null", out);
}

void asr_diag_json_members(FILE *out, asr_diag *d, const char *indent)
{
    asr_diag_sort(d);
    fprintf(out, "\"errors\": %zu, \"warnings\": %zu, \"not_shown\": %zu, \"problems\": [",
            d->errors, d->warnings, d->dropped);
    for (size_t i = 0; i < d->count; i++) {
        const asr_problem *p = &d->items[i];
        fprintf(out, "%s\n%s{\"severity\": \"%s\", \"file\": ", i ? "," : "", indent,
                p->severity == ASR_SEV_ERROR ? "error" : "warning");
        string_or_null(out, p->file);
        fputs(", \"line\": ", out);
        if (p->line)
            fprintf(out, "%u", p->line);
        else
            fputs("null", out);
        fputs(", \"column\": ", out);
        if (p->col)
            fprintf(out, "%u", p->col);
        else
            fputs("null", out);
        fputs(", \"path\": ", out);
        string_or_null(out, p->path);
        fputs(", \"message\": ", out);
        string_or_null(out, p->message);
        fputc('}', out);
    }
    fputs("]", out);
}
