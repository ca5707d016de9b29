/* asbench's workload strings; see workload.h. */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const op_names[OP_TYPES] = {"read", "write", "delete", "batch_read", "batch_write"};

/* Parses up to `max` comma-separated percentages after the workload's name;
 * returns how many, or -1. */
static int percents(const char *p, double *out, int max) {
    int n = 0;
    while (*p) {
        if (*p != ',' || n == max)
            return -1;
        p++;
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0 || v > 100)
            return -1;
        out[n++] = v;
        p = end;
    }
    return n;
}

int wl_parse(workload *wl, const char *text, char *why, size_t why_cap) {
    memset(wl, 0, sizeof *wl);
    snprintf(wl->text, sizeof wl->text, "%s", text);
    double v[2];
    int n;
    const char *rest;
    if (text[0] == 'I' && (text[1] == '\0' || text[1] == ',')) {
        wl->kind = WL_INSERT;
        wl->insert_pct = 100;
        n = percents(text + 1, v, 1);
        if (n < 0 || (n == 1 && v[0] <= 0))
            goto bad;
        if (n == 1)
            wl->insert_pct = v[0];
        return 0;
    }
    if (strncmp(text, "RUF", 3) == 0 || strcmp(text, "DB") == 0) {
        snprintf(why, why_cap, "workload \"%s\" is not supported by aw-bench (I, RU, RR, RUD are)",
                 text);
        return -1;
    }
    if (strncmp(text, "RUD", 3) == 0) {
        wl->kind = WL_RUD;
        wl->read_pct = 40;
        wl->write_pct = 40;
        n = percents(text + 3, v, 2);
        if (n < 0 || n == 1)
            goto bad;
        if (n == 2) {
            if (v[0] + v[1] > 100)
                goto bad;
            wl->read_pct = v[0];
            wl->write_pct = v[1];
        }
        return 0;
    }
    if (strncmp(text, "RU", 2) == 0 || strncmp(text, "RR", 2) == 0) {
        wl->kind = text[1] == 'U' ? WL_RU : WL_RR;
        wl->read_pct = 50;
        rest = text + 2;
        n = percents(rest, v, 1);
        if (n < 0)
            goto bad;
        if (n == 1)
            wl->read_pct = v[0];
        wl->write_pct = 100 - wl->read_pct;
        return 0;
    }
bad:
    snprintf(why, why_cap,
             "bad workload \"%s\" (expected I, RU[,READ%%], RR[,READ%%] or RUD[,READ%%,WRITE%%])",
             text);
    return -1;
}
