"""AsyncClient.scan / AsyncClient.query: Query and Scan whose results are
awaited, run by aerowire's async engine on the running asyncio loop
(aw_query_foreach_async, aw_query_into_async; the extension's QueryRun),
with back-pressure for the async iterators."""
import asyncio

from ._numpy import structured_dtype
from ._query import Query, _arrays

# QueryRun modes (async_query.c).
_LIST, _FOREACH, _ROWS, _RECORDS, _CHUNKS = range(5)

# Chunks queued ahead of the consumer, as the sync chunks() keeps.
CHUNKS_AHEAD = 2
RECORDS_WINDOW = 1024


async def _until_done(run):
    """Awaits the run's end; a cancelled await stops it on every node (its
    end still comes from the loop, releasing what it holds)."""
    try:
        while run.running:
            await run.wait()
    except asyncio.CancelledError:
        run.abort()
        raise
    return run.result()


class _RunIterator:
    """An async iterator over a QueryRun's queue. aclose() (also leaving an
    async with block, or dropping the iterator) stops the scan on every
    node."""

    def __init__(self, run, convert):
        self._run = run
        self._convert = convert
        self._loop = asyncio.get_running_loop()

    def __aiter__(self):
        return self

    async def __anext__(self):
        run = self._run
        if run is None:
            raise StopAsyncIteration
        while True:
            item = run.take()  # StopAsyncIteration or the scan's error at the end
            if item is not None:
                return self._convert(item)
            await run.wait()

    async def aclose(self):
        """Stops the scan (if still running), drops what is queued and waits
        for the scan's end (its cursor is then free to resume)."""
        run, self._run = self._run, None
        if run is not None:
            run.abort()
            while run.running:
                await run.wait()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()

    def __del__(self):
        run = self._run
        if run is not None and (run.running or run.queued):
            try:  # the engine may only be touched from its loop's thread
                self._loop.call_soon_threadsafe(run.abort)
            except RuntimeError:
                pass  # the loop is closed: closing the client ends the run


class AsyncQuery(Query):
    """A scan (no where()) or secondary-index query run on the asyncio loop:
    select(), where(), paginate(), max_records as Query's; results() and
    foreach() are awaited, records() and chunks() are async iterators."""

    async def results(self, policy=None, _dtype=None):
        """Every record: a list of Record, or with _dtype a NumpyRecords
        (one growing block of rows, as the sync results()). Cancelling the
        await stops the scan; a failed or cancelled call puts the cursor
        back as it was."""
        spec, pol, cursor = self._run(policy)
        if _dtype is None:
            return await _until_done(self._client._query_run(spec, pol, cursor, _LIST))
        _, dt = structured_dtype(_dtype)
        run = self._client._query_run(spec, pol, cursor, _ROWS, descr=str(dt.descr),
                                      align=dt.isalignedstruct, itemsize=dt.itemsize)
        return _arrays(dt, await _until_done(run))

    async def foreach(self, callback, policy=None):
        """Calls callback(record) on the loop's thread for each record as it
        arrives; returning False stops the scan on every node, an exception
        it raises stops it and is raised here."""
        spec, pol, cursor = self._run(policy)
        await _until_done(self._client._query_run(spec, pol, cursor, _FOREACH,
                                                  callback=callback))

    def records(self, policy=None, window=RECORDS_WINDOW):
        """An async iterator of Records. The engine pauses (reads none of the
        nodes' sockets) while `window` records wait for the consumer, and
        goes on once half of them are taken. With a cursor, the records
        queued when the iterator is closed early count as delivered (at most
        window; window=1 makes the cursor exact)."""
        if window < 1:
            raise ValueError(f"window must be at least 1, not {window}")
        spec, pol, cursor = self._run(policy)
        run = self._client._query_run(spec, pol, cursor, _RECORDS, window=window)
        return _RunIterator(run, lambda record: record)

    def chunks(self, _dtype, chunk_rows=65536, policy=None, with_meta=False):
        """An async iterator of ndarrays of at most chunk_rows rows
        (NumpyRecords with with_meta=True), at most two chunks ahead of the
        consumer. Closing it early puts the cursor back to right after the
        last chunk taken."""
        spec, pol, cursor = self._run(policy)
        _, dt = structured_dtype(_dtype)
        run = self._client._query_run(spec, pol, cursor, _CHUNKS, window=CHUNKS_AHEAD,
                                      descr=str(dt.descr), align=dt.isalignedstruct,
                                      itemsize=dt.itemsize, chunk_rows=chunk_rows)

        def convert(item):
            chunk = _arrays(dt, item[0])
            return chunk if with_meta else chunk.records
        return _RunIterator(run, convert)

    async def execute_background(self, policy=None, ops=None):
        """Query.execute_background, run in the loop's default executor."""
        sync = Query(self._client._sync, self.namespace, self.set)
        sync.__dict__.update({k: v for k, v in self.__dict__.items() if k != "_client"})
        return await self._client._blocking(sync.execute_background, policy, ops)


class AsyncScan(AsyncQuery):
    """A scan: an AsyncQuery without an index predicate."""

    def where(self, predicate):
        raise TypeError("a scan has no where(): use client.query()")
