/*
 * TLS for the suites, from a stack we did not write: certificates made at
 * run time with the openssl command, and stunnel (Debian's stunnel4)
 * terminating TLS in front of aw-testd's plain ports.
 */
#ifndef AW_TLS_PROXY_H
#define AW_TLS_PROXY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Makes a fresh directory holding (PEM, unencrypted keys):
 *   ca.pem/ca.key       the test CA
 *   srv.pem/srv.key     server certificate: CN and SAN DNS "aw-node", SAN IP 127.0.0.1
 *   cli.pem/cli.key     client certificate (mutual TLS), CN "aw-client"
 *   old.pem/old.key     server certificate as srv, expired (2020-01-01..02)
 *   other.pem           another CA, which signed none of them
 * dir (at least 64 bytes) gets its path. 0, or -1 when openssl failed. */
int tu_tls_make_certs(char *dir, size_t cap);
/* Removes the directory and what is in it. */
void tu_tls_remove_certs(const char *dir);

/* The serial number of a certificate in hex, as the official blacklist
 * format writes it ("1A2B..."); out at least 80 bytes. 0 or -1. */
int tu_tls_serial(const char *pem, char *out, size_t cap);

/* A TCP port nobody listens on right now. */
uint16_t tu_free_port(void);

typedef struct tu_stunnel {
    pid_t pid;
    uint16_t port;    /* where it accepts TLS */
    char conf[300];
} tu_stunnel;

/* Starts stunnel on 127.0.0.1:accept_port forwarding to 127.0.0.1:target
 * with the certificate dir/<cert>.pem and key dir/<cert>.key; with
 * verify_client it demands a client certificate signed by dir/ca.pem.
 * Returns once the port accepts connections (within 5 s): 0, or -1. */
int tu_stunnel_start(tu_stunnel *st, const char *dir, const char *cert, uint16_t accept_port,
                     uint16_t target, bool verify_client);
/* SIGTERM and wait. */
void tu_stunnel_stop(tu_stunnel *st);

#endif
