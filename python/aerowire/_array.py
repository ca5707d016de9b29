"""Whole arrays stored under one key (include/aerowire/array.h,
docs/arrays.md): put_array, open_array -> ArrayRef, delete_array."""
import ast
import contextlib
import operator
import os
import tempfile
import weakref

from ._numpy import _numpy

# Where ArrayRef.load(mmap_mode=...) streams the array: open_array's
# cache_dir, else $AEROWIRE_CACHE_DIR, else the system's temporary directory.
CACHE_DIR_ENV = "AEROWIRE_CACHE_DIR"
MMAP_MODES = ("r", "c", "r+")


def cache_dir(given=None):
    """The directory ArrayRef cache files go to (see open_array)."""
    return given or os.environ.get(CACHE_DIR_ENV) or tempfile.gettempdir()


def _array_dtype_check(dt):
    """TypeError naming the field for a dtype an array cannot hold."""
    fields = [(name, dt.fields[name][0]) for name in dt.names] if dt.names else [(None, dt)]
    for name, field in fields:
        if field.base.names is not None:
            _array_dtype_check(field.base)
        elif field.base.kind in "OUMm":
            what = f"field {name!r}" if name is not None else "dtype"
            raise TypeError(f"put_array: {what}: {field.base} cannot be stored (numbers, bools, "
                            "complex, S and V bytes and structured dtypes can)")


def _close(handle, files):
    # The ref and every cache file it made (weakref.finalize: once).
    try:
        handle.close()
    finally:
        for path in files:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


class ArrayRef:
    """An array stored with put_array, opened by open_array: shape, dtype,
    ndim, size, nbytes and attrs come from its header record (no further
    I/O); load(), ref[i:j] and np.asarray(ref) read the data.

    Close it (close(), a with block, or let it be garbage collected) to
    remove the cache files load(mmap_mode=...) made; a memory map already
    returned stays readable (POSIX keeps an unlinked file's pages mapped).
    """

    def __init__(self, handle, key, cache_dir_=None):
        np = _numpy()
        info = handle.info()
        self.key = key
        self.dtype = np.lib.format.descr_to_dtype(ast.literal_eval(info["descr"]))
        self.shape = info["shape"]
        self.ndim = len(self.shape)
        self.size = info["size"]
        self.nbytes = info["nbytes"]
        self.attrs = info["attrs"]
        self.chunk_bytes = info["chunk_bytes"]
        self.n_chunks = info["n_chunks"]
        self.compressed = info["compressed"]
        self.cache_dir = cache_dir(cache_dir_)
        self._handle = handle
        self._cached = None  # the "r"/"c" cache file, made by the first such load
        self._files = []
        self._closer = weakref.finalize(self, _close, handle, self._files)

    def __repr__(self):
        return f"ArrayRef({self.key!r}, shape={self.shape}, dtype={self.dtype})"

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Frees the ref and removes its cache files (idempotent)."""
        self._handle.close()  # raises, changing nothing, while another thread reads
        self._closer()

    def _cache_file(self):
        fd, path = tempfile.mkstemp(prefix="aerowire-array-", suffix=".npy", dir=self.cache_dir)
        os.close(fd)
        self._files.append(path)
        self._handle.read_npy(path)
        return path

    def load(self, mmap_mode=None):
        """The whole array: a new ndarray, or with mmap_mode ("r", "c" or
        "r+") a memory map of a .npy cache file in cache_dir that the array is
        streamed to (without holding it all in memory). "r" and "c" maps of
        one ref share one cache file, fetched once; "r+" gets a file of its
        own. The files go when the ref is closed."""
        np = _numpy()
        if mmap_mode is None:
            out = np.empty(self.shape, self.dtype)
            self._handle.read_into(out)
            return out
        if mmap_mode not in MMAP_MODES:
            raise ValueError(f"mmap_mode must be one of {MMAP_MODES}, not {mmap_mode!r}")
        if mmap_mode == "r+":
            path = self._cache_file()
        else:
            if self._cached is None:
                self._cached = self._cache_file()
            path = self._cached
        return np.load(path, mmap_mode=mmap_mode)

    def rows(self, i, j):
        """Rows [i, j) of the first axis (0 <= i <= j <= len), fetching only
        the chunks that hold them."""
        np = _numpy()
        out = np.empty((j - i,) + tuple(self.shape[1:]), self.dtype)
        self._handle.read_into(out, i, j)
        return out

    def __getitem__(self, index):
        """ref[i], ref[i:j:k], ref[i:j, ...]: the rows of the first axis are
        fetched (only their chunks), the rest of the index applied to them."""
        np = _numpy()
        rest = ()
        if isinstance(index, tuple):
            if not index:
                return self.load()[()]
            index, rest = index[0], index[1:]
        if not self.shape:
            raise IndexError("a 0-d array has no rows (ref.load()[()] is its value)")
        n = self.shape[0]
        if isinstance(index, slice):
            picked = range(*index.indices(n))
            if not picked:
                block = np.empty((0,) + tuple(self.shape[1:]), self.dtype)
            else:
                lo, hi = min(picked[0], picked[-1]), max(picked[0], picked[-1]) + 1
                block = self.rows(lo, hi)
                if picked.step != 1:
                    block = block[picked.start - lo::picked.step]
                    block = block[:len(picked)]
            return block[(slice(None),) + rest] if rest else block
        i = operator.index(index)
        if not -n <= i < n:
            raise IndexError(f"index {i} is out of bounds for axis 0 with size {n}")
        i %= n
        row = self.rows(i, i + 1)[0]
        return row[rest] if rest else row

    def __array__(self, dtype=None, copy=None):
        a = self.load()
        return a if dtype is None else a.astype(dtype, copy=False)


class ArrayMixin:
    """Client's whole-array commands (delete_array is the extension's)."""

    __slots__ = ()

    def put_array(self, key, array, attrs=None, chunk_bytes=None, compress=False, policy=None):
        """Stores an ndarray (any shape, any dtype but objects, unicode and
        datetimes) at key, replacing the array there: readers see the old or
        the new one, never a mix. attrs: a dict of name -> value kept with
        it. chunk_bytes: data bytes per chunk record (default 512 KiB; an
        array that fits is stored in its header record). compress: zlib per
        chunk. policy: write policy keys (ttl, total_timeout...). A
        non-C-contiguous array is copied first."""
        np = _numpy()
        arr = np.asarray(array)
        _array_dtype_check(arr.dtype)
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")
        if chunk_bytes is not None and not 0 < operator.index(chunk_bytes) < 2**32:
            raise ValueError(f"chunk_bytes {chunk_bytes} is out of range")
        descr = repr(np.lib.format.dtype_to_descr(arr.dtype))
        self._array_put(key, descr, False, arr.dtype.itemsize, arr.shape, arr, attrs,
                        chunk_bytes or 0, compress, policy)

    def open_array(self, key, policy=None, cache_dir=None):
        """The ArrayRef of the array at key (reads its header record only;
        RecordNotFound when there is none). policy: read policy keys, used by
        every read through the ref. cache_dir: where load(mmap_mode=...) puts
        its files (default $AEROWIRE_CACHE_DIR, else tempfile.gettempdir())."""
        return ArrayRef(self._array_open(key, policy), key, cache_dir)
