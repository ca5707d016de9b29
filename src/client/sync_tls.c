/* Per-thread request/reply buffers for the sync API (see sync_tls.h). */
#include "sync_tls.h"

#include <pthread.h>

/* A thread keeps at most this much per buffer between commands. */
#define KEEP_BYTES (1u << 20)

static __thread aw_sync_tls tls;
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

/* Runs at thread exit; the __thread block is still valid then (glibc frees
 * it after the key destructors). */
static void release(void *p) {
    aw_sync_tls *t = p;
    aw_buf_free(&t->req);
    aw_buf_free(&t->resp);
    t->registered = false;
}

static void make_key(void) { key_ok = pthread_key_create(&key, release) == 0; }

aw_sync_tls *aw_sync_tls_get(void) {
    if (!tls.registered) {
        pthread_once(&key_once, make_key);
        /* Without a key (out of keys) the buffers still work; they are just
         * not released when the thread exits. */
        if (key_ok)
            pthread_setspecific(key, &tls);
        tls.registered = true;
    }
    return &tls;
}

void aw_sync_tls_trim(aw_sync_tls *t) {
    if (t->req.cap > KEEP_BYTES)
        aw_buf_free(&t->req);
    if (t->resp.cap > KEEP_BYTES)
        aw_buf_free(&t->resp);
}
