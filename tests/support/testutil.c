#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aerowire/alloc.h"

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *tu_hex_decode(const char *hex, size_t *len) {
    size_t n = strlen(hex);
    uint8_t *out = malloc(n / 2 + 1);
    size_t o = 0;
    int hi = -1;
    for (size_t i = 0; i < n; i++) {
        if (hex[i] == ' ' || hex[i] == '\n' || hex[i] == '\t')
            continue;
        int v = hexval((unsigned char)hex[i]);
        if (v < 0) {
            fprintf(stderr, "bad hex at %zu\n", i);
            abort();
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[o++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        fprintf(stderr, "odd hex length\n");
        abort();
    }
    *len = o;
    return out;
}

char *tu_hex_encode(const uint8_t *p, size_t len) {
    static const char digits[] = "0123456789abcdef";
    char *s = malloc(len * 2 + 1);
    for (size_t i = 0; i < len; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    s[len * 2] = '\0';
    return s;
}

const char *tu_testdata_path(const char *file) {
    static char path[4096];
    const char *dir = getenv("AW_TESTDATA");
    snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : "tests/data", file);
    return path;
}

static struct {
    const char *file;
    json_t *json;
} cache[4];

json_t *tu_capture(const char *file) {
    for (size_t i = 0; i < 4; i++)
        if (cache[i].file && strcmp(cache[i].file, file) == 0)
            return cache[i].json;
    json_error_t jerr;
    json_t *j = json_load_file(tu_testdata_path(file), 0, &jerr);
    if (!j) {
        fprintf(stderr, "cannot load capture %s: %s (set AW_TESTDATA)\n", tu_testdata_path(file),
                jerr.text);
        abort();
    }
    for (size_t i = 0; i < 4; i++)
        if (!cache[i].file) {
            cache[i].file = file;
            cache[i].json = j;
            break;
        }
    return j;
}

json_t *tu_command(const char *label) {
    return tu_capture_command("official-c-client-vs-asd.json", label);
}

json_t *tu_capture_entry(const char *file, const char *section, const char *label) {
    json_t *entries = json_object_get(tu_capture(file), section);
    size_t i;
    json_t *c;
    json_array_foreach(entries, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "label")), label) == 0)
            return c;
    }
    fprintf(stderr, "%s: no %s entry %s\n", file, section, label);
    abort();
}

json_t *tu_capture_command(const char *file, const char *label) {
    return tu_capture_entry(file, "commands", label);
}

uint8_t *tu_reply_body(const char *label, size_t i, size_t *len) {
    json_t *frames = json_object_get(tu_command(label), "reply_hex");
    if (i >= json_array_size(frames)) {
        fprintf(stderr, "%s has no reply frame %zu\n", label, i);
        abort();
    }
    size_t n;
    uint8_t *frame = tu_hex_decode(json_string_value(json_array_get(frames, i)), &n);
    uint64_t size = 0;
    for (int k = 2; k < 8 && n >= 8; k++)
        size = size << 8 | frame[k];
    if (n < 8 || frame[0] != 2 || frame[1] != 3 || size != n - 8) {
        fprintf(stderr, "%s reply frame %zu: bad proto header\n", label, i);
        abort();
    }
    *len = n - 8;
    uint8_t *body = malloc(*len ? *len : 1);
    memcpy(body, frame + 8, *len);
    free(frame);
    return body;
}

static long fail_at_n = -1;
static long alloc_count;

static void *fail_malloc(size_t size, void *ctx) {
    (void)ctx;
    if (++alloc_count >= fail_at_n)
        return NULL;
    return malloc(size);
}
static void *fail_realloc(void *ptr, size_t size, void *ctx) {
    (void)ctx;
    if (++alloc_count >= fail_at_n)
        return NULL;
    return realloc(ptr, size);
}
static void plain_free(void *ptr, void *ctx) {
    (void)ctx;
    free(ptr);
}

void tu_failalloc_on(long fail_at) {
    fail_at_n = fail_at;
    alloc_count = 0;
    aw_allocator a = {fail_malloc, fail_realloc, plain_free, NULL};
    aw_set_allocator(&a);
}

long tu_failalloc_count(void) { return alloc_count; }

void tu_failalloc_off(void) {
    aw_set_allocator(NULL);
    fail_at_n = -1;
}

const char *tu_path(const char *dir, const char *name) {
    static char buf[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}
