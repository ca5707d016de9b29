/*
 * aerowire/tls.h — TLS to the cluster (aw_config.tls).
 *
 * With `enable` set every connection the client opens (tending, sync and
 * async commands) is a TLS connection: it asks the nodes for their TLS
 * peers (`peers-tls-std`), and checks each server certificate against the
 * CA file/directory and the node's TLS name. A seed gives its TLS name in
 * the hosts string as "host:tls-name:port" ("[v6addr]:tls-name:port");
 * peers announce theirs. A seed without a TLS name is checked against its
 * host as written.
 *
 * The fields follow the official clients' TLS configuration (as_config_tls)
 * and asbench's --tls-* flags. Strings are copied by aw_client_new. A
 * handshake that fails (bad certificate, wrong name, expired, not a TLS
 * port) is AW_ERR_TLS naming the address and OpenSSL's reason; a
 * configuration that cannot be loaded (missing file, unknown protocol or
 * cipher) fails aw_client_new with AW_ERR_TLS.
 */
#ifndef AEROWIRE_TLS_H
#define AEROWIRE_TLS_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_tls_config {
    bool enable;
    /* Trusted CAs: a PEM file and/or a directory of hashed certificates
     * (c_rehash). Both NULL: the system's default store. */
    const char *cafile;
    const char *capath;
    /* Protocols, the official syntax: names separated by spaces, each
     * optionally prefixed by '+' (add) or '-' (remove): "TLSv1.2",
     * "TLSv1.2 TLSv1.3", "all -TLSv1", "+TLSv1.3". Known: TLSv1, TLSv1.1,
     * TLSv1.2, TLSv1.3, all (SSLv2/SSLv3 are refused). NULL = TLSv1.2 and
     * TLSv1.3. */
    const char *protocols;
    /* OpenSSL cipher list for TLS 1.2 and below ("ECDHE-RSA-AES128-GCM-SHA256:..."
     * or "HIGH:!aNULL"); NULL = OpenSSL's default. */
    const char *cipher_suite;
    /* A file of revoked certificates, one per line: the serial number in
     * hex, optionally followed by the issuer name as X509_NAME_oneline
     * prints it ("/CN=..."); '#' starts a comment line. A certificate in
     * the chain that it lists fails the handshake. */
    const char *cert_blacklist;
    /* Mutual TLS: the client's certificate chain and private key (PEM). */
    const char *certfile;
    const char *keyfile;
    const char *keyfile_password; /* for an encrypted key; NULL = none */
    /* Check the server certificate (crl_check) or every certificate of the
     * chain (crl_check_all) against CRLs found in capath / cafile. */
    bool crl_check;
    bool crl_check_all;
} aw_tls_config;

#ifdef __cplusplus
}
#endif
#endif
