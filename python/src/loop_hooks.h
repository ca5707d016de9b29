/*
 * aw_loop_hooks over an asyncio event loop (loop_hooks.c).
 */
#ifndef PYAW_LOOP_HOOKS_H
#define PYAW_LOOP_HOOKS_H

#include "pyaw.h"

/* Readies the AioEvent type; 0, or -1 with an exception set (module init). */
int pyaw_aio_ready(void);

/* Attaches a new aw_loop for aio_loop (an asyncio loop: add_reader,
 * call_later, ...) to client. Call it on the loop's thread, with the GIL.
 * 0 and *out, or -1 with an exception set. */
int pyaw_aio_attach(aw_client *client, PyObject *aio_loop, aw_loop **out);

/* Drops a reference to o now, or, inside an engine callback (a garbage
 * collection can dealloc an AsyncClient there), once the callback returns:
 * closing a client may not free a loop under its own callback. */
void pyaw_aio_release_later(PyObject *o);

#endif
