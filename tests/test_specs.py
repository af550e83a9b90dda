"""Specs: shapes, canonical weights, and the NumPy reference building blocks."""

from __future__ import annotations

import numpy as np
import pytest

from polybench.specs import SPECS, get_spec, lstm_models, ops


def test_fcn_parameters_are_polydlots_architecture():
    assert get_spec("mnist_fcn").parameter_shapes() == {
        "hidden1.kernel": (784, 512),
        "hidden1.bias": (512,),
        "hidden2.kernel": (512, 256),
        "hidden2.bias": (256,),
        "output.kernel": (256, 10),
        "output.bias": (10,),
    }


def test_cnn_parameters_are_polydlots_architecture():
    assert get_spec("mnist_cnn").parameter_shapes() == {
        "conv1.kernel": (32, 1, 5, 5),
        "conv1.bias": (32,),
        "conv2.kernel": (64, 32, 5, 5),
        "conv2.bias": (64,),
        "dense.kernel": (3136, 1024),
        "dense.bias": (1024,),
        "output.kernel": (1024, 10),
        "output.bias": (10,),
    }


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
    x = spec.parity_batch(2)  # two samples: moving_square's float64 CNN-LSTM takes a second per sample
    assert x.shape == (2, *spec.input_shape)
    out = spec.reference_forward(spec.parity_parameters(), x)
    assert out.shape == (2, *spec.output_shape) and out.dtype == np.float64 and np.isfinite(out).all()


@pytest.mark.parametrize("model", ["mnist_fcn", "mnist_cnn"])
def test_mnist_profiles_follow_the_spec(model):
    spec = get_spec(model)
    full = spec.profile("full")
    assert full.batch_size == 128 and full.optimizer.learning_rate == 1e-3
    assert full.epochs == {"mnist_fcn": 10, "mnist_cnn": 3}[model]
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
                    expected[n, o, i, j] = (padded[n, :, i : i + 3, j : j + 3] * k[o]).sum() + b[o]
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


def test_lstm_reference_follows_the_gate_equations():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 2, 4))
    kernel, recurrent, bias = rng.normal(size=(4, 8)), rng.normal(size=(2, 8)), rng.normal(size=8)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h, c = np.zeros((3, 2)), np.zeros((3, 2))
    for t in range(2):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = sig(z[:, 0:2]), sig(z[:, 2:4]), np.tanh(z[:, 4:6]), sig(z[:, 6:8])
        c = f * c + i * g
        h = o * np.tanh(c)
    assert np.allclose(ops.lstm(x, kernel, recurrent, bias), h)
    backward = ops.lstm(x, kernel, recurrent, bias, reverse=True, return_sequences=True)
    assert np.allclose(backward[:, ::-1], ops.lstm(x[:, ::-1], kernel, recurrent, bias, return_sequences=True))


def test_lstm_weights_are_uniform_in_one_over_sqrt_units():
    params = get_spec("echo").init_parameters(0)
    for name in ("lstm.kernel", "lstm.recurrent_kernel", "lstm.bias"):
        assert np.abs(params[name]).max() <= 1 / np.sqrt(25) and np.abs(params[name]).max() > 0.9 / np.sqrt(25)


GENERATED = [name for name, cls in SPECS.items() if hasattr(cls, "generate")]


@pytest.mark.parametrize("model", GENERATED)
def test_generated_data_depends_on_the_spec_seed_only(model):
    spec = get_spec(model)
    first, again = spec.generate_splits(), spec.generate_splits()
    for split in ("train", "val", "test"):
        for column in first[split]:
            assert np.array_equal(first[split][column], again[split][column])
    assert len(next(iter(first["train"].values()))) == spec.sizes["train"]


@pytest.mark.parametrize("model", GENERATED)
def test_csv_round_trip_renders_the_same_arrays(model, tmp_path):
    from polybench.data import tables

    spec = get_spec(model)
    tables.write_generated(spec, tmp_path)
    loaded = tables.load_splits(spec, tmp_path)
    direct = spec.render(spec.generate_splits()["val"])
    rows = np.arange(min(5, len(direct)))
    assert np.allclose(loaded["val"].inputs(rows), direct.inputs(rows), atol=1e-6)
    assert np.allclose(loaded["val"].y, direct.y, atol=1e-6)
    assert loaded["val"].inputs(rows).shape == (len(rows), *spec.input_shape)


def test_echo_label_is_the_third_digit():
    split = get_spec("echo").render(get_spec("echo").generate_splits()["test"])
    assert np.array_equal(split.x.argmax(-1)[:, 2], split.y) and split.x.sum(-1).max() == 1


def test_addition_answers_are_the_sums():
    from polybench.specs.addition import decode

    split = get_spec("addition").render(get_spec("addition").generate_splits()["val"])
    problems, answers = decode(split.x.argmax(-1)), decode(split.y)
    assert all(len(p) == 8 for p in problems)
    assert all(sum(int(t) for t in p.split("+")) == int(a) for p, a in zip(problems, answers, strict=True))


def test_cumsum_targets_switch_once_the_sum_passes_the_limit():
    split = get_spec("cumsum").render(get_spec("cumsum").generate_splits()["val"])
    sums = np.cumsum(split.x[:, :, 0], axis=1)
    assert np.array_equal(split.y == 1, sums > 2.5)
    assert np.all(np.diff(split.y, axis=1) >= 0)  # once on, stays on


def test_moving_square_frames_grow_one_pixel_per_frame_from_the_right_edge():
    spec = get_spec("moving_square")
    split = spec.render({"row": np.array([7, 30]), "direction": np.array([1, 0])})
    frames = split.inputs(np.arange(2))
    assert frames.shape == (2, 50, 1, 50, 50)
    assert [frames[0, t].sum() for t in (0, 9, 49)] == [1, 10, 50]
    assert frames[0, 4, 0, 7, :5].tolist() == [1] * 5 and frames[0, 4, 0, 7, 5:].sum() == 0
    assert frames[1, 4, 0, 30, -5:].tolist() == [1] * 5 and frames[1, 4, 0, 30, :-5].sum() == 0
    assert split.y.tolist() == [1, 0]


def test_shape_gen_pairs_consecutive_corners():
    split = get_spec("shape_gen").render({"width": np.array([0.5]), "height": np.array([0.25])})
    assert split.x[:, 0].tolist() == [[0, 0], [0.5, 0], [0.5, 0.25]]
    assert split.y.tolist() == [[0.5, 0], [0.5, 0.25], [0, 0.25]]


def test_damped_sine_continues_the_same_wave():
    spec = get_spec("damped_sine")
    split = spec.render({"period": np.array([10]), "decay": np.array([0.05])})
    i = np.arange(55)
    wave = 0.5 + 0.5 * np.sin(2 * np.pi * i / 10) * np.exp(-0.05 * i)
    assert np.allclose(split.x[0, :, 0], wave[:50], atol=1e-6) and np.allclose(split.y[0], wave[50:], atol=1e-6)


@pytest.mark.parametrize(
    "loss, outputs, y, expected",
    [
        ("l1", np.array([[0.5, 1.0]]), np.array([[0.0, 0.0]]), 0.75),
        ("sigmoid_binary_cross_entropy", np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]), np.log(2)),
    ],
)
def test_losses_by_name(loss, outputs, y, expected):
    from polybench.specs import objectives

    assert objectives.LOSSES[loss](outputs, y) == pytest.approx(expected)


def test_sequence_metrics():
    spec = get_spec("cumsum")
    logits = np.array([[5.0, -5.0, 5.0], [5.0, 5.0, 5.0]])
    y = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
    assert spec.compute_metric(logits, y) == pytest.approx(5 / 6)
    assert spec.compute_metric(logits, y, "sequence_accuracy") == 0.5
    assert get_spec("addition").compute_metric(np.eye(12)[[[1, 2], [1, 3]]], np.array([[1, 2], [1, 2]])) == 0.5


def test_the_lstm_models_are_the_six_toy_tasks_and_var_addition():
    lstms = ("echo", "damped_sine", "moving_square", "addition", "cumsum", "shape_gen", "var_addition")
    assert lstm_models() == lstms
