/*
 * What a thread keeps between its sync commands: the request and reply
 * buffers, reused so the hot path allocates nothing. Released when the
 * thread exits (a pthread key destructor).
 */
#ifndef AW_CLIENT_SYNC_TLS_H
#define AW_CLIENT_SYNC_TLS_H

#include "proto/buf.h"

typedef struct aw_sync_tls {
    aw_buf req;   /* the encoded request frame */
    aw_buf resp;  /* the reply body */
    bool registered;
} aw_sync_tls;

/* The calling thread's buffers (registered for release at thread exit on
 * first use). Never NULL. */
aw_sync_tls *aw_sync_tls_get(void);

/* Called after each command: gives back buffers that one unusually large
 * request or reply grew past what is worth keeping per thread. */
void aw_sync_tls_trim(aw_sync_tls *t);

#endif
