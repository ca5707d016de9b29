/* Error messages and exit codes; see cli.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "print.h"

int cli_exit_code(int status) {
    switch (status) {
    case AW_OK:
        return CLI_OK;
    case AW_ERR_RECORD_NOT_FOUND:
        return CLI_EXIT_NOT_FOUND;
    /* Could not reach the server, or lost it: the network's fault, not the request's. */
    case AW_ERR_TIMEOUT:
    case AW_ERR_CONNECTION:
    case AW_ERR_TLS:
    case AW_ERR_INVALID_HOST:
    case AW_ERR_INVALID_NODE:
    case AW_ERR_NO_RESPONSE:
    case AW_ERR_NO_MORE_CONNECTIONS:
    case AW_ERR_MAX_ERROR_RATE:
    case AW_ERR_PROTO:
    case AW_ERR_CLUSTER:
        return CLI_EXIT_NETWORK;
    case AW_ERR_PARAM:
    case AW_ERR_BAD_NAME:
        return CLI_EXIT_USAGE;
    default:
        /* The remaining codes >= 0 are the server's answers. */
        return status > 0 ? CLI_EXIT_SERVER : CLI_EXIT_OTHER;
    }
}

/* With --json, the error again as {"error": {...}} on stdout, so a script
 * reading stdout always gets one JSON value. */
static void json_error(const cli *c, int exit_code, const aw_error *err, const char *message) {
    if (!c || !c->json)
        return;
    json_t *e = json_pack("{s:s, s:i}", "message", message, "exit", exit_code);
    if (e && err) {
        json_object_set_new(e, "code", json_integer(err->code));
        json_object_set_new(e, "status", json_string(aw_status_name(err->code)));
        json_object_set_new(e, "in_doubt", json_boolean(err->in_doubt));
    }
    cli_emit_json(e ? json_pack("{s:o}", "error", e) : NULL);
}

int cli_fail(const cli *c, const aw_error *err, const char *what_fmt, ...) {
    char what[256], line[512];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, ap);
    va_end(ap);
    /* A server's answer shows its result code too: (FILTERED_OUT, code 27). */
    char code_text[24] = "";
    if (err->code > 0)
        snprintf(code_text, sizeof code_text, ", code %d", err->code);
    snprintf(line, sizeof line, "%s: %s (%s%s)%s", what,
             err->message[0] ? err->message : aw_strerror(err->code), aw_status_name(err->code),
             code_text, err->in_doubt ? "; the write may have been applied" : "");
    fprintf(stderr, "aw: %s\n", line);
    int code = cli_exit_code(err->code);
    json_error(c, code, err, line);
    return code;
}

int cli_fail_code(const cli *c, int exit_code, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "aw: %s\n", line);
    json_error(c, exit_code, NULL, line);
    return exit_code;
}

int cli_usage(const cli *c, const cli_cmd *cmd, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (cmd) {
        /* The help text's first line is the usage line. */
        size_t ulen = strcspn(cmd->help, "\n");
        fprintf(stderr, "aw %s: %s\n%.*s\nRun 'aw %s --help' for more.\n", cmd->name, line,
                (int)ulen, cmd->help, cmd->name);
    } else {
        fprintf(stderr, "aw: %s\nRun 'aw --help' for the commands and options.\n", line);
    }
    json_error(c, CLI_EXIT_USAGE, NULL, line);
    return CLI_EXIT_USAGE;
}
