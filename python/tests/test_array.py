"""Whole arrays: put_array, open_array -> ArrayRef (metadata, load, mmap,
row slices, __array__), delete_array."""
import gc
import os

import numpy as np
import pytest

import aerowire
from aerowire import exception as ex

SET = "py-arr"

DTYPES = ["i1", "<i2", "<i4", "<i8", "u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "?", "<c8",
          "<c16", "S5", "V3", ">i4", ">f8",
          np.dtype([("a", "<i4"), ("v", "<f4", (2, 3)), ("s", "S3")]),
          np.dtype([("a", "u1"), ("x", "<f8")], align=True)]


def random_array(dtype, shape, seed=0):
    """Random bytes of dtype (floats finite, bools 0/1, so arrays compare)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    a = np.frombuffer(rng.integers(0, 256, int(np.prod(shape)) * dt.itemsize,
                                   dtype=np.uint8).tobytes(), dtype=dt).reshape(shape).copy()
    if dt.kind in "fc":
        a[...] = rng.normal(0, 100, shape)
    elif dt.kind == "b":
        a[...] = rng.integers(0, 2, shape).astype(bool)
    elif dt.names:
        for name in dt.names:
            if dt.fields[name][0].base.kind == "f":
                a[name] = rng.normal(0, 100, a[name].shape)
    return a


def same(a, b):
    """Equal dtype, shape and bytes."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(7,), (5, 3), (2, 3, 4)], ids=str)
def test_round_trip_every_dtype(client, dtype, shape):
    key = ("test", SET, f"rt-{dtype}-{shape}")
    a = random_array(dtype, shape)
    client.put_array(key, a, chunk_bytes=64)  # several chunks for all but the smallest
    with client.open_array(key) as ref:
        assert ref.shape == shape and ref.dtype == a.dtype and ref.ndim == len(shape)
        assert ref.size == a.size and ref.nbytes == a.nbytes
        assert same(ref.load(), a)
        assert same(np.asarray(ref), a)
        assert same(ref[1:3], a[1:3]) and same(ref[-1], a[-1])
    client.delete_array(key)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("chunk_bytes", [None, 64, 4096])
def test_chunked_compressed_inline(client, compress, chunk_bytes):
    key = ("test", SET, f"cc-{compress}-{chunk_bytes}")
    a = np.arange(3000, dtype="<i4").reshape(100, 30) % 7  # compresses well
    client.put_array(key, a, chunk_bytes=chunk_bytes, compress=compress)
    ref = client.open_array(key)
    expect_chunks = 0 if chunk_bytes is None else -(-a.nbytes // chunk_bytes)
    assert ref.n_chunks == expect_chunks and ref.compressed == compress
    assert same(ref.load(), a)
    assert same(ref[17:83], a[17:83])
    ref.close()


def test_zero_d_and_empty(client):
    scalar = np.array(3.25, dtype="<f8")
    client.put_array(("test", SET, "0d"), scalar)
    ref = client.open_array(("test", SET, "0d"))
    assert ref.shape == () and ref.ndim == 0 and ref.size == 1
    assert same(ref.load(), scalar) and ref[()] == 3.25
    with pytest.raises(IndexError, match="0-d"):
        ref[0]
    with pytest.raises(TypeError):
        len(ref)
    empty = np.zeros((0, 4), dtype="<i2")
    client.put_array(("test", SET, "empty"), empty)
    ref = client.open_array(("test", SET, "empty"))
    assert same(ref.load(), empty) and same(ref[0:5], empty) and len(ref) == 0


def test_metadata_needs_no_further_io(client):
    key = ("test", SET, "meta")
    a = random_array("<f4", (40, 8))
    client.put_array(key, a, attrs={"units": "mV", "rate": 30000.0, "ch": [1, 2], "raw": b"\0"},
                     chunk_bytes=256)
    ref = client.open_array(key)
    client.delete_array(key)  # everything below comes from the header read at open
    assert ref.shape == (40, 8) and ref.dtype == np.dtype("<f4") and ref.ndim == 2
    assert ref.size == 320 and ref.nbytes == 1280 and len(ref) == 40
    assert ref.attrs == {"units": "mV", "rate": 30000.0, "ch": [1, 2], "raw": b"\0"}
    assert ref.n_chunks == 5
    with pytest.raises(ex.RecordNotFound):
        ref.load()


def chunk_key(key, version, index):
    """The key of chunk `index` of an array (docs/arrays.md)."""
    digest = aerowire._aerowire._key(key)[3]
    return (key[0], key[1], digest + version.to_bytes(8, "big") + index.to_bytes(4, "big"))


def test_slices_fetch_only_their_chunks(client):
    key = ("test", SET, "slices")
    a = random_array("<i8", (40, 4))  # 32-byte rows: 2 rows per 64-byte chunk
    client.put_array(key, a, chunk_bytes=64)
    ref = client.open_array(key)
    version = ref._handle.info()["version"]
    client.remove(chunk_key(key, version, 19))  # rows 38 and 39
    with pytest.raises(ex.AerospikeError) as e:
        ref.load()
    assert e.value.code == -23  # AW_ERR_ARRAY_CORRUPT: a chunk is missing
    # Rows before 38 never touch chunk 19.
    assert same(ref[0:38], a[0:38])
    assert same(ref[37], a[37]) and same(ref[-3], a[-3])
    assert same(ref[3:30:4], a[3:30:4]) and same(ref[30:2:-3], a[30:2:-3])
    assert same(ref[5:2], a[5:2]) and same(ref[100:], a[100:])
    assert same(ref[2:9, 1:3], a[2:9, 1:3]) and ref[4, 2] == a[4, 2]
    assert same(ref[np.int64(7)], a[7])
    with pytest.raises(IndexError):
        ref[40]
    with pytest.raises(IndexError):
        ref[-41]
    with pytest.raises(ex.AerospikeError):
        ref[39]
    with pytest.raises(TypeError):
        ref["a"]


def test_mmap_cache_file(client, tmp_path):
    key = ("test", SET, "mmap")
    a = random_array(np.dtype([("t", "<f8"), ("v", "<i2", (3,))]), (1000,))
    client.put_array(key, a, chunk_bytes=1024, compress=True)
    ref = client.open_array(key, cache_dir=str(tmp_path))
    assert ref.cache_dir == str(tmp_path)
    m = ref.load(mmap_mode="r")
    assert isinstance(m, np.memmap) and same(np.asarray(m), a)
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].endswith(".npy")
    assert same(np.asarray(ref.load(mmap_mode="c")), a)  # the same file, not fetched again
    assert os.listdir(tmp_path) == files
    w = ref.load(mmap_mode="r+")  # a file of its own
    w["t"][0] = -1.0
    assert len(os.listdir(tmp_path)) == 2 and ref.load(mmap_mode="r")["t"][0] == a["t"][0]
    with pytest.raises(ValueError, match="mmap_mode"):
        ref.load(mmap_mode="w+")
    ref.close()
    assert os.listdir(tmp_path) == []
    assert same(np.asarray(m), a)  # a map stays readable once its file is gone
    ref.close()  # again: nothing happens
    with pytest.raises(ValueError, match="closed"):
        ref.load()


def test_cache_files_go_with_garbage_collection(client, tmp_path, monkeypatch):
    key = ("test", SET, "gc")
    client.put_array(key, np.arange(100, dtype="<u2"))
    monkeypatch.setenv("AEROWIRE_CACHE_DIR", str(tmp_path))
    ref = client.open_array(key)
    assert ref.cache_dir == str(tmp_path)
    m = ref.load(mmap_mode="r")
    assert len(os.listdir(tmp_path)) == 1
    del ref
    gc.collect()
    assert os.listdir(tmp_path) == []
    assert m.sum() == sum(range(100))


def test_asarray_with_dtype(client):
    client.put_array(("test", SET, "cast"), np.arange(6, dtype="<i2").reshape(2, 3))
    ref = client.open_array(("test", SET, "cast"))
    b = np.asarray(ref, dtype=np.float64)
    assert b.dtype == np.float64 and b.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_non_contiguous_is_copied(client):
    a = np.arange(60, dtype="<i4").reshape(6, 10)
    client.put_array(("test", SET, "strided"), a[:, ::3])
    client.put_array(("test", SET, "fortran"), np.asfortranarray(a))
    assert same(client.open_array(("test", SET, "strided")).load(), a[:, ::3].copy())
    assert same(client.open_array(("test", SET, "fortran")).load(), a)


def test_put_replaces_and_delete(client):
    key = ("test", SET, "replace")
    client.put_array(key, np.zeros(300, "<f4"), chunk_bytes=128)
    client.put_array(key, np.ones((2, 2), "<i8"))
    assert same(client.open_array(key).load(), np.ones((2, 2), "<i8"))
    client.delete_array(key)
    with pytest.raises(ex.RecordNotFound):
        client.open_array(key)
    with pytest.raises(ex.RecordNotFound):
        client.delete_array(key)


def test_not_an_array(client):
    key = ("test", SET, "plain")
    client.put(key, {"x": 1})
    with pytest.raises(ex.RecordExistsError):
        client.put_array(key, np.zeros(3))
    with pytest.raises(ex.ParamError, match="not an array"):
        client.delete_array(key)
    with pytest.raises(ex.ParamError, match="not an array"):
        client.open_array(key)
    assert client.get(key).bins == {"x": 1}


@pytest.mark.parametrize("array,kw,exc,msg", [
    (np.array([object()]), {}, TypeError, "dtype"),
    (np.zeros(2, [("a", "<i4"), ("u", "U2")]), {}, TypeError, "field 'u'"),
    (np.zeros(2, [("a", "<i4"), ("n", [("d", "M8[s]")])]), {}, TypeError, "field 'd'"),
    (np.zeros(2), {"chunk_bytes": 10}, ValueError, "chunk"),
    (np.zeros(2), {"chunk_bytes": 2**40}, ValueError, "chunk_bytes"),
    (np.zeros(2), {"attrs": {"a": None}}, ValueError, "'a' is None"),
    (np.zeros(2), {"attrs": {"": 1}}, ValueError, "non-empty"),
    (np.zeros(2), {"attrs": [("a", 1)]}, TypeError, "attrs must be a dict"),
    (np.zeros(2), {"attrs": {"a": {1, 2}}}, TypeError, "set"),
    (np.zeros(2), {"policy": {"read_mode": 1}}, ValueError, "read_mode"),
])
def test_put_bad_input(client, array, kw, exc, msg):
    key = ("test", SET, "bad")
    with pytest.raises(exc, match=msg):
        client.put_array(key, array, **kw)
    with pytest.raises(ex.RecordNotFound):
        client.open_array(key)


def test_closed_client(config):
    c = aerowire.client(config).connect()
    c.put_array(("test", SET, "closed"), np.arange(4))
    ref = c.open_array(("test", SET, "closed"))
    c.close()
    with pytest.raises(ex.ClientError, match="not connected"):
        ref.load()
    with pytest.raises(ex.ClientError, match="not connected"):
        c.open_array(("test", SET, "closed"))


def test_no_memory_growth_over_arrays(client, tmp_path):
    from test_threads_refs import _steady
    key = ("test", SET, "leak")
    a = np.arange(600, dtype="<i4").reshape(200, 3)

    def calls():
        client.put_array(key, a, attrs={"u": "x" * 10}, chunk_bytes=512, compress=True)
        with client.open_array(key, cache_dir=str(tmp_path)) as ref:
            ref.load()
            ref[10:50]
            ref.load(mmap_mode="r")
        with pytest.raises(ex.RecordNotFound):
            client.open_array(("test", SET, "leak-none"))

    _steady(calls, 500)
    client.delete_array(key)
