/*
 * metrics_export: turn on the client's metrics and log sink, run some
 * commands, and print what an application would hand to Prometheus.
 *
 *   AEROSPIKE_HOSTS=127.0.0.1:3000 ./metrics_export
 *
 * Metrics are off by default (as in the official clients); with
 * metrics_enabled the client keeps latency histograms and counters per
 * node, lock-free, and aw_metrics_prometheus writes them in the text
 * exposition format. The log callback hears tend events (node joins,
 * partition maps) that aerowire otherwise keeps quiet about. Exits 1 on
 * any error, or when the exported counts do not add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <aerowire/aerowire.h>
#include <aerowire/metrics.h>

static void on_log(aw_log_level level, const char *msg, void *udata) {
    int *lines = udata;
    (*lines)++;
    fprintf(stderr, "[aerowire %d] %s\n", (int)level, msg);
}

static int fail(const char *what, const aw_error *err) {
    fprintf(stderr, "%s: %s (%s)\n", what, err->message, aw_status_name(err->code));
    return 1;
}

int main(void) {
    int log_lines = 0;
    aw_set_log_callback(AW_LOG_INFO, on_log, &log_lines);

    const char *hosts = getenv("AEROSPIKE_HOSTS");
    aw_config cfg;
    aw_config_init(&cfg);
    cfg.hosts = hosts && hosts[0] ? hosts : "127.0.0.1:3000";
    cfg.metrics_enabled = true;
    cfg.app_id = "metrics-example"; /* shows in the server's `user-agents` */

    aw_client *client;
    aw_error err;
    if (aw_client_new(&client, &cfg, &err) != AW_OK)
        return fail("connect", &err);

    enum { N = 100 };
    for (int i = 0; i < N; i++) {
        aw_key key;
        if (aw_key_init_int(&key, "test", "metrics_example", i, &err) != AW_OK)
            return fail("key", &err);
        aw_bin bin = {"n", aw_value_int(i)};
        if (aw_put(client, NULL, &key, &bin, 1, &err) != AW_OK)
            return fail("put", &err);
        aw_record rec = {0};
        if (aw_get(client, NULL, &key, NULL, 0, &rec, &err) != AW_OK)
            return fail("get", &err);
        aw_record_free(&rec);
    }

    /* The text is as long as it needs: ask its length, then write it. */
    size_t len = aw_metrics_prometheus(client, NULL, 0);
    char *text = malloc(len + 1);
    if (!text)
        return 1;
    aw_metrics_prometheus(client, text, len + 1);
    fputs(text, stdout);

    /* Our commands are in it: N reads and N writes, counted on their histograms. */
    unsigned long long reads = 0, writes = 0;
    const char *count = "aerowire_command_duration_seconds_count{";
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        const char *end = strchr(line, '}');
        if (strncmp(line, count, strlen(count)) != 0 || !end)
            continue;
        unsigned long long v = strtoull(end + 1, NULL, 10);
        if (strstr(line, "type=\"read\""))
            reads += v;
        else if (strstr(line, "type=\"write\""))
            writes += v;
    }
    free(text);
    aw_client_close(client);
    aw_set_log_callback(AW_LOG_ERROR, NULL, NULL);
    printf("# counted %llu reads and %llu writes; %d log lines\n", reads, writes, log_lines);
    return reads == N && writes == N && log_lines > 0 ? 0 : 1;
}
