"""The tensor operations map functions use, each eager and traced (natively, without
Python), against numpy and the examples in TensorFlow's documentation."""

import io
import math

import numpy as np
import pytest

import ferroflow as tf

erf = np.vectorize(math.erf)
erfc = np.vectorize(math.erfc)
lgamma = np.vectorize(math.lgamma)


def expit(v):
    return 1 / (1 + np.exp(-v))


def logsumexp(v, axis=None, keepdims=False):
    top = np.max(v, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(v - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(v, axis=-1):
    e = np.exp(v - np.max(v, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


X = np.array([[-2.5, -0.5, 0.0, 0.3], [0.5, 1.5, 2.5, 7.0]], np.float32)
UNIT = np.array([[-0.9, -0.5, 0.0, 0.25], [0.5, 0.75, 0.9, 0.99]], np.float32)
POSITIVE = np.abs(X) + 0.5


def traced(fn, *args):
    """``fn`` applied inside a map function over one element holding ``args``; checks
    that the function ran natively and returns its result as numpy."""
    ds = tf.data.Dataset.from_tensors(tuple(args)).map(fn)
    it = iter(ds)
    out = next(it)
    notes = [n for stage in it.stats() for n in stage["notes"]]
    assert not any("runs as Python" in n for n in notes), notes
    return _plain(out)


def _plain(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value.numpy() if hasattr(value, "numpy") else value


UNARY = [
    (tf.math.exp, np.exp, X),
    (tf.math.expm1, np.expm1, X),
    (tf.math.log, np.log, POSITIVE),
    (tf.math.log1p, np.log1p, POSITIVE),
    (tf.math.sqrt, np.sqrt, POSITIVE),
    (tf.math.rsqrt, lambda v: 1 / np.sqrt(v), POSITIVE),
    (tf.math.square, np.square, X),
    (tf.math.reciprocal, np.reciprocal, POSITIVE),
    (tf.math.sign, np.sign, X),
    (tf.math.sin, np.sin, X),
    (tf.math.cos, np.cos, X),
    (tf.math.tan, np.tan, X),
    (tf.math.asin, np.arcsin, UNIT),
    (tf.math.acos, np.arccos, UNIT),
    (tf.math.atan, np.arctan, X),
    (tf.math.sinh, np.sinh, X),
    (tf.math.cosh, np.cosh, X),
    (tf.math.tanh, np.tanh, X),
    (tf.math.asinh, np.arcsinh, X),
    (tf.math.acosh, np.arccosh, POSITIVE + 1),
    (tf.math.atanh, np.arctanh, UNIT),
    (tf.math.round, np.round, X),
    (tf.math.rint, np.rint, X),
    (tf.math.floor, np.floor, X),
    (tf.math.ceil, np.ceil, X),
    (tf.math.erf, erf, X),
    (tf.math.erfc, erfc, X),
    (tf.math.lgamma, lgamma, POSITIVE),
    (tf.math.sigmoid, expit, X),
    (tf.math.log_sigmoid, lambda v: -np.logaddexp(0, -v), X),
    (tf.math.softplus, lambda v: np.logaddexp(0, v), X),
    (tf.math.softsign, lambda v: v / (1 + np.abs(v)), X),
    (tf.nn.relu, lambda v: np.maximum(v, 0), X),
    (tf.nn.relu6, lambda v: np.clip(v, 0, 6), X),
    (tf.nn.elu, lambda v: np.where(v > 0, v, np.expm1(v)), X),
    (
        tf.nn.selu,
        lambda v: 1.0507009873554805 * np.where(v > 0, v, 1.6732632423543772 * np.expm1(v)),
        X,
    ),
    (tf.nn.gelu, lambda v: 0.5 * v * (1 + erf(v / np.sqrt(2))), X),
    (tf.math.is_nan, np.isnan, np.array([np.nan, 1, np.inf], np.float32)),
    (tf.math.is_inf, np.isinf, np.array([np.nan, 1, -np.inf], np.float32)),
    (tf.math.is_finite, np.isfinite, np.array([np.nan, 1, np.inf], np.float32)),
]


@pytest.mark.parametrize("op,reference,values", UNARY, ids=[u[0].__name__ for u in UNARY])
def test_unary_functions_match_numpy_eagerly_and_traced(op, reference, values):
    want = reference(values.astype(np.float64))
    eager = op(values)
    assert isinstance(eager, tf.Tensor) and eager.shape == values.shape
    assert eager.dtype == (tf.bool if want.dtype == bool else tf.float32)
    np.testing.assert_allclose(eager.numpy(), want.astype(eager.numpy().dtype), rtol=2e-6)
    np.testing.assert_array_equal(traced(op, values), eager.numpy())
    halves = op(values.astype(np.float64))
    np.testing.assert_allclose(halves.numpy(), want, rtol=1e-12)


def test_tensorflow_documented_unary_examples():
    # tf.math.round: "Rounds half to even. Also known as bankers rounding."
    np.testing.assert_array_equal(
        tf.math.round(tf.constant([0.9, 2.5, 2.3, 1.5, -4.5])), [1.0, 2.0, 2.0, 2.0, -4.0]
    )
    assert tf.nn.relu(tf.constant([-1, 5])).numpy().tolist() == [0, 5]  # integers too
    assert tf.math.sign(tf.constant([-3, 0, 2])).numpy().tolist() == [-1, 0, 1]
    assert tf.math.square(tf.constant([3], tf.int64)).dtype is tf.int64
    np.testing.assert_allclose(
        tf.nn.gelu(tf.constant([-3.0, -1.0, 0.0, 1.0, 3.0]), approximate=True),
        [-0.00363752, -0.15880796, 0.0, 0.841192, 2.9963627],
        rtol=1e-5,
        atol=2e-7,  # TensorFlow's float32 formula loses digits in the negative tail
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="exp is not defined for int32"):
        tf.math.exp(tf.constant([1, 2]))


REDUCTIONS = [
    (tf.reduce_sum, np.sum),
    (tf.reduce_prod, np.prod),
    (tf.reduce_max, np.max),
    (tf.reduce_min, np.min),
    (tf.reduce_mean, np.mean),
    (tf.math.reduce_variance, np.var),
    (tf.math.reduce_std, np.std),
    (
        tf.math.reduce_euclidean_norm,
        lambda v, axis, keepdims: np.sqrt(np.sum(v * v, axis, keepdims=keepdims)),
    ),
    (tf.reduce_logsumexp, logsumexp),
]


@pytest.mark.parametrize("axis", [None, 0, 1, -1, [0, 1], (2, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op,reference", REDUCTIONS, ids=[r[0].__name__ for r in REDUCTIONS])
def test_reductions_over_any_axes_match_numpy(op, reference, axis, keepdims):
    values = np.random.default_rng(3).normal(size=(3, 4, 5)).astype(np.float32)
    want = reference(
        values.astype(np.float64),
        axis=None if axis is None else tuple(np.atleast_1d(axis)),
        keepdims=keepdims,
    )
    eager = op(values, axis=axis, keepdims=keepdims)
    assert eager.shape == np.shape(want)
    np.testing.assert_allclose(eager, want, rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(traced(lambda v: op(v, axis, keepdims), values), eager, rtol=1e-6)


def test_reductions_as_tensorflow_documents_them():
    x = tf.constant([[1, 1, 1], [1, 1, 1]])
    assert int(tf.reduce_sum(x)) == 6
    assert tf.reduce_sum(x, 0).numpy().tolist() == [2, 2, 2]
    assert tf.reduce_sum(x, 1, keepdims=True).numpy().tolist() == [[3], [3]]
    assert int(tf.reduce_sum(x, [0, 1])) == 6
    # Integer means divide rounding toward zero; integer sums wrap.
    assert int(tf.reduce_mean(tf.constant([1, 0]))) == 0
    assert tf.reduce_mean(tf.constant([[-3, 0], [1, 1]]), 1).numpy().tolist() == [-1, 1]
    assert int(tf.reduce_sum(tf.constant([2**31 - 1, 1], tf.int32))) == -(2**31)
    flags = tf.constant([[True, True], [False, False]])
    assert not bool(tf.reduce_all(flags)) and tf.reduce_any(flags, 1).numpy().tolist() == [
        True,
        False,
    ]
    assert np.isnan(tf.reduce_max(tf.constant([1.0, np.nan, 3.0])).numpy())
    np.testing.assert_allclose(tf.reduce_logsumexp(tf.constant([[0.0, 0.0, 0.0]] * 2)), np.log(6.0))
    assert int(tf.math.count_nonzero(tf.constant([0, 1, 0, 5]))) == 2
    assert tf.math.count_nonzero(tf.constant([b"", b"a"])).numpy() == 1
    np.testing.assert_allclose(tf.norm(tf.constant([3.0, 4.0])), 5.0)
    np.testing.assert_allclose(tf.norm(tf.constant([3.0, -4.0]), ord=1), 7.0)
    np.testing.assert_allclose(tf.norm(tf.constant([3.0, -4.0]), ord=np.inf), 4.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="reduce_sum is not defined for bool"):
        tf.reduce_sum(flags)
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis"):
        tf.reduce_sum(x, 2)


def test_softmax_and_running_sums():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 0.0]], np.float32)
    soft = tf.nn.softmax(logits)
    np.testing.assert_allclose(soft, softmax(logits.astype(np.float64)), rtol=1e-6)
    np.testing.assert_allclose(
        tf.nn.log_softmax(logits),
        logits - logsumexp(logits.astype(np.float64), -1, keepdims=True),
        rtol=1e-6,
        atol=1e-6,
    )
    np.testing.assert_allclose(traced(tf.nn.softmax, logits), soft)
    a, b, c = 1, 10, 100
    x = tf.constant([a, b, c])
    assert tf.math.cumsum(x).numpy().tolist() == [a, a + b, a + b + c]
    assert tf.math.cumsum(x, exclusive=True).numpy().tolist() == [0, a, a + b]
    assert tf.math.cumsum(x, reverse=True).numpy().tolist() == [a + b + c, b + c, c]
    assert tf.math.cumsum(x, exclusive=True, reverse=True).numpy().tolist() == [b + c, c, 0]
    assert tf.math.cumprod(x, exclusive=True).numpy().tolist() == [1, a, a * b]
    grid = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(tf.math.cumsum(grid, axis=1), np.cumsum(grid, 1))
    np.testing.assert_array_equal(
        traced(lambda g: tf.math.cumprod(g, axis=0), grid), np.cumprod(grid, 0)
    )


def test_shape_and_selection_ops_match_tensorflows_examples():
    t = tf.constant([[1, 2, 3], [4, 5, 6]])
    assert tf.pad(t, [[1, 1], [2, 2]]).numpy().tolist() == [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 0, 1, 2, 3, 0, 0],
        [0, 0, 4, 5, 6, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ]
    assert tf.pad(t, [[1, 1], [2, 2]], "REFLECT").numpy().tolist() == [
        [6, 5, 4, 5, 6, 5, 4],
        [3, 2, 1, 2, 3, 2, 1],
        [6, 5, 4, 5, 6, 5, 4],
        [3, 2, 1, 2, 3, 2, 1],
    ]
    assert tf.pad(t, [[1, 1], [2, 2]], "SYMMETRIC").numpy().tolist() == [
        [2, 1, 1, 2, 3, 3, 2],
        [2, 1, 1, 2, 3, 3, 2],
        [5, 4, 4, 5, 6, 6, 5],
        [5, 4, 4, 5, 6, 6, 5],
    ]
    assert tf.sequence_mask([1, 3, 2], 5).numpy().tolist() == [
        [True, False, False, False, False],
        [True, True, True, False, False],
        [True, True, False, False, False],
    ]
    assert tf.sequence_mask([[1, 3], [2, 0]]).shape == (2, 2, 3)
    y, idx = tf.unique([1, 1, 2, 4, 4, 4, 7, 8, 8])
    assert y.numpy().tolist() == [1, 2, 4, 7, 8] and idx.numpy().tolist() == [
        0,
        0,
        1,
        2,
        2,
        2,
        3,
        4,
        4,
    ]
    assert tf.roll([0, 1, 2, 3, 4], shift=2, axis=0).numpy().tolist() == [3, 4, 0, 1, 2]
    grid = tf.reshape(tf.range(10), [2, 5])
    assert tf.roll(grid, shift=[1, -2], axis=[0, 1]).numpy().tolist() == [
        [7, 8, 9, 5, 6],
        [2, 3, 4, 0, 1],
    ]
    assert tf.range(3, 18, 3).numpy().tolist() == [3, 6, 9, 12, 15]
    assert tf.range(3, 1, -0.5).numpy().tolist() == [3, 2.5, 2, 1.5]
    assert tf.range(5).numpy().tolist() == [0, 1, 2, 3, 4] and tf.range(5).dtype is tf.int32
    assert tf.range(0, 5, dtype=tf.int64).dtype is tf.int64
    tensor = [0, 1, 2, 3]
    assert tf.boolean_mask(tensor, np.array([True, False, True, False])).numpy().tolist() == [0, 2]
    rows = tf.boolean_mask([[1, 2], [3, 4], [5, 6]], np.array([True, False, True]))
    assert rows.numpy().tolist() == [[1, 2], [5, 6]]
    assert tf.tile(tf.constant([[1, 2, 3], [4, 5, 6]]), [1, 2]).numpy().tolist() == [
        [1, 2, 3, 1, 2, 3],
        [4, 5, 6, 4, 5, 6],
    ]
    assert tf.where([True, False, False, True], [1, 2, 3, 4], [100]).numpy().tolist() == [
        1,
        100,
        100,
        4,
    ]
    assert tf.where([True, False, False, True]).numpy().tolist() == [[0], [3]]
    assert tf.where(np.array([[True, False], [False, True]])).dtype is tf.int64
    assert tf.reverse(t, [1]).numpy().tolist() == [[3, 2, 1], [6, 5, 4]]
    assert tf.slice(t, [1, 0], [1, 2]).numpy().tolist() == [[4, 5]]
    assert tf.slice(t, [0, 1], [-1, -1]).numpy().tolist() == [[2, 3], [5, 6]]
    assert tf.broadcast_to(tf.constant([1, 2, 3]), [3, 3]).numpy().tolist() == [[1, 2, 3]] * 3
    assert tf.squeeze(tf.zeros([1, 2, 1, 3, 1])).shape == (2, 3)
    assert tf.squeeze(tf.zeros([1, 2, 1, 3, 1]), [2, 4]).shape == (1, 2, 3)
    assert tf.expand_dims(t, -1).shape == (2, 3, 1) and tf.expand_dims(t, 0).shape == (1, 2, 3)
    assert tf.zeros([2, 3])[:, tf.newaxis].shape == (2, 1, 3)
    parts = tf.split(tf.zeros([5, 30]), [4, 15, 11], 1)
    assert [p.shape.as_list() for p in parts] == [[5, 4], [5, 15], [5, 11]]
    assert [p.shape for p in tf.split(tf.zeros([5, 30]), 3, axis=1)] == [(5, 10)] * 3
    assert [u.numpy().tolist() for u in tf.unstack(t, axis=1)] == [[1, 4], [2, 5], [3, 6]]
    assert tf.sort([1, 10, 26.9, 2.8, 166.32, 62.3]).numpy().tolist() == pytest.approx(
        [1.0, 2.8, 10.0, 26.9, 62.3, 166.32]
    )
    assert tf.argsort([1, 10, 26.9, 2.8, 166.32, 62.3]).numpy().tolist() == [0, 3, 1, 2, 5, 4]
    assert tf.sort([3, 1, 2], direction="DESCENDING").numpy().tolist() == [3, 2, 1]
    params = tf.constant(["p0", "p1", "p2", "p3", "p4", "p5"])
    assert tf.gather(params, [3, 1]).numpy().tolist() == [b"p3", b"p1"]
    assert tf.gather(params, [[2, 0], [2, 5]]).shape == (2, 2)
    assert tf.gather(t, [2, 0], axis=1).numpy().tolist() == [[3, 1], [6, 4]]
    assert tf.identity(t).numpy().tolist() == t.numpy().tolist()
    a = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    b = np.arange(7, 13, dtype=np.float32).reshape(3, 2)
    assert tf.matmul(a, b).numpy().tolist() == [[58, 64], [139, 154]]
    batch = np.random.default_rng(0).normal(size=(4, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(
        tf.matmul(batch, batch, transpose_b=True), batch @ batch.transpose(0, 2, 1), rtol=1e-5
    )
    np.testing.assert_allclose(
        tf.einsum("bij,bkj->bik", batch, batch), batch @ batch.transpose(0, 2, 1), rtol=1e-5
    )


def _gather_reference(params, indices, axis, batch_dims):
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    return np.stack(
        [
            _gather_reference(p, i, axis - 1, batch_dims - 1)
            for p, i in zip(params, indices, strict=True)
        ]
    )


def test_gather_with_batch_dims_follows_tensorflows_examples_and_numpy():
    # TensorFlow's documented example.
    got = tf.gather([[1, 2, 3], [4, 5, 6]], [[2, 0], [1, 1]], batch_dims=1)
    assert got.numpy().tolist() == [[3, 1], [5, 5]]
    rng = np.random.default_rng(3)
    params = rng.normal(size=(2, 3, 4, 5)).astype(np.float32)
    for batch_dims, axis, index_shape in [
        (1, 1, (2, 6)),
        (1, 2, (2, 2, 3)),
        (1, 3, (2,)),
        (2, 2, (2, 3, 4)),
        (2, 3, (2, 3)),
        (-1, 2, (2, 3, 7)),
    ]:
        size = params.shape[axis]
        indices = rng.integers(0, size, index_shape)
        bd = batch_dims + len(index_shape) if batch_dims < 0 else batch_dims
        want = _gather_reference(params, indices, axis, bd)
        np.testing.assert_array_equal(
            tf.gather(params, indices, axis=axis, batch_dims=batch_dims).numpy(), want
        )
        traced = tf.data.Dataset.from_tensors((params, indices)).map(
            lambda p, i, a=axis, b=batch_dims: tf.gather(p, i, axis=a, batch_dims=b)
        )
        assert traced.element_spec.shape == want.shape
        np.testing.assert_array_equal(next(iter(traced)).numpy(), want)
    # axis defaults to batch_dims.
    indices = rng.integers(0, 3, (2, 4))
    np.testing.assert_array_equal(
        tf.gather(params, indices, batch_dims=1).numpy(), _gather_reference(params, indices, 1, 1)
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be equal"):
        tf.gather(params, np.zeros((3, 2), np.int64), axis=1, batch_dims=1)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least batch_dims"):
        tf.gather(params, np.zeros((2, 3), np.int64), axis=0, batch_dims=1)


def test_slice_takes_bounds_computed_in_the_function():
    image = np.arange(60).reshape(5, 4, 3)
    ds = tf.data.Dataset.from_tensors((image, np.array([1, 2, 0]), np.array([3, -1, 2])))
    got = traced(
        lambda x, b, s: tf.slice(x, b, s), image, np.array([1, 2, 0]), np.array([3, -1, 2])
    )
    np.testing.assert_array_equal(got, image[1:4, 2:, 0:2])
    # A list holding computed scalars, as sample_distorted_bounding_box's users write it.
    listed = traced(lambda x: tf.slice(x, [x[0, 0, 0] + 1, 0, 0], [2, 2, -1]), image)
    np.testing.assert_array_equal(listed, image[1:3, :2])
    with pytest.raises(tf.errors.InvalidArgumentError, match="reach outside"):
        next(iter(ds.map(lambda x, b, s: tf.slice(x, b, s + 5))))


def test_errors_name_the_operation_and_values():
    with pytest.raises(
        tf.errors.InvalidArgumentError,
        match=r"gather: indices contains 7, which is not in \[0, 3\)",
    ):
        tf.gather([1, 2, 3], [7])
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="squeeze: cannot squeeze dimension 1 of size 2"
    ):
        tf.squeeze(tf.zeros([1, 2]), [1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="REFLECT"):
        tf.pad(tf.constant([1, 2]), [[2, 0]], "REFLECT")
    with pytest.raises(tf.errors.InvalidArgumentError, match="not compatible with expected shape"):
        tf.ensure_shape(tf.zeros([2, 3]), [2, 4])
    assert tf.ensure_shape(tf.zeros([2, 3]), [None, 3]).shape == (2, 3)
    with pytest.raises(ValueError, match="does not divide"):
        tf.split(tf.zeros([5]), 2)


def test_shape_ops_trace_natively_with_unknown_sizes():
    def fn(row):
        kept = tf.boolean_mask(row, row > 2.0)
        return (
            tf.reduce_sum(kept),
            tf.gather(row, tf.argsort(row, direction="DESCENDING")),
            tf.pad(tf.expand_dims(row, 0), [[0, 1], [1, 0]], constant_values=-1.0),
            tf.tile(row, [2]),
            tf.where(row > 3.0, row, tf.zeros_like(row)),
            tf.cast(tf.where(row > 3.0), tf.int32),
            tf.sequence_mask(tf.cast(row, tf.int32), 5),
            tf.range(tf.cast(tf.reduce_max(row), tf.int32)),
            tf.squeeze(tf.reverse(tf.expand_dims(row, 1), [0]), [1]),
            tf.roll(row, 1, 0),
            tf.unique(tf.cast(row, tf.int64)).idx,
        )

    values = np.array([4.0, 1.0, 3.0, 4.0], np.float32)
    got = traced(fn, values)
    assert got[0] == 11.0 and got[1].tolist() == [4.0, 4.0, 3.0, 1.0]
    assert got[2].tolist() == [[-1.0, 4.0, 1.0, 3.0, 4.0], [-1.0] * 5]
    assert got[3].tolist() == [4.0, 1.0, 3.0, 4.0] * 2
    assert got[4].tolist() == [4.0, 0.0, 0.0, 4.0] and got[5].tolist() == [[0], [3]]
    assert got[6][1].tolist() == [True, False, False, False, False]
    assert got[7].tolist() == [0, 1, 2, 3]
    assert got[8].tolist() == [4.0, 3.0, 1.0, 4.0] and got[9].tolist() == [4.0, 4.0, 1.0, 3.0]
    assert got[10].tolist() == [0, 1, 2, 0]


def test_control_flow_and_helpers(capsys):
    assert int(tf.cond(tf.constant(True), lambda: 1, lambda: 2)) == 1
    ds = tf.data.Dataset.range(4).map(lambda x: tf.cond(x > 1, lambda: x * 10, lambda: -x))
    assert list(ds.as_numpy_iterator()) == [0, -1, 20, 30]
    squares = tf.map_fn(lambda r: r * r, tf.constant([[1, 2], [3, 4]]))
    assert squares.numpy().tolist() == [[1, 4], [9, 16]]
    pairs = tf.vectorized_map(lambda p: p[0] + p[1], (tf.constant([1, 2]), tf.constant([10, 20])))
    assert pairs.numpy().tolist() == [11, 22]
    mapped = tf.data.Dataset.from_tensors(np.array([1, 2, 3])).map(
        lambda v: tf.map_fn(lambda x: x + 1, v)
    )
    assert next(mapped.as_numpy_iterator()).tolist() == [2, 3, 4]
    tf.print("value:", tf.constant([1, 2]), tf.constant(b"text"), output_stream="stdout")
    assert capsys.readouterr().out == "value: [1 2] text\n"
    with tf.name_scope("block") as scope:
        assert scope == "block"
    assert tf.dtypes.as_dtype("int64") is tf.int64 and tf.dtypes.float32 is tf.float32


def _notes(ds):
    it = iter(ds)
    first = next(it)
    return first, [n for stage in it.stats() for n in stage["notes"]]


def test_map_fn_and_vectorized_map_run_natively_row_by_row():
    batch = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    want = np.stack([r * 2 + r.sum() for r in batch])
    for mapper in (tf.map_fn, tf.vectorized_map):
        got = traced(lambda b, m=mapper: m(lambda r: r * 2 + tf.reduce_sum(r), b), batch)
        np.testing.assert_array_equal(got, want)
    # Structures in and out, and rows of several inputs taken in step.
    pairs = traced(
        lambda a, b: tf.map_fn(lambda p: {"sum": p[0] + p[1], "a": p[0]}, (a, b)),
        np.array([1, 2, 3]),
        np.array([10, 20, 30]),
    )
    assert pairs["sum"].tolist() == [11, 22, 33] and pairs["a"].tolist() == [1, 2, 3]
    # Each row draws its own random numbers; the same element draws the same again.
    images = np.zeros((6, 4, 4, 1), np.float32)
    flip = lambda b: tf.map_fn(lambda i: i + tf.random.uniform([], seed=5), b)  # noqa: E731
    once, notes = _notes(tf.data.Dataset.from_tensors(images).map(flip))
    assert not any("runs as Python" in n for n in notes), notes
    assert len(set(once.numpy()[:, 0, 0, 0].tolist())) == 6
    again, _ = _notes(tf.data.Dataset.from_tensors(images).map(flip))
    np.testing.assert_array_equal(once, again)
    # No rows: an empty result of the shape fn gives.
    empty = traced(lambda b: tf.map_fn(lambda r: r[:2] * 2, b), np.zeros((0, 3), np.float32))
    assert empty.shape == (0, 2) and empty.dtype == np.float32
    with pytest.raises(tf.errors.InvalidArgumentError, match="cannot be stacked"):
        ragged = tf.data.Dataset.from_tensors(np.array([1, 2])).map(
            lambda v: tf.map_fn(lambda x: tf.range(x), v)
        )
        next(iter(ragged))
    # A tensor of the outer function used inside runs as Python, with the same result.
    outer, notes = _notes(
        tf.data.Dataset.from_tensors((np.array([1, 2]), np.int64(10))).map(
            lambda v, k: tf.map_fn(lambda x: x + k, v)
        )
    )
    assert outer.numpy().tolist() == [11, 12] and notes[0].startswith("runs as Python")


@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ij,jk->ik", [(2, 3), (3, 4)]),
        ("bij,bkj->bik", [(2, 3, 4), (2, 5, 4)]),
        ("i,i->", [(5,), (5,)]),
        ("ij->ji", [(2, 3)]),
        ("ij->j", [(2, 3)]),
        ("i,j->ij", [(3,), (4,)]),
        ("ij,jk", [(2, 3), (3, 4)]),
        ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 4)]),
        ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)]),
    ],
)
def test_einsum_traces_and_matches_numpy(equation, shapes):
    rng = np.random.default_rng(len(equation))
    inputs = [rng.normal(size=s).astype(np.float32) for s in shapes]
    got = traced(lambda *xs: tf.einsum(equation, *xs), *inputs)
    np.testing.assert_allclose(got, np.einsum(equation, *inputs), rtol=1e-5, atol=1e-5)


def test_einsum_with_a_diagonal_runs_as_python():
    square = np.arange(9, dtype=np.float32).reshape(3, 3)
    got, notes = _notes(tf.data.Dataset.from_tensors(square).map(lambda m: tf.einsum("ii->i", m)))
    assert got.numpy().tolist() == [0, 4, 8] and notes[0].startswith("runs as Python")


def test_print_in_a_traced_function_prints_each_element(capsys):
    ds = tf.data.Dataset.range(3).map(
        lambda x: (tf.print("value:", x, [x, x * 2], output_stream="sys.stdout"), x + 1)[1]
    )
    assert list(ds.as_numpy_iterator()) == [1, 2, 3]
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"value: {i} [{i}, {2 * i}]" for i in range(3)]
    quiet = io.StringIO()
    silent = tf.data.Dataset.range(3).map(lambda x: (tf.print(x, output_stream=quiet), x)[1])
    got, notes = _notes(silent)
    assert not any("runs as Python" in n for n in notes), notes


def test_composed_binary_functions_match_numpy_and_trace():
    y = np.array([1.0, -1.0, 1.0, -1.0, 0.0, 0.0, 2.0, -3.0], np.float32)
    x = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 0.0, 0.0], np.float32)
    np.testing.assert_allclose(tf.math.atan2(y, x), np.arctan2(y, x), atol=1e-6)
    np.testing.assert_allclose(traced(tf.math.atan2, y, x), np.arctan2(y, x), atol=1e-6)
    assert tf.math.divide_no_nan([1.0, 2.0], [0.0, 4.0]).numpy().tolist() == [0.0, 0.5]
    assert tf.math.multiply_no_nan([np.inf, 2.0], [0.0, 3.0]).numpy().tolist() == [0.0, 6.0]
    np.testing.assert_allclose(tf.math.xlogy([0.0, 2.0], [0.0, 3.0]), [0.0, 2 * np.log(3.0)])
    assert tf.math.xdivy([0.0, 3.0], [0.0, 2.0]).numpy().tolist() == [0.0, 1.5]
    a, b = np.array([7, -7, 7, -7, 6]), np.array([2, 2, -2, -2, 3])
    assert tf.math.truncatediv(a, b).numpy().tolist() == np.trunc(a / b).astype(int).tolist()
    assert tf.math.truncatemod(a, b).numpy().tolist() == np.fmod(a, b).tolist()
    floats = np.array([7.5, -7.5], np.float32)
    np.testing.assert_array_equal(tf.math.truncatemod(floats, 2.0), np.fmod(floats, 2.0))
    assert int(tf.math.add_n([1, 2, 3])) == 6 and float(tf.math.squared_difference(3.0, 1.0)) == 4.0
    assert tf.math.scalar_mul(2, tf.constant([1, 2])).numpy().tolist() == [2, 4]


def test_edge_values_as_tensorflow_gives_them():
    assert float(tf.reduce_logsumexp([-np.inf, -np.inf])) == -np.inf
    assert float(tf.reduce_logsumexp([np.inf, 1.0])) == np.inf
    assert float(tf.math.divide_no_nan(np.inf, 0.0)) == 0.0
    assert tf.where(True).shape == (1, 0) and tf.where(False).shape == (0, 0)
    y, idx = tf.unique([np.nan, np.nan, 1.0])
    assert y.shape == (3,) and idx.numpy().tolist() == [0, 1, 2]  # NaN equals nothing
    ordered = tf.sort(np.array([np.nan, -np.nan, 1.0, -2.0], np.float32)).numpy()
    assert ordered[:2].tolist() == [-2.0, 1.0] and np.isnan(ordered[2:]).all()
    with pytest.raises(TypeError, match="floats"):
        tf.math.reduce_variance(np.array([1, 2]))
    with pytest.raises(ValueError, match="matrix norm"):
        tf.norm(np.ones((2, 2), np.float32), ord=1, axis=[0, 1])
    with pytest.raises(tf.errors.InvalidArgumentError, match="range"):
        tf.range(0.0, float("inf"))
    spec = tf.data.Dataset.from_tensors(
        (np.ones((1, 2, 3), np.float32), np.ones((5, 3, 4), np.float32))
    ).map(lambda a, b: tf.matmul(a, b))
    assert spec.element_spec.shape == (5, 2, 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="non-zero size"):
        tf.compat.v1.image.resize_bilinear(np.zeros((0, 4, 3), np.uint8), (2, 2))
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be positive"):
        tf.image.crop_and_resize(np.zeros((1, 0, 4, 1)), [[0, 0, 1, 1]], [0], (2, 2))
