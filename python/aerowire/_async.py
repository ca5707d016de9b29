"""aerowire.AsyncClient: the sync Client's commands as awaitables, run by
the application's asyncio loop itself (no thread of aerowire's own)."""
import asyncio

from . import _aerowire
from ._batch_write import BatchRecords, numpy_write, read_only
from ._numpy import numpy_read
from ._types import RecordList


class AsyncClient(_aerowire.AsyncClient):
    """AsyncClient(config): an Aerospike client for asyncio code.

        async with aerowire.AsyncClient({"hosts": [("127.0.0.1", 3000)]}) as client:
            await client.put(key, {"a": 1})
            record = await client.get(key)

    get, select, exists, put, remove, touch, operate and operate_ordered
    take the sync Client's arguments and return an asyncio Future of its
    result; batch_read, the batch writes and info are coroutines. The commands run
    on the calling thread's running loop: their sockets and timers are that
    loop's (add_reader, call_later), each loop using its own connections.
    Argument mistakes raise at the call; the command's own error is raised
    by the await. Cancelling a Future drops its result (the command still
    ends on its own). close() fails what is still in flight with
    ClientError (CLIENT_CLOSING).
    """

    __slots__ = ()

    async def connect(self):
        """Finds the cluster (in the loop's default executor: it blocks) and
        returns self."""
        await asyncio.get_running_loop().run_in_executor(None, self._sync.connect)
        self._open()
        return self

    def is_connected(self):
        return self._sync.is_connected()

    async def close(self):
        """Completes the commands in flight with ClientError (CLIENT_CLOSING)
        and releases the connections."""
        self._close_loops()
        await asyncio.get_running_loop().run_in_executor(None, self._sync.close)

    async def __aenter__(self):
        return await self.connect()

    async def __aexit__(self, *exc):
        await self.close()

    async def info(self, command, node=None, timeout=0):
        """The reply text of one info command (run in the default executor)."""
        return await asyncio.get_running_loop().run_in_executor(
            None, self._sync.info, command, node, timeout)

    async def batch_read(self, keys, bins=None, policy=None, _dtype=None, *, namespace=None,
                         set_name=None):
        """Client.batch_read, awaited: a RecordList, or with _dtype a
        NumpyBatchRecords whose arrays the replies are decoded into (held by
        the command until it completes, even if the await is cancelled)."""
        if _dtype is None:
            if namespace is not None:
                raise TypeError("an array of user keys (namespace=...) is read with _dtype")
            return RecordList.from_rows(await self._batch_get(keys, bins, policy))
        args, result = numpy_read(keys, bins, policy, _dtype, namespace, set_name)
        await self._batch_read_into(*args)
        return result

    async def batch_write_numpy(self, data, namespace, set_name, _dtype, key_field="_key",
                                policy=None):
        """Client.batch_write_numpy, awaited: the array is held and read-only
        until the command completes, even if the await is cancelled."""
        args, result = numpy_write(data, namespace, set_name, _dtype, key_field, policy)
        restore = read_only(data)
        try:
            done = self._batch_write_from(*args)
        except BaseException:
            restore()
            raise
        done.add_done_callback(restore)
        # Shielded: a cancelled await leaves the command's own Future to
        # its completion, when the array becomes writable again.
        await asyncio.shield(done)
        return result

    async def batch_write(self, keys, rows, policy=None):
        """Client.batch_write, awaited: BatchRecords."""
        return BatchRecords.from_rows(await self._batch_rows("write", keys, rows, policy))

    async def batch_operate(self, keys, ops, policy=None):
        """Client.batch_operate, awaited: BatchRecords."""
        return BatchRecords.from_rows(await self._batch_rows("operate", keys, ops, policy))

    async def batch_remove(self, keys, policy=None):
        """Client.batch_remove, awaited: BatchRecords."""
        return BatchRecords.from_rows(await self._batch_rows("remove", keys, None, policy))
