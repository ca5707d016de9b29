"""Scans and queries (Client.scan / Client.query), secondary indexes,
truncate and background jobs: the Python side of the extension's
_query_* calls, shaped like the official Python client's Query and Scan."""
from . import _aerowire
from ._numpy import META_DTYPE, _numpy, structured_dtype
from .predicates import Predicate

PartitionStatus = _aerowire.PartitionStatus

# Index data types (aw_index_type) for index_list_create & co.
INDEX_NUMERIC = 0
INDEX_STRING = 1
INDEX_BLOB = 2
INDEX_GEO2DSPHERE = 3

# job_info(job_id, module) and its status values, as the official client.
JOB_SCAN = "scan"
JOB_QUERY = "query"
JOB_STATUS_UNDEF = 0
JOB_STATUS_INPROGRESS = 1
JOB_STATUS_COMPLETED = 2

# The query policy's expected_duration.
QUERY_DURATION_LONG = 0
QUERY_DURATION_SHORT = 1
QUERY_DURATION_LONG_RELAX_AP = 2

# aw_job_state -> JOB_STATUS_*
_JOB_STATUS = {0: JOB_STATUS_INPROGRESS, 1: JOB_STATUS_COMPLETED, 2: JOB_STATUS_UNDEF}


def _cursor_for(partition_filter):
    """The PartitionStatus a policy's partition_filter names: its
    partition_status (resumed and updated in place), or a new one over
    begin/count, or the digest's partition after that record."""
    if isinstance(partition_filter, PartitionStatus):
        return partition_filter
    if not isinstance(partition_filter, dict):
        raise TypeError("policy partition_filter must be a dict "
                        "{'begin', 'count', 'digest', 'partition_status'}")
    unknown = set(partition_filter) - {"begin", "count", "digest", "partition_status"}
    if unknown:
        raise ValueError(f"unknown partition_filter key(s) {sorted(unknown)}")
    status = partition_filter.get("partition_status")
    if status is not None:
        if not isinstance(status, PartitionStatus):
            raise TypeError("partition_filter partition_status must be a PartitionStatus "
                            "(query.get_partitions_status() or PartitionStatus.from_bytes())")
        return status
    digest = partition_filter.get("digest")
    if isinstance(digest, dict):  # the official client's {"init": 1, "value": digest}
        digest = digest.get("value") if digest.get("init") else None
    if digest is not None:
        return PartitionStatus(digest=digest)
    return PartitionStatus(partition_filter.get("begin", 0), partition_filter.get("count", 4096))


class NumpyRecords:
    """The records of a scan or query as numpy arrays, in arrival order.

    records: the structured ndarray of the rows; meta: an ndarray of (gen,
    ttl); result_codes: int32, 0 for a row filled, -22 for a row with a bin
    its field could not take (that field zeroed).
    """

    __slots__ = ("records", "meta", "result_codes")

    def __init__(self, records, meta, result_codes):
        self.records = records
        self.meta = meta
        self.result_codes = result_codes

    def __len__(self):
        return len(self.records)


def _arrays(dt, got):
    """NumpyRecords viewing the extension's RowBuffers (no copy)."""
    np = _numpy()
    rows, meta, codes, n = got
    return NumpyRecords(np.frombuffer(rows, dtype=dt, count=n),
                        np.frombuffer(meta, dtype=META_DTYPE, count=n),
                        np.frombuffer(codes, dtype=np.int32, count=n))


class QueryChunks:
    """The iterator Query.chunks() returns: the scan runs on a thread of its
    own, at most two chunks ahead of the consumer. close() (or leaving a
    with block, or dropping the iterator) stops it on every node."""

    def __init__(self, stream, dt, with_meta):
        self._stream = stream
        self._dt = dt
        self._with_meta = with_meta

    def __iter__(self):
        return self

    def __next__(self):
        got = self._stream.next()
        if got is None:
            raise StopIteration
        chunk = _arrays(self._dt, got)
        return chunk if self._with_meta else chunk.records

    def close(self):
        """Stops the scan and waits for its thread; the cursor then resumes
        after the last chunk handed out or queued."""
        self._stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Query:
    """A scan (no where()) or secondary-index query of a namespace and set.

    query = client.query("test", "people")
    query.select("name", "age")
    query.where(predicates.between("age", 30, 39))
    records = query.results()
    """

    def __init__(self, client, namespace, set=None):
        self._client = client
        self.namespace = namespace
        self.set = set
        self.max_records = 0
        self.records_per_second = 0
        self._bins = None
        self._where = None
        self._ops = []
        self._paginate = False
        self._cursor = None

    def select(self, *bins):
        """Only these bins (none at all: keys and metadata only)."""
        self._bins = list(bins)
        return self

    def where(self, predicate):
        """The index predicate (aerowire.predicates)."""
        if not isinstance(predicate, Predicate):
            raise TypeError("where() takes a predicate of aerowire.predicates, not "
                            f"{type(predicate).__name__}")
        self._where = predicate
        return self

    def add_ops(self, ops):
        """Write ops execute_background() applies to every record."""
        self._ops.extend(ops)
        return self

    def paginate(self):
        """From now on each results()/foreach()/chunks() reads the next page
        (max_records records) of one cursor; is_done() says when it is over."""
        self._paginate = True
        return self

    def is_done(self):
        """Every partition read to its end (paginate() or a partition_filter)."""
        return self._cursor is not None and self._cursor.is_done()

    def get_partitions_status(self):
        """The PartitionStatus cursor of the pages read so far (None before
        the first one): pass it back as policy partition_filter
        {"partition_status": ...} to resume, in this process or, through
        to_bytes()/from_bytes(), another."""
        return self._cursor

    def _run(self, policy):
        policy = dict(policy or {})
        pf = policy.pop("partition_filter", None)
        if self.max_records:
            policy.setdefault("max_records", self.max_records)
        if self.records_per_second:
            policy.setdefault("records_per_second", self.records_per_second)
        cursor = _cursor_for(pf) if pf is not None else None
        if self._paginate or cursor is not None:
            if cursor is None:
                cursor = self._cursor if self._cursor is not None else PartitionStatus()
            self._cursor = cursor
        bins = None if self._bins is None else list(self._bins)
        return (self.namespace, self.set, bins, self._where), policy, cursor

    def results(self, policy=None, _dtype=None):
        """Every record: a list of Record(key, meta, bins), the key holding
        the user key when the record was stored with it.

        With _dtype (a numpy structured dtype), a NumpyRecords filled straight
        from the replies: one growing block of rows, doubled as needed, that
        numpy then views without a copy."""
        spec, pol, cursor = self._run(policy)
        if _dtype is None:
            return self._client._query_records(spec, pol, cursor, None)
        _, dt = structured_dtype(_dtype)
        got = self._client._query_rows(spec, pol, cursor, str(dt.descr), dt.isalignedstruct,
                                       dt.itemsize)
        return _arrays(dt, got)

    def foreach(self, callback, policy=None):
        """Calls callback(record) for each record as it arrives (on this
        thread); a callback returning False stops the scan on every node."""
        spec, pol, cursor = self._run(policy)
        self._client._query_records(spec, pol, cursor, callback)

    def chunks(self, _dtype, chunk_rows=65536, policy=None, with_meta=False):
        """An iterator of ndarrays of at most chunk_rows rows (NumpyRecords
        with with_meta=True), for sets bigger than memory."""
        spec, pol, cursor = self._run(policy)
        _, dt = structured_dtype(_dtype)
        stream = self._client._query_stream(spec, pol, cursor, str(dt.descr),
                                            dt.isalignedstruct, dt.itemsize, chunk_rows)
        return QueryChunks(stream, dt, with_meta)

    def execute_background(self, policy=None, ops=None):
        """Starts a job on the server applying the write ops (add_ops() and
        ops) to every record the statement selects; returns its id for
        job_info(). policy takes query keys and write keys (ttl, ...)."""
        spec, pol, cursor = self._run(policy)
        if cursor is not None:
            raise ValueError("a background job runs over every partition: no paginate() or "
                             "partition_filter")
        return self._client._query_background(spec, pol, self._ops + list(ops or []))


class Scan(Query):
    """A scan: a Query without an index predicate."""

    def where(self, predicate):
        raise TypeError("a scan has no where(): use client.query()")


def _timeout(policy):
    """The info commands' policy: {"timeout": ms}."""
    if not policy:
        return 0
    unknown = set(policy) - {"timeout"}
    if unknown:
        raise ValueError(f"unknown info policy key(s) {sorted(unknown)} (timeout is known)")
    return policy.get("timeout", 0)


class QueryCommands:
    """Client methods for scans, queries, indexes, truncate and jobs."""

    __slots__ = ()

    def scan(self, namespace, set=None):
        """A Scan of the set (None: the whole namespace)."""
        return Scan(self, namespace, set)

    def query(self, namespace, set=None):
        """A Query of the set (None: records of every set)."""
        return Query(self, namespace, set)

    def _index(self, ns, set, bin, name, dtype, collection, policy):
        self._index_create(ns, set, bin, name, dtype, collection, _timeout(policy))

    def index_integer_create(self, ns, set, bin, name, policy=None):
        """Creates a numeric index and waits until every node has built it."""
        self._index(ns, set, bin, name, INDEX_NUMERIC, 0, policy)

    def index_string_create(self, ns, set, bin, name, policy=None):
        self._index(ns, set, bin, name, INDEX_STRING, 0, policy)

    def index_blob_create(self, ns, set, bin, name, policy=None):
        self._index(ns, set, bin, name, INDEX_BLOB, 0, policy)

    def index_geo2dsphere_create(self, ns, set, bin, name, policy=None):
        self._index(ns, set, bin, name, INDEX_GEO2DSPHERE, 0, policy)

    def index_list_create(self, ns, set, bin, index_datatype, name, policy=None):
        """An index on every element of a list bin (INDEX_NUMERIC, _STRING...)."""
        self._index(ns, set, bin, name, index_datatype, 1, policy)

    def index_map_keys_create(self, ns, set, bin, index_datatype, name, policy=None):
        self._index(ns, set, bin, name, index_datatype, 2, policy)

    def index_map_values_create(self, ns, set, bin, index_datatype, name, policy=None):
        self._index(ns, set, bin, name, index_datatype, 3, policy)

    def index_remove(self, ns, name, policy=None):
        """Removes the index (no error when there is none by that name)."""
        self._index_remove(ns, name, _timeout(policy))

    def index_list(self, ns=None):
        """The indexes one node lists: dicts with ns, name, set, bin, type
        (INDEX_*), collection (INDEX_TYPE_*) and readable."""
        keys = ("ns", "name", "set", "bin", "type", "collection", "readable")
        return [dict(zip(keys, row)) for row in self._index_list(ns)]

    def truncate(self, namespace, set, nanos, policy=None):
        """Deletes the set's records (set None: the namespace's) last updated
        before nanos since the epoch (0: now, by the server's clock)."""
        self._truncate(namespace, set, nanos, _timeout(policy))

    def job_info(self, job_id, module, policy=None):
        """{"status": JOB_STATUS_*, "progress_pct", "records_read"} of a
        background job from every node."""
        if module not in (JOB_SCAN, JOB_QUERY):
            raise ValueError(f"job module {module!r} is not JOB_SCAN or JOB_QUERY")
        _timeout(policy)
        state, pct, ok, _failed = self._job_info(job_id)
        return {"status": _JOB_STATUS[state], "progress_pct": pct, "records_read": ok}

    def job_wait(self, job_id, timeout=0, interval=0):
        """Waits (timeout ms, 0 = no limit; AerospikeTimeoutError) until no
        node runs the job."""
        self._job_wait(job_id, timeout, interval)
