/* --cursor FILE; see cursorfile.h. */
#include "cursorfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cursor for all 4096 partitions is about 100 KiB; anything far larger is not one. */
#define CURSOR_FILE_MAX (4u << 20)

aw_partition_status *cli_cursor_load(cli *c, const char *path, const aw_partition_filter *parts,
                                     int *code) {
    aw_partition_status *ps = NULL;
    aw_error err;
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT) {
        if (aw_partition_status_new(parts, &ps, &err) != AW_OK)
            *code = cli_fail(c, &err, "--cursor %s", path);
        return ps;
    }
    if (!f) {
        *code = cli_fail_code(c, CLI_EXIT_OTHER, "--cursor %s: %s", path, strerror(errno));
        return NULL;
    }
    uint8_t *bytes = malloc(CURSOR_FILE_MAX);
    size_t n = bytes ? fread(bytes, 1, CURSOR_FILE_MAX, f) : 0;
    bool read_error = !bytes || ferror(f);
    fclose(f);
    if (read_error)
        *code = cli_fail_code(c, CLI_EXIT_OTHER, "--cursor %s: cannot read it", path);
    else if (aw_partition_status_read(bytes, n, &ps, &err) != AW_OK)
        *code = cli_fail_code(c, CLI_EXIT_OTHER, "--cursor %s: not a cursor aw wrote: %s", path,
                              err.message);
    free(bytes);
    return ps;
}

int cli_cursor_save(cli *c, const char *path, const aw_partition_status *cursor) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    aw_error err;
    if (aw_partition_status_write(cursor, &bytes, &n, &err) != AW_OK)
        return cli_fail(c, &err, "--cursor %s", path);
    size_t tmp_len = strlen(path) + 8;
    char *tmp = malloc(tmp_len);
    bool ok = false;
    if (tmp) {
        snprintf(tmp, tmp_len, "%s.tmp", path);
        FILE *f = fopen(tmp, "wb");
        ok = f && fwrite(bytes, 1, n, f) == n;
        ok = f && fclose(f) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok)
            remove(tmp);
    }
    int saved_errno = errno;
    free(tmp);
    aw_free(bytes);
    if (!ok)
        return cli_fail_code(c, CLI_EXIT_OTHER, "--cursor %s: cannot write it: %s", path,
                             strerror(saved_errno));
    return CLI_OK;
}
