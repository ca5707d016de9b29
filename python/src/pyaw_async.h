/*
 * What the AsyncClient's command files share (async_client.c): the running
 * asyncio loop's engine and completing a Future from an engine callback.
 */
#ifndef PYAW_ASYNC_H
#define PYAW_ASYNC_H

#include "pyaw.h"

/* The engine of the running asyncio loop for a command of `client` (an
 * AsyncClient; attached at the loop's first command) and that loop's
 * create_future (borrowed: alive while the client is); -1 with an
 * exception set (no running loop, not connected, closed). */
int pyaw_async_loop(PyObject *client, aw_loop **loop, PyObject **create_future);

/* Completes future with value (stolen), as its result or, with is_error,
 * its exception; NULL value: the exception being raised. A Future already
 * done (cancelled) or of a closed loop refuses: the value is dropped. */
void pyaw_future_settle(PyObject *future, PyObject *value, int is_error);

/* Scans and queries on the loop (async_query.c): the AsyncClient method
 * _query_run and the run object it returns. */
PyObject *pyaw_async_query_run(PyObject *client, PyObject *args, PyObject *kwds);
extern PyTypeObject pyaw_QueryRunType;
int pyaw_query_run_ready(void);

#endif
