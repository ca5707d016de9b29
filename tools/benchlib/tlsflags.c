/* asbench's TLS flags; see tlsflags.h. */
#include "tlsflags.h"

#include <stdio.h>
#include <string.h>

const bl_tls_flag bl_tls_flags[] = {
    {"tls-enable", false},       {"tls-cafile", true},         {"tls-capath", true},
    {"tls-protocols", true},     {"tls-cipher-suite", true},   {"tls-crl-check", false},
    {"tls-crl-check-all", false}, {"tls-cert-blacklist", true}, {"tls-keyfile", true},
    {"tls-keyfile-password", true}, {"tls-certfile", true},    {NULL, false},
};

int bl_tls_apply(aw_tls_config *tls, const char *name, const char *value, char *why, size_t cap) {
    if (strcmp(name, "tls-enable") == 0) {
        tls->enable = true;
        return 0;
    }
    if (strcmp(name, "tls-crl-check") == 0) {
        tls->crl_check = true;
        return 0;
    }
    if (strcmp(name, "tls-crl-check-all") == 0) {
        tls->crl_check_all = true;
        return 0;
    }
    if (!value || !value[0]) {
        snprintf(why, cap, "--%s needs a value", name);
        return -1;
    }
    static const struct {
        const char *name;
        size_t field;
    } strs[] = {
        {"tls-cafile", offsetof(aw_tls_config, cafile)},
        {"tls-capath", offsetof(aw_tls_config, capath)},
        {"tls-protocols", offsetof(aw_tls_config, protocols)},
        {"tls-cipher-suite", offsetof(aw_tls_config, cipher_suite)},
        {"tls-cert-blacklist", offsetof(aw_tls_config, cert_blacklist)},
        {"tls-keyfile", offsetof(aw_tls_config, keyfile)},
        {"tls-keyfile-password", offsetof(aw_tls_config, keyfile_password)},
        {"tls-certfile", offsetof(aw_tls_config, certfile)},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strcmp(name, strs[i].name) == 0) {
            *(const char **)((char *)tls + strs[i].field) = value;
            return 0;
        }
    }
    snprintf(why, cap, "--%s is not a TLS flag", name);
    return -1;
}
