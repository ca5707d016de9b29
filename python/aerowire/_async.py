"""aerowire.AsyncClient: the sync Client's commands as awaitables, run by
the application's asyncio loop itself (no thread of aerowire's own)."""
import asyncio
import concurrent.futures

from . import _aerowire
from ._async_array import AsyncArrayRef
from ._async_query import AsyncQuery, AsyncScan
from ._batch_write import BatchRecords, numpy_write, read_only
from ._client import Client
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

    __slots__ = ("_executor", "_workers")

    def __init__(self, config):
        super().__init__(config)
        self._executor = None
        self._workers = set()  # blocking calls running on the executor

    def _submit(self, fn, *args):
        """fn(*args) on the client's worker threads (the calls aerowire has
        no async form of; each releases the GIL while it waits): its
        concurrent.futures.Future, which close() waits for."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                thread_name_prefix="aerowire-blocking")
        work = self._executor.submit(fn, *args)
        self._workers.add(work)
        work.add_done_callback(self._workers.discard)
        return work

    def _blocking(self, fn, *args):
        """An asyncio Future of fn(*args) on the worker threads. Cancelling
        it drops the result (a call not yet started never runs); a call
        already running ends on its own, holding its arguments until then."""
        return asyncio.wrap_future(self._submit(fn, *args))

    async def connect(self, username=None, password=None):
        """Finds the cluster (in the loop's default executor: it blocks),
        logging in as username when given (else as the config's user), and
        returns self."""
        await asyncio.get_running_loop().run_in_executor(None, self._sync.connect, username,
                                                         password)
        self._open()
        return self

    def is_connected(self):
        return self._sync.is_connected()

    async def close(self):
        """Completes the commands in flight with ClientError (CLIENT_CLOSING)
        (an async scan's iterator raises it after what it had queued), waits
        for the blocking calls still running on the worker threads (arrays,
        indexes...: each bounded by its policy's timeout), and releases the
        connections."""
        self._close_loops()
        while self._workers:
            await asyncio.wait([asyncio.wrap_future(w) for w in list(self._workers)])
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
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

    # ---- scans and queries (on the loop) ----

    def scan(self, namespace, set=None):
        """An AsyncScan of the set (None: the whole namespace)."""
        return AsyncScan(self, namespace, set)

    def query(self, namespace, set=None):
        """An AsyncQuery of the set (None: records of every set)."""
        return AsyncQuery(self, namespace, set)

    # ---- blocking calls, run on the worker threads ----

    def put_array(self, key, array, attrs=None, chunk_bytes=None, compress=False, policy=None):
        """Client.put_array on a worker thread: a Future of None. The array
        is held (and must not be changed) until the call ends, even if the
        await is cancelled."""
        return self._blocking(self._sync.put_array, key, array, attrs, chunk_bytes, compress,
                              policy)

    async def open_array(self, key, policy=None, cache_dir=None):
        """The AsyncArrayRef of the array at key (its header record read on
        a worker thread): metadata at once, load() and ref[i:j] awaited."""
        ref = await self._blocking(self._sync.open_array, key, policy, cache_dir)
        return AsyncArrayRef(self, ref)

    def delete_array(self, key, policy=None):
        """Client.delete_array on a worker thread: a Future of None."""
        return self._blocking(self._sync.delete_array, key, policy)


def _blocking_method(name):
    sync_method = getattr(Client, name)

    def method(self, *args, **kwargs):
        return self._blocking(lambda: getattr(self._sync, name)(*args, **kwargs))
    method.__name__ = name
    method.__qualname__ = f"AsyncClient.{name}"
    method.__doc__ = (f"Client.{name} on a worker thread: an asyncio Future of its result.\n\n"
                      + (sync_method.__doc__ or ""))
    return method


for _name in ("admin_create_user", "admin_drop_user", "admin_set_password",
              "admin_change_password", "admin_grant_roles", "admin_revoke_roles",
              "admin_create_role", "admin_drop_role", "admin_query_user", "admin_query_users",
              "admin_query_user_info", "admin_query_users_info", "admin_query_role",
              "admin_query_roles", "index_integer_create", "index_string_create", "index_blob_create",
              "index_geo2dsphere_create", "index_list_create", "index_map_keys_create",
              "index_map_values_create", "index_remove", "index_list", "truncate", "job_info",
              "job_wait"):
    setattr(AsyncClient, _name, _blocking_method(_name))
