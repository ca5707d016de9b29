/* Policy and configuration defaults (the official client's, where it has one). */
#include <string.h>

#include "aerowire/query.h"
#include "client_impl.h"

aw_policy aw_policy_read(void) {
    aw_policy p;
    memset(&p, 0, sizeof p);
    p.total_timeout_ms = 1000;
    p.socket_timeout_ms = 30000;
    p.max_retries = 2;
    p.replica = AW_REPLICA_SEQUENCE;
    p.pool = AW_POOL_WAIT;
    p.ttl = AW_TTL_NAMESPACE_DEFAULT;
    return p;
}

aw_policy aw_policy_write(void) {
    aw_policy p = aw_policy_read();
    p.max_retries = 0;
    return p;
}

void aw_config_init(aw_config *cfg) {
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->connect_timeout_ms = 1000;
    cfg->tend_interval_ms = 1000;
    cfg->fail_if_not_connected = true;
    cfg->max_conns_per_node = 100;
    cfg->async_max_conns_per_node = 16;
    cfg->pipeline_depth = 16;
    cfg->idle_timeout_ms = 55000;
    cfg->max_error_rate = 100;
    cfg->error_rate_window = 1;
    cfg->read_policy = aw_policy_read();
    cfg->write_policy = aw_policy_write();
}

aw_query_policy aw_query_policy_default(void) {
    aw_query_policy p;
    memset(&p, 0, sizeof p);
    p.base = aw_policy_read();
    p.base.total_timeout_ms = 0;
    p.base.max_retries = 5;
    p.include_bin_data = true;
    return p;
}
