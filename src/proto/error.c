/* Result codes: names, messages, and filling aw_error. */
#include "aerowire/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct status_info {
    int code;
    const char *name;
    const char *message;
} status_info;

/* Sorted by code, so lookups can bisect. */
static const status_info STATUS[] = {
    {AW_ERR_ARRAY_CORRUPT, "ARRAY_CORRUPT", "stored array damaged: a chunk is missing or fails its checksum"},
    {AW_ERR_FIELD_TYPE, "FIELD_TYPE", "a bin could not be converted to its field; the field was zeroed"},
    {AW_ERR_CLIENT_CLOSING, "CLIENT_CLOSING", "client closed with the command in flight"},
    {AW_ERR_NOMEM, "NOMEM", "out of memory"},
    {AW_ERR_PROTO, "PROTO", "malformed data from the peer"},
    {AW_ERR_BAD_NAME, "BAD_NAME", "namespace, set or bin name invalid or too long"},
    {AW_ERR_UNSUPPORTED, "UNSUPPORTED", "unsupported type or feature"},
    {AW_ERR_NO_RESPONSE, "NO_RESPONSE", "no response received"},
    {AW_ERR_MAX_ERROR_RATE, "MAX_ERROR_RATE", "node error rate exceeded; backing off"},
    {AW_ERR_CONNECTION, "CONNECTION", "connection error"},
    {AW_ERR_TLS, "TLS", "TLS handshake or configuration error"},
    {AW_ERR_INVALID_NODE, "INVALID_NODE", "no node available for the partition"},
    {AW_ERR_NO_MORE_CONNECTIONS, "NO_MORE_CONNECTIONS", "connection pool limit reached"},
    {AW_ERR_CLIENT_ABORT, "CLIENT_ABORT", "scan/query stopped by its record callback"},
    {AW_ERR_INVALID_HOST, "INVALID_HOST", "host name could not be resolved"},
    {AW_ERR_PARAM, "PARAM", "invalid argument"},
    {AW_ERR_CLIENT, "CLIENT", "client error"},
    {AW_OK, "OK", "success"},
    {AW_ERR_SERVER, "SERVER", "generic server error"},
    {AW_ERR_RECORD_NOT_FOUND, "RECORD_NOT_FOUND", "record not found"},
    {AW_ERR_RECORD_GENERATION, "RECORD_GENERATION", "generation check failed"},
    {AW_ERR_REQUEST_INVALID, "REQUEST_INVALID", "invalid request or parameter"},
    {AW_ERR_RECORD_EXISTS, "RECORD_EXISTS", "record already exists"},
    {AW_ERR_BIN_EXISTS, "BIN_EXISTS", "bin already exists"},
    {AW_ERR_CLUSTER_CHANGE, "CLUSTER_CHANGE", "cluster changed during the scan or query"},
    {AW_ERR_SERVER_FULL, "SERVER_FULL", "server out of memory or storage"},
    {AW_ERR_TIMEOUT, "TIMEOUT", "timeout"},
    {AW_ERR_ALWAYS_FORBIDDEN, "ALWAYS_FORBIDDEN", "operation always forbidden"},
    {AW_ERR_CLUSTER, "CLUSTER", "partition unavailable"},
    {AW_ERR_BIN_INCOMPATIBLE_TYPE, "BIN_INCOMPATIBLE_TYPE", "operation not valid for the bin's type"},
    {AW_ERR_RECORD_TOO_BIG, "RECORD_TOO_BIG", "record too big"},
    {AW_ERR_RECORD_BUSY, "RECORD_BUSY", "record busy (hot key)"},
    {AW_ERR_SCAN_ABORTED, "SCAN_ABORTED", "scan or query aborted"},
    {AW_ERR_UNSUPPORTED_FEATURE, "UNSUPPORTED_FEATURE", "feature not supported by the server"},
    {AW_ERR_BIN_NOT_FOUND, "BIN_NOT_FOUND", "bin not found"},
    {AW_ERR_DEVICE_OVERLOAD, "DEVICE_OVERLOAD", "storage device overloaded"},
    {AW_ERR_RECORD_KEY_MISMATCH, "RECORD_KEY_MISMATCH", "sent key differs from the stored key"},
    {AW_ERR_NAMESPACE_NOT_FOUND, "NAMESPACE_NOT_FOUND", "namespace not found"},
    {AW_ERR_BIN_NAME, "BIN_NAME", "bin name too long or bin quota exceeded"},
    {AW_ERR_FAIL_FORBIDDEN, "FAIL_FORBIDDEN", "operation forbidden by configuration"},
    {AW_ERR_FAIL_ELEMENT_NOT_FOUND, "ELEMENT_NOT_FOUND", "collection element not found"},
    {AW_ERR_FAIL_ELEMENT_EXISTS, "ELEMENT_EXISTS", "collection element already exists"},
    {AW_ERR_ENTERPRISE_ONLY, "ENTERPRISE_ONLY", "enterprise-only feature"},
    {AW_ERR_OP_NOT_APPLICABLE, "OP_NOT_APPLICABLE", "operation not applicable to the value"},
    {AW_FILTERED_OUT, "FILTERED_OUT", "filter expression was false"},
    {AW_LOST_CONFLICT, "LOST_CONFLICT", "write lost an XDR conflict"},
    {AW_ERR_INVALID_ENCODING, "INVALID_ENCODING", "invalid string encoding"},
    {AW_XDR_KEY_BUSY, "XDR_KEY_BUSY", "write waits for XDR shipping"},
    {AW_QUERY_END, "QUERY_END", "end of a multi-message admin reply"},
    {AW_SECURITY_NOT_SUPPORTED, "SECURITY_NOT_SUPPORTED", "security not supported"},
    {AW_SECURITY_NOT_ENABLED, "SECURITY_NOT_ENABLED", "security not enabled"},
    {AW_SECURITY_SCHEME_NOT_SUPPORTED, "SECURITY_SCHEME_NOT_SUPPORTED", "security scheme not supported"},
    {AW_INVALID_COMMAND, "INVALID_COMMAND", "invalid admin command"},
    {AW_INVALID_FIELD, "INVALID_FIELD", "invalid admin field"},
    {AW_ILLEGAL_STATE, "ILLEGAL_STATE", "illegal security state"},
    {AW_INVALID_USER, "INVALID_USER", "invalid user"},
    {AW_USER_ALREADY_EXISTS, "USER_ALREADY_EXISTS", "user already exists"},
    {AW_INVALID_PASSWORD, "INVALID_PASSWORD", "invalid password"},
    {AW_EXPIRED_PASSWORD, "EXPIRED_PASSWORD", "password expired"},
    {AW_FORBIDDEN_PASSWORD, "FORBIDDEN_PASSWORD", "password forbidden"},
    {AW_INVALID_CREDENTIAL, "INVALID_CREDENTIAL", "invalid credential"},
    {AW_EXPIRED_SESSION, "EXPIRED_SESSION", "session expired"},
    {AW_INVALID_ROLE, "INVALID_ROLE", "invalid role"},
    {AW_ROLE_ALREADY_EXISTS, "ROLE_ALREADY_EXISTS", "role already exists"},
    {AW_INVALID_PRIVILEGE, "INVALID_PRIVILEGE", "invalid privilege"},
    {AW_INVALID_WHITELIST, "INVALID_WHITELIST", "invalid whitelist"},
    {AW_QUOTAS_NOT_ENABLED, "QUOTAS_NOT_ENABLED", "quotas not enabled"},
    {AW_INVALID_QUOTA, "INVALID_QUOTA", "invalid quota"},
    {AW_NOT_AUTHENTICATED, "NOT_AUTHENTICATED", "not authenticated"},
    {AW_ROLE_VIOLATION, "ROLE_VIOLATION", "role violation"},
    {AW_NOT_WHITELISTED, "NOT_WHITELISTED", "client address not whitelisted"},
    {AW_QUOTA_EXCEEDED, "QUOTA_EXCEEDED", "quota exceeded"},
    {AW_LDAP_NOT_CONFIGURED, "LDAP_NOT_CONFIGURED", "LDAP not configured"},
    {AW_LDAP_SETUP, "LDAP_SETUP", "LDAP setup error"},
    {AW_LDAP_TLS_SETUP, "LDAP_TLS_SETUP", "LDAP TLS setup error"},
    {AW_LDAP_AUTHENTICATION, "LDAP_AUTHENTICATION", "LDAP authentication failed"},
    {AW_LDAP_QUERY, "LDAP_QUERY", "LDAP query failed"},
    {AW_ERR_UDF, "UDF", "UDF execution failed"},
    {AW_MRT_BLOCKED, "MRT_BLOCKED", "record blocked by another transaction"},
    {AW_MRT_VERSION_MISMATCH, "MRT_VERSION_MISMATCH", "record version changed in the transaction"},
    {AW_MRT_EXPIRED, "MRT_EXPIRED", "transaction expired"},
    {AW_MRT_TOO_MANY_WRITES, "MRT_TOO_MANY_WRITES", "too many writes in the transaction"},
    {AW_MRT_COMMITTED, "MRT_COMMITTED", "transaction already committed"},
    {AW_MRT_ABORTED, "MRT_ABORTED", "transaction already aborted"},
    {AW_MRT_ALREADY_LOCKED, "MRT_ALREADY_LOCKED", "record already locked by the transaction"},
    {AW_MRT_MONITOR_EXISTS, "MRT_MONITOR_EXISTS", "transaction monitor already exists"},
    {AW_ERR_BATCH_DISABLED, "BATCH_DISABLED", "batch disabled on the server"},
    {AW_ERR_BATCH_MAX_REQUESTS, "BATCH_MAX_REQUESTS", "batch has too many keys"},
    {AW_ERR_BATCH_QUEUES_FULL, "BATCH_QUEUES_FULL", "server batch queues full"},
    {AW_ERR_GEO_INVALID_GEOJSON, "GEO_INVALID_GEOJSON", "invalid GeoJSON"},
    {AW_ERR_INDEX_FOUND, "INDEX_FOUND", "index already exists"},
    {AW_ERR_INDEX_NOT_FOUND, "INDEX_NOT_FOUND", "index not found"},
    {AW_ERR_INDEX_OOM, "INDEX_OOM", "index out of memory"},
    {AW_ERR_INDEX_NOT_READABLE, "INDEX_NOT_READABLE", "index not readable"},
    {AW_ERR_INDEX, "INDEX", "index error"},
    {AW_ERR_INDEX_NAME_MAXLEN, "INDEX_NAME_MAXLEN", "index name too long"},
    {AW_ERR_INDEX_MAXCOUNT, "INDEX_MAXCOUNT", "too many indexes"},
    {AW_ERR_QUERY_ABORTED, "QUERY_ABORTED", "query aborted"},
    {AW_ERR_QUERY_QUEUE_FULL, "QUERY_QUEUE_FULL", "query queue full"},
    {AW_ERR_QUERY_TIMEOUT, "QUERY_TIMEOUT", "query timeout"},
    {AW_ERR_QUERY, "QUERY", "query error"},
};

static const status_info *find_status(int code) {
    size_t lo = 0, hi = sizeof STATUS / sizeof STATUS[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (STATUS[mid].code == code)
            return &STATUS[mid];
        if (STATUS[mid].code < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *aw_status_name(int code) {
    const status_info *s = find_status(code);
    return s ? s->name : "UNKNOWN";
}

const char *aw_strerror(int code) {
    const status_info *s = find_status(code);
    return s ? s->message : "unknown result code";
}

void aw_error_reset(aw_error *err) {
    if (!err)
        return;
    err->code = AW_OK;
    err->in_doubt = false;
    err->message[0] = '\0';
}

int aw_error_set(aw_error *err, int code, const char *fmt, ...) {
    if (!err)
        return code;
    err->code = code;
    err->in_doubt = false;
    if (fmt && fmt[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->message, sizeof err->message, "%s", aw_strerror(code));
    }
    return code;
}
