"""AsyncClient.open_array's AsyncArrayRef: an ArrayRef whose reads are
awaited. aerowire's arrays (include/aerowire/array.h) are blocking calls
built on the sync commands and the batch engine, so each read runs the sync
call on the AsyncClient's worker threads with the GIL released (see
docs/python.md, "Async: arrays")."""
import asyncio


class AsyncArrayRef:
    """An array opened by AsyncClient.open_array: shape, dtype, ndim, size,
    nbytes and attrs need no I/O; load(), rows(i, j) and ref[...] return
    awaitables (Futures of the worker thread's read). Close it with
    `await ref.close()` or `async with`: it waits for its reads still
    running, then frees the ref and its cache files."""

    def __init__(self, client, ref):
        self._client = client
        self._ref = ref
        self._reads = set()
        for name in ("key", "dtype", "shape", "ndim", "size", "nbytes", "attrs", "chunk_bytes",
                     "n_chunks", "compressed", "cache_dir"):
            setattr(self, name, getattr(ref, name))

    def __repr__(self):
        return f"AsyncArrayRef({self.key!r}, shape={self.shape}, dtype={self.dtype})"

    def __len__(self):
        return len(self._ref)

    def _read(self, method, *args):
        if self._ref is None:
            raise ValueError("the AsyncArrayRef is closed")
        work = self._client._submit(getattr(self._ref, method), *args)
        self._reads.add(work)
        work.add_done_callback(self._reads.discard)
        return asyncio.wrap_future(work)

    def load(self, mmap_mode=None):
        """A Future of ArrayRef.load(mmap_mode): the whole array, or a memory
        map of its cache file."""
        return self._read("load", mmap_mode)

    def rows(self, i, j):
        """A Future of rows [i, j) of the first axis (only their chunks are
        fetched)."""
        return self._read("rows", i, j)

    def __getitem__(self, index):
        """await ref[i], ref[i:j:k], ref[i:j, ...]: as ArrayRef's, fetched on
        a worker thread."""
        return self._read("__getitem__", index)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("an AsyncArrayRef is read with `await ref.load()`, not np.asarray(ref)")

    async def close(self):
        """Waits for the reads still running (a cancelled await's too), then
        frees the ref and removes its cache files. Idempotent."""
        while self._reads:
            await asyncio.wait([asyncio.wrap_future(w) for w in list(self._reads)])
        ref, self._ref = self._ref, None
        if ref is not None:
            ref.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.close()
