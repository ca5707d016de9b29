/*
 * aerowire/error.h — result codes and the error record every call fills.
 *
 * Codes >= 0 are the server's result codes exactly as they travel on the wire
 * (one byte). Codes < 0 are produced by the client itself and never travel.
 * Every function that can fail returns its code and, when the caller passes a
 * non-NULL aw_error, fills it with the code, a message and the in-doubt flag.
 */
#ifndef AEROWIRE_ERROR_H
#define AEROWIRE_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum aw_status {
    /* Client-side codes (never on the wire). Each is produced by the client
     * today; the numbers left out (-3, -6, -11, -12, -16) are kept
     * for codes that come with their feature (scans and queries). */
    AW_ERR_ARRAY_CORRUPT = -23,  /* a stored array is damaged: chunk missing or failing its CRC */
    AW_ERR_FIELD_TYPE = -22,     /* a bin could not be converted to its dtype field */
    AW_ERR_CLIENT_CLOSING = -21, /* the client was closed with the command in flight */
    AW_ERR_NOMEM = -20,          /* an allocation failed */
    AW_ERR_PROTO = -19,          /* malformed or hostile bytes from the peer */
    AW_ERR_BAD_NAME = -18,       /* namespace, set or bin name too long or empty */
    AW_ERR_UNSUPPORTED = -17,    /* a value, dtype or feature this client cannot handle */
    AW_ERR_NO_RESPONSE = -15,    /* the connection closed before a reply arrived */
    AW_ERR_MAX_ERROR_RATE = -14, /* node backed off after too many errors */
    AW_ERR_CONNECTION = -10,     /* socket error (connect, read, write) */
    AW_ERR_TLS = -9,             /* TLS handshake failed, or the TLS configuration is unusable */
    AW_ERR_INVALID_NODE = -8,    /* no node owns the partition */
    AW_ERR_NO_MORE_CONNECTIONS = -7,
    AW_ERR_CLIENT_ABORT = -5,    /* a scan/query callback asked to stop */
    AW_ERR_INVALID_HOST = -4,
    AW_ERR_PARAM = -2,           /* invalid argument from the caller */
    AW_ERR_CLIENT = -1,          /* generic client error */

    /* Server result codes (byte 5 of the reply header). */
    AW_OK = 0,
    AW_ERR_SERVER = 1,
    AW_ERR_RECORD_NOT_FOUND = 2,
    AW_ERR_RECORD_GENERATION = 3,
    AW_ERR_REQUEST_INVALID = 4,
    AW_ERR_RECORD_EXISTS = 5,
    AW_ERR_BIN_EXISTS = 6,
    AW_ERR_CLUSTER_CHANGE = 7,
    AW_ERR_SERVER_FULL = 8,
    AW_ERR_TIMEOUT = 9,
    AW_ERR_ALWAYS_FORBIDDEN = 10,
    AW_ERR_CLUSTER = 11,
    AW_ERR_BIN_INCOMPATIBLE_TYPE = 12,
    AW_ERR_RECORD_TOO_BIG = 13,
    AW_ERR_RECORD_BUSY = 14,
    AW_ERR_SCAN_ABORTED = 15,
    AW_ERR_UNSUPPORTED_FEATURE = 16,
    AW_ERR_BIN_NOT_FOUND = 17,
    AW_ERR_DEVICE_OVERLOAD = 18,
    AW_ERR_RECORD_KEY_MISMATCH = 19,
    AW_ERR_NAMESPACE_NOT_FOUND = 20,
    AW_ERR_BIN_NAME = 21,
    AW_ERR_FAIL_FORBIDDEN = 22,
    AW_ERR_FAIL_ELEMENT_NOT_FOUND = 23,
    AW_ERR_FAIL_ELEMENT_EXISTS = 24,
    AW_ERR_ENTERPRISE_ONLY = 25,
    AW_ERR_OP_NOT_APPLICABLE = 26,
    AW_FILTERED_OUT = 27,
    AW_LOST_CONFLICT = 28,
    AW_ERR_INVALID_ENCODING = 29,
    AW_XDR_KEY_BUSY = 32,
    AW_QUERY_END = 50,
    AW_SECURITY_NOT_SUPPORTED = 51,
    AW_SECURITY_NOT_ENABLED = 52,
    AW_SECURITY_SCHEME_NOT_SUPPORTED = 53,
    AW_INVALID_COMMAND = 54,
    AW_INVALID_FIELD = 55,
    AW_ILLEGAL_STATE = 56,
    AW_INVALID_USER = 60,
    AW_USER_ALREADY_EXISTS = 61,
    AW_INVALID_PASSWORD = 62,
    AW_EXPIRED_PASSWORD = 63,
    AW_FORBIDDEN_PASSWORD = 64,
    AW_INVALID_CREDENTIAL = 65,
    AW_EXPIRED_SESSION = 66,
    AW_INVALID_ROLE = 70,
    AW_ROLE_ALREADY_EXISTS = 71,
    AW_INVALID_PRIVILEGE = 72,
    AW_INVALID_WHITELIST = 73,
    AW_QUOTAS_NOT_ENABLED = 74,
    AW_INVALID_QUOTA = 75,
    AW_NOT_AUTHENTICATED = 80,
    AW_ROLE_VIOLATION = 81,
    AW_NOT_WHITELISTED = 82,
    AW_QUOTA_EXCEEDED = 83,
    AW_LDAP_NOT_CONFIGURED = 90,
    AW_LDAP_SETUP = 91,
    AW_LDAP_TLS_SETUP = 92,
    AW_LDAP_AUTHENTICATION = 93,
    AW_LDAP_QUERY = 94,
    AW_ERR_UDF = 100,
    AW_MRT_BLOCKED = 120,
    AW_MRT_VERSION_MISMATCH = 121,
    AW_MRT_EXPIRED = 122,
    AW_MRT_TOO_MANY_WRITES = 123,
    AW_MRT_COMMITTED = 124,
    AW_MRT_ABORTED = 125,
    AW_MRT_ALREADY_LOCKED = 126,
    AW_MRT_MONITOR_EXISTS = 127,
    AW_ERR_BATCH_DISABLED = 150,
    AW_ERR_BATCH_MAX_REQUESTS = 151,
    AW_ERR_BATCH_QUEUES_FULL = 152,
    AW_ERR_GEO_INVALID_GEOJSON = 160,
    AW_ERR_INDEX_FOUND = 200,
    AW_ERR_INDEX_NOT_FOUND = 201,
    AW_ERR_INDEX_OOM = 202,
    AW_ERR_INDEX_NOT_READABLE = 203,
    AW_ERR_INDEX = 204,
    AW_ERR_INDEX_NAME_MAXLEN = 205,
    AW_ERR_INDEX_MAXCOUNT = 206,
    AW_ERR_QUERY_ABORTED = 210,
    AW_ERR_QUERY_QUEUE_FULL = 211,
    AW_ERR_QUERY_TIMEOUT = 212,
    AW_ERR_QUERY = 213,
} aw_status;

/* Room for a message; long enough for "what, where" without a 1 KiB buffer
 * in every error (the official client's choice). */
#define AW_ERROR_MSG_SIZE 160

typedef struct aw_error {
    int code;                          /* aw_status */
    bool in_doubt;                     /* a write that may have been applied */
    char message[AW_ERROR_MSG_SIZE];   /* NUL-terminated, never empty when code != 0 */
} aw_error;

/* Short constant name of a code, e.g. "RECORD_NOT_FOUND"; "UNKNOWN" for
 * codes not in the table. The pointer is static. */
AW_API const char *aw_status_name(int code);

/* One-line English description of a code; static, never NULL. */
AW_API const char *aw_strerror(int code);

/* Resets err (code 0, empty message, not in doubt). NULL is harmless. */
AW_API void aw_error_reset(aw_error *err);

/* Fills err (if not NULL) with code and a printf-style message and returns
 * code, so callers can write `return aw_error_set(err, AW_ERR_PARAM, ...)`.
 * A NULL or empty fmt uses aw_strerror(code). */
AW_API int aw_error_set(aw_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
