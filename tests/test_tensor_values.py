"""Values from iteration and eager ops behave as TensorFlow's eager tensors where code touches
them, and stay numpy arrays for numpy, JAX, PyTorch and DLPack consumers."""

import pickle

import jax
import numpy as np
import pytest

import ferroflow as tf

# What TensorFlow 2.21 prints for the same values (str, then repr).
PRINTED = [
    (
        lambda: tf.constant(3),
        "tf.Tensor(3, shape=(), dtype=int32)",
        "<tf.Tensor: shape=(), dtype=int32, numpy=3>",
    ),
    (
        lambda: tf.constant(1 / 3),
        "tf.Tensor(0.33333334, shape=(), dtype=float32)",
        "<tf.Tensor: shape=(), dtype=float32, numpy=0.3333333432674408>",
    ),
    (
        lambda: tf.constant(True),
        "tf.Tensor(True, shape=(), dtype=bool)",
        "<tf.Tensor: shape=(), dtype=bool, numpy=True>",
    ),
    (
        lambda: tf.constant("héllo"),
        "tf.Tensor(b'h\\xc3\\xa9llo', shape=(), dtype=string)",
        "<tf.Tensor: shape=(), dtype=string, numpy=b'h\\xc3\\xa9llo'>",
    ),
    (
        lambda: tf.constant([1, 2, 3]),
        "tf.Tensor([1 2 3], shape=(3,), dtype=int32)",
        "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([1, 2, 3], dtype=int32)>",
    ),
    (
        lambda: tf.constant([[1, 2], [3, 4]]),
        "tf.Tensor(\n[[1 2]\n [3 4]], shape=(2, 2), dtype=int32)",
        "<tf.Tensor: shape=(2, 2), dtype=int32, numpy=\n"
        "array([[1, 2],\n       [3, 4]], dtype=int32)>",
    ),
    (
        lambda: tf.constant([b"a", b"bc"]),
        "tf.Tensor([b'a' b'bc'], shape=(2,), dtype=string)",
        "<tf.Tensor: shape=(2,), dtype=string, numpy=array([b'a', b'bc'], dtype=object)>",
    ),
    (
        lambda: tf.zeros([0, 3]),
        "tf.Tensor([], shape=(0, 3), dtype=float32)",
        "<tf.Tensor: shape=(0, 3), dtype=float32, numpy=array([], shape=(0, 3), dtype=float32)>",
    ),
    (
        lambda: tf.constant(np.uint8(7)),
        "tf.Tensor(7, shape=(), dtype=uint8)",
        "<tf.Tensor: shape=(), dtype=uint8, numpy=7>",
    ),
]


@pytest.mark.parametrize("make,text,rep", PRINTED)
def test_values_print_as_tensorflow_prints_them(make, text, rep):
    value = make()
    assert str(value) == text
    assert repr(value) == rep


def test_iteration_yields_tensors_and_as_numpy_iterator_plain_values():
    ds = tf.data.Dataset.from_tensor_slices({"a": [1, 2], "b": [b"x", b"y"]})
    first = next(iter(ds))
    assert repr(first) == (
        "{'a': <tf.Tensor: shape=(), dtype=int32, numpy=1>, "
        "'b': <tf.Tensor: shape=(), dtype=string, numpy=b'x'>}"
    )
    assert isinstance(first["a"], tf.Tensor) and isinstance(first["b"], tf.Tensor)
    assert type(first["a"].numpy()) is np.int32 and first["b"].numpy() == b"x"
    plain = list(ds.as_numpy_iterator())
    assert plain == [{"a": 1, "b": b"x"}, {"a": 2, "b": b"y"}]
    assert type(plain[0]["a"]) is np.int32 and type(plain[0]["b"]) is bytes
    batch = next(ds.batch(2).as_numpy_iterator())
    assert type(batch["a"]) is np.ndarray and batch["b"].tolist() == [b"x", b"y"]


def test_numpy_gives_scalars_bytes_and_arrays():
    assert type(tf.constant(3, tf.int64).numpy()) is np.int64
    assert type(tf.constant(2.5).numpy()) is np.float32
    assert tf.constant(b"abc").numpy() == b"abc"
    arr = tf.constant([[1, 2], [3, 4]])
    out = arr.numpy()
    assert type(out) is np.ndarray and np.shares_memory(out, arr)
    strings = tf.constant([b"a", b"\x00"]).numpy()
    assert strings.dtype == object and strings.tolist() == [b"a", b"\x00"]


def test_shape_is_a_tuple_with_tensorshape_methods():
    x = next(iter(tf.data.Dataset.range(6).batch(3)))
    assert x.shape == (3,) and x.shape == [3] and x.shape == tf.TensorShape([3])
    assert x.shape.as_list() == [3] and x.shape.rank == 1 and x.shape.ndims == 1
    assert x.shape[0] == 3 and type(x.shape[0]) is int and x.shape[:1] == (3,)
    assert x.shape.num_elements() == 3 and x.shape.is_fully_defined()
    assert x.shape.is_compatible_with([None]) and not x.shape.is_compatible_with([4])
    assert repr(x.shape) == "TensorShape([3])" and str(x.shape) == "(3,)"
    assert x.get_shape() == (3,)
    x.set_shape([None])
    with pytest.raises(ValueError, match="not compatible"):
        x.set_shape([4])
    assert hash(x.shape) == hash((3,))


def test_dtype_is_a_dtype_that_numpy_takes():
    x = tf.constant([1.0, 2.0])
    assert isinstance(x.dtype, tf.DType) and x.dtype is tf.float32
    assert x.dtype.name == "float32" and x.dtype.as_numpy_dtype is np.float32
    assert x.dtype == np.float32 and x.dtype == "float32" and x.dtype.is_floating
    assert repr(x.dtype) == "tf.float32" and str(x.dtype) == "<dtype: 'float32'>"
    assert np.dtype(x.dtype) == np.float32 and np.zeros(2, x.dtype).dtype == np.float32
    assert np.issubdtype(x.dtype, np.floating) and x.dtype.kind == "f"
    assert x.dtype in {np.dtype(np.float32)}
    assert tf.constant(b"a").dtype is tf.string
    np.testing.assert_allclose(x, [1.0, 2.0])
    np.testing.assert_array_equal(tf.constant([b"a"]), np.array([b"a"], dtype=object))


def test_arithmetic_comparison_and_indexing_give_tensors():
    x = tf.constant([1, 2, 3])
    assert (
        repr(x + 1) == "<tf.Tensor: shape=(3,), dtype=int32, numpy=array([2, 3, 4], dtype=int32)>"
    )
    assert repr(x == 2) == "<tf.Tensor: shape=(3,), dtype=bool, numpy=array([False,  True, False])>"
    assert repr(x[0]) == "<tf.Tensor: shape=(), dtype=int32, numpy=1>"
    assert repr(x[1:]) == "<tf.Tensor: shape=(2,), dtype=int32, numpy=array([2, 3], dtype=int32)>"
    assert [repr(v) for v in x][2] == "<tf.Tensor: shape=(), dtype=int32, numpy=3>"
    s = tf.constant(5)
    assert isinstance(s % 3, tf.Tensor) and int(s % 3) == 2 and int(s**2) == 25
    assert isinstance(-s, tf.Tensor) and isinstance(s / 2, tf.Tensor) and float(s / 2) == 2.5
    assert int(s) == 5 and float(s) == 5.0 and bool(s) and not bool(tf.constant(0))
    assert len(x) == 3
    with pytest.raises(TypeError, match="Scalar tensor has no `len\\(\\)`"):
        len(s)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(x)
    words = tf.constant([b"a", b"b\x00"])
    assert (words == ["a", b"b\x00"]).numpy().tolist() == [True, True]
    assert bool(tf.constant(b"abc") == "abc") and bool(tf.constant(b"a\x00") != b"a")
    assert bytes(tf.constant(b"a\x00b")) == b"a\x00b"


def test_tensors_are_unhashable_with_ref_as_key():
    x = tf.constant(1)
    with pytest.raises(TypeError, match="unhashable"):
        hash(x)
    table = {x.ref(): "one"}
    assert table[x.ref()] == "one" and x.ref().deref() is x
    assert tf.constant(1).ref() not in table


def test_numpy_jax_and_dlpack_take_values_without_a_copy():
    x = next(iter(tf.data.Dataset.range(12).batch(12).map(lambda v: tf.cast(v, tf.float32))))
    plain = np.asarray(x)
    assert type(plain) is np.ndarray and np.shares_memory(plain, x)
    shared = np.from_dlpack(x)
    assert np.shares_memory(shared, x) and x.__dlpack_device__() == (1, 0)
    on_device = jax.device_put(x)
    assert isinstance(on_device, jax.Array) and on_device.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(on_device), np.arange(12, dtype=np.float32))
    scalar = next(iter(tf.data.Dataset.range(1)))
    assert int(jax.device_put(scalar)) == 0
    again = pickle.loads(pickle.dumps(x))
    assert isinstance(again, tf.Tensor) and again.dtype is tf.float32
    np.testing.assert_array_equal(again, x)


def test_eager_ops_give_tensors():
    image = np.zeros((8, 8, 3), np.uint8)
    encoded = tf.io.encode_jpeg(image)
    assert isinstance(encoded, tf.Tensor) and encoded.dtype is tf.string
    assert encoded.numpy()[:2] == b"\xff\xd8"
    decoded = tf.io.decode_jpeg(encoded)
    assert isinstance(decoded, tf.Tensor) and decoded.shape.as_list() == [8, 8, 3]
    assert isinstance(tf.add(1, 2), tf.Tensor) and tf.add(1, 2).numpy() == 3
    total = tf.data.Dataset.range(5).reduce(np.int64(0), lambda a, b: a + b)
    assert isinstance(total, tf.Tensor) and total.numpy() == 10


def test_py_function_gets_tensors_and_works_as_a_decorator():
    seen = []

    @tf.py_function(Tout=tf.int64)
    def plus_one(x):
        seen.append(type(x))
        return x.numpy() + 1

    assert plus_one(np.int64(4)).numpy() == 5
    out = list(tf.data.Dataset.range(3).map(lambda x: plus_one(x)).as_numpy_iterator())
    assert out == [1, 2, 3] and set(seen) == {tf.Tensor}
    direct = tf.py_function(lambda x: x * 2, [np.int64(3)], tf.int64)
    assert isinstance(direct, tf.Tensor) and direct.numpy() == 6


def test_isinstance_holds_for_traced_values():
    kinds = []

    def fn(x):
        kinds.append((isinstance(x, tf.Tensor), tf.is_tensor(x)))
        return x * 2

    assert list(tf.data.Dataset.range(3).map(fn).as_numpy_iterator()) == [0, 2, 4]
    assert kinds[0] == (True, True)
    assert not tf.is_tensor(3) and not isinstance(np.zeros(2), tf.Tensor)


def test_a_batch_of_strings_is_one_object_until_its_strings_are_asked_for():
    records = [b"first", b"", b"\x00ends in zero\x00", "héllo".encode()]
    batch = next(iter(tf.data.Dataset.from_tensor_slices(records).batch(4)))
    assert type(batch) is tf.StringTensor and isinstance(batch, tf.Tensor)
    assert batch._array is None  # no bytes object made yet
    assert batch.shape == (4,) and batch.shape.as_list() == [4] and batch.dtype == tf.string
    assert len(batch) == 4 and batch.ndim == 1 and batch.size == 4
    assert batch.nbytes == sum(len(r) for r in records)
    # One string alone, without making the others.
    assert batch[2].numpy() == b"\x00ends in zero\x00" and batch[-1].numpy() == records[3]
    assert batch._array is None
    assert str(
        batch
    ) == "tf.Tensor([b'first' b'' b'\\x00ends in zero\\x00' b'h\\xc3\\xa9llo'], " + (
        "shape=(4,), dtype=string)"
    )
    plain = batch.numpy()
    assert type(plain) is np.ndarray and plain.dtype == object and plain.tolist() == records
    assert np.asarray(batch).tolist() == records and batch.tolist() == records
    assert (batch == b"").tolist() == [False, True, False, False]
    assert (batch != "first").tolist() == [False, True, True, True]
    assert [x.numpy() for x in batch] == records
    assert pickle.loads(pickle.dumps(batch)).numpy().tolist() == records
    # Handed back to an op it is read as the engine's strings.
    assert tf.strings.length(batch).numpy().tolist() == [5, 0, 14, 6]
    # as_numpy_iterator keeps giving object arrays, as tf.data's does.
    (again,) = tf.data.Dataset.from_tensor_slices(records).batch(4).as_numpy_iterator()
    assert type(again) is np.ndarray and again.tolist() == records
    with pytest.raises(TypeError, match="unhashable"):
        hash(batch)


def test_a_string_batch_gives_arrow_its_buffer():
    pa = pytest.importorskip("pyarrow")
    batch = next(iter(tf.data.Dataset.from_tensor_slices([b"ab", b"", b"c\x00"]).batch(3)))
    arrow = batch.to_arrow()
    assert arrow.type == pa.large_binary() and arrow.to_pylist() == [b"ab", b"", b"c\x00"]
