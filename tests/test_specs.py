"""Specs: shapes, canonical weights, and the NumPy reference building blocks."""

from __future__ import annotations

import numpy as np
import pytest

from polybench.specs import SPECS, get_spec, ops


def test_fcn_parameters_are_polydlots_architecture():
    assert get_spec("mnist_fcn").parameter_shapes() == {
        "hidden1.kernel": (784, 512), "hidden1.bias": (512,),
        "hidden2.kernel": (512, 256), "hidden2.bias": (256,),
        "output.kernel": (256, 10), "output.bias": (10,)}


def test_cnn_parameters_are_polydlots_architecture():
    assert get_spec("mnist_cnn").parameter_shapes() == {
        "conv1.kernel": (32, 1, 5, 5), "conv1.bias": (32,),
        "conv2.kernel": (64, 32, 5, 5), "conv2.bias": (64,),
        "dense.kernel": (3136, 1024), "dense.bias": (1024,),
        "output.kernel": (1024, 10), "output.bias": (10,)}


@pytest.mark.parametrize("model", list(SPECS))
def test_canonical_weights_are_seeded_float32(model):
    spec = get_spec(model)
    a, b, c = spec.init_parameters(0), spec.init_parameters(0), spec.init_parameters(1)
    for name, shape in spec.parameter_shapes().items():
        assert a[name].shape == shape and a[name].dtype == np.float32
        assert np.array_equal(a[name], b[name])
    kernels = [n for n in a if n.endswith("kernel")]
    assert all(not np.array_equal(a[n], c[n]) for n in kernels)
    zero_init = [p.name for p in spec.parameters if p.init == "zeros"]
    assert all(not a[n].any() for n in zero_init)


@pytest.mark.parametrize("model", list(SPECS))
def test_reference_forward_gives_one_output_per_sample(model):
    spec = get_spec(model)
    x = spec.parity_batch(5)
    assert x.shape == (5, *spec.input_shape)
    out = spec.reference_forward(spec.parity_parameters(), x)
    assert out.shape == (5, *spec.output_shape) and out.dtype == np.float64 and np.isfinite(out).all()


@pytest.mark.parametrize("model", ["mnist_fcn", "mnist_cnn"])
def test_mnist_profiles_follow_the_spec(model):
    spec = get_spec(model)
    full = spec.profile("full")
    assert full.batch_size == 128 and full.optimizer.learning_rate == 1e-3
    assert full.epochs == {"mnist_fcn": 10, "mnist_cnn": 5}[model]
    assert spec.profile("quick").epochs == 1
    with pytest.raises(ValueError, match="choose from: quick, full"):
        spec.profile("fast")


def test_same_convolution_matches_a_direct_loop():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 6, 5))
    k = rng.normal(size=(4, 3, 3, 3))
    b = rng.normal(size=4)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((2, 4, 6, 5))
    for n in range(2):
        for o in range(4):
            for i in range(6):
                for j in range(5):
                    expected[n, o, i, j] = (padded[n, :, i:i + 3, j:j + 3] * k[o]).sum() + b[o]
    assert np.allclose(ops.conv2d(x, k, b), expected)


def test_max_pool_takes_each_windows_maximum():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    assert ops.max_pool2d(x).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]


def test_metric_and_loss_on_host_arrays():
    spec = get_spec("mnist_fcn")
    logits = np.array([[2.0, 0.0] + [0.0] * 8, [0.0, 3.0] + [0.0] * 8])
    assert spec.compute_metric(logits, np.array([0, 0])) == 0.5
    expected = -np.log(np.exp(2.0) / (np.exp(2.0) + 9)) / 2 - np.log(1 / (np.exp(3.0) + 9)) / 2
    assert spec.compute_loss(logits, np.array([0, 0])) == pytest.approx(expected)
    assert spec.metric.met(0.98) and not spec.metric.met(0.97) and not spec.metric.met(float("nan"))
