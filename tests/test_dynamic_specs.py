"""The dynamic specs: variable-length sums and expression trees in the padded form, their
generators, CSVs, and reference forward passes at exact lengths and over each tree."""

from __future__ import annotations

import numpy as np
import pytest

from polybench.data import tables
from polybench.specs import DYNAMIC_SPECS, SPECS, tree_eval
from polybench.specs.addition import ALPHABET, decode
from polybench.specs.base import Split, step_lengths
from polybench.specs.dynamic import DynamicSpec, one_hot_padded
from polybench.specs.tree_eval import TOKENS, TreeEval, parse, token_ids
from polybench.specs.var_addition import ANSWER_CHARS, PROBLEM_CHARS, VarAddition

NAMES = list(DYNAMIC_SPECS)


def small(name: str) -> DynamicSpec:
    """The named spec with small splits, so that writing and reading its CSVs takes a moment."""
    spec = DYNAMIC_SPECS[name]()
    spec.sizes = {"train": 300, "val": 120, "test": 80}
    return spec


def sigmoid(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


def test_the_dynamic_specs_are_the_registry_s_last_two():
    assert list(DYNAMIC_SPECS) == ["var_addition", "tree_eval"] == list(SPECS)[-2:]


@pytest.mark.parametrize("name", NAMES)
def test_generator_is_deterministic_per_seed(name):
    spec = DYNAMIC_SPECS[name]()
    first, again, other = (spec.generate(200, np.random.default_rng(seed)) for seed in (3, 3, 4))
    assert all(np.array_equal(first[column], again[column]) for column in spec.schema)
    text = next(column for column, group in spec.schema.items() if group.dtype == "str")
    assert (first[text] != other[text]).mean() > 0.5


@pytest.mark.parametrize("name", NAMES)
def test_splits_come_from_the_spec_seed_only(name):
    spec = small(name)
    first, again = spec.generate_splits(), spec.generate_splits()
    for split, columns in first.items():
        assert all(len(column) == spec.sizes[split] for column in columns.values())
        assert all(np.array_equal(columns[c], again[split][c]) for c in columns)


@pytest.mark.parametrize("name", NAMES)
def test_csv_round_trip_renders_the_same_padded_inputs_and_lengths(name, tmp_path):
    spec = small(name)
    written = tables.write_generated(spec, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{name}_{s}.csv" for s in ("train", "val", "test"))
    loaded = tables.load_splits(spec, tmp_path)
    for split, columns in spec.generate_splits().items():
        direct = spec.render(columns)
        assert loaded[split].x.shape == (spec.sizes[split], *spec.input_shape)
        assert np.array_equal(loaded[split].x, direct.x) and np.array_equal(loaded[split].y, direct.y)
        assert np.array_equal(loaded[split].lengths, direct.lengths)


def test_var_addition_lengths_spread_more_than_threefold_within_a_batch():
    spec = VarAddition()
    split = spec.render(spec.generate(3200, np.random.default_rng(0)))
    batch = spec.profile("full").batch_size
    per_batch = split.lengths.reshape(-1, batch)
    spread = per_batch.max(axis=1) / per_batch.min(axis=1)
    assert np.median(spread) >= 3 and spread.min() >= 2
    assert split.lengths.min() == 3 and split.lengths.max() == PROBLEM_CHARS == 11  # 11: one sample in 58


def test_var_addition_answers_are_the_sums_right_aligned():
    spec = VarAddition()
    columns = spec.generate(500, np.random.default_rng(1))
    split = spec.render(columns)
    problems = [decode(row[:n].argmax(axis=1)[None])[0] for row, n in zip(split.x, split.lengths, strict=True)]
    assert problems == list(columns["problem"])
    for problem, answer in zip(problems, decode(split.y), strict=True):
        terms = problem.split("+")
        assert 2 <= len(terms) <= 4 and all(1 <= len(t) <= 2 and (len(t) == 1 or t[0] != "0") for t in terms)
        assert answer == str(sum(map(int, terms))).rjust(3)


def infix(postfix: str) -> str:
    """The fully parenthesised infix form of a postfix expression."""
    stack: list[str] = []
    for token in postfix:
        if token.isdigit():
            stack.append(token)
        else:
            right, left = stack.pop(), stack.pop()
            stack.append(f"({left}{token}{right})")
    return stack.pop()


def test_tree_depths_one_to_five_all_present_and_values_are_mod_ten():
    spec = TreeEval()
    columns = spec.generate(1000, np.random.default_rng(2))
    depths = np.array([parse(token_ids(p)).depth for p in columns["postfix"]])
    assert sorted(set(depths)) == [1, 2, 3, 4, 5]
    assert np.bincount(depths, minlength=6)[1:].min() >= 150  # about a fifth each
    assert [eval(infix(p)) % 10 for p in columns["postfix"]] == columns["value"].tolist()  # Python's own arithmetic
    assert max(len(p) for p in columns["postfix"]) <= spec.input_shape[0]
    assert len(set(columns["value"].tolist())) == 10


def test_parse_gives_children_and_heights_in_postfix_order():
    tree = parse(token_ids("34+5-"))
    assert tree.left.tolist() == [-1, -1, 0, -1, 2] and tree.right.tolist() == [-1, -1, 1, -1, 3]
    assert tree.height.tolist() == [0, 0, 1, 0, 2] and tree.depth == 2
    assert tree_eval.evaluate("34+5-") == 2 and tree_eval.evaluate("37-") == 6
    for bad, problem in [("3+", "fewer than two operands"), ("345+", "leave 2 values"), ("3*4", "not in")]:
        with pytest.raises(ValueError, match=problem):
            parse(token_ids(bad))


@pytest.mark.parametrize("name", NAMES)
def test_mean_steps_is_the_generators_mean_length(name):
    spec = DYNAMIC_SPECS[name]()
    lengths = spec.render(spec.generate(4000, np.random.default_rng(5))).lengths
    assert lengths.mean() == pytest.approx(spec.mean_steps(), rel=0.05)
    assert spec.forward_flops() > 0


@pytest.mark.parametrize("name", NAMES)
def test_canonical_weights_are_seeded_float32(name):
    spec = DYNAMIC_SPECS[name]()
    a, b, c = spec.init_parameters(0), spec.init_parameters(0), spec.init_parameters(1)
    for parameter in spec.parameters:
        assert a[parameter.name].shape == parameter.shape and a[parameter.name].dtype == np.float32
        assert np.array_equal(a[parameter.name], b[parameter.name])
        assert parameter.init == "zeros" or not np.array_equal(a[parameter.name], c[parameter.name])


@pytest.mark.parametrize("name", NAMES)
def test_reference_forward_is_finite_and_follows_each_input(name):
    spec = DYNAMIC_SPECS[name]()
    params = spec.parity_parameters()
    x = spec.parity_batch(8)
    assert len(set(step_lengths(x).tolist())) > 2  # the parity batch mixes lengths
    out = spec.reference_forward(params, x)
    assert out.shape == (8, *spec.output_shape) and out.dtype == np.float64 and np.isfinite(out).all()
    distinct = [(i, j) for i in range(8) for j in range(i) if not np.array_equal(x[i], x[j])]
    assert len(distinct) >= 20 and all(np.abs(out[i] - out[j]).max() > 1e-6 for i, j in distinct)
    alone = np.concatenate([spec.reference_forward(params, x[i : i + 1]) for i in range(8)])
    assert np.allclose(out, alone, rtol=0, atol=1e-12)  # a sample's result ignores its batch and its padding


def test_var_addition_reference_is_the_lstm_run_over_exactly_the_problems_characters():
    spec = VarAddition()
    params = spec.parity_parameters()
    p = {name: value.astype(np.float64) for name, value in params.items()}

    def lstm(inputs: list[np.ndarray], layer: str) -> list[np.ndarray]:
        h = c = np.zeros(p[f"{layer}.recurrent_kernel"].shape[0])
        outputs = []
        for step in inputs:
            z = step @ p[f"{layer}.kernel"] + h @ p[f"{layer}.recurrent_kernel"] + p[f"{layer}.bias"]
            i, f, g, o = np.split(z, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            outputs.append(h)
        return outputs

    encoded = lstm([np.eye(len(ALPHABET))[ALPHABET.index(ch)] for ch in "1+2"], "encoder")[-1]
    expected = np.stack([h @ p["output.kernel"] + p["output.bias"] for h in lstm([encoded] * ANSWER_CHARS, "decoder")])
    x, _ = one_hot_padded(["1+2", "99+99+99+99"], ALPHABET, PROBLEM_CHARS)
    assert np.allclose(spec.reference_forward(params, x)[0], expected, rtol=0, atol=1e-12)
    assert not np.allclose(spec.reference_forward(params, x[:, :4])[0], spec.reference_forward(params, x)[1])


def test_tree_reference_is_the_cell_applied_at_each_node():
    spec = TreeEval()
    params = spec.parity_parameters()
    p = {name: value.astype(np.float64) for name, value in params.items()}
    units = p["tree.child_kernel"].shape[0] // 2

    def node(token: str, left=None, right=None) -> tuple[np.ndarray, np.ndarray]:
        (h_l, c_l), (h_r, c_r) = left or (np.zeros(units),) * 2, right or (np.zeros(units),) * 2
        z = p["tree.kernel"][TOKENS.index(token)] + np.concatenate([h_l, h_r]) @ p["tree.child_kernel"] + p["tree.bias"]
        i, f_l, f_r, g, o = np.split(z, 5)
        c = sigmoid(i) * np.tanh(g) + sigmoid(f_l) * c_l + sigmoid(f_r) * c_r
        return sigmoid(o) * np.tanh(c), c

    def logits(state: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        return state[0] @ p["output.kernel"] + p["output.bias"]

    x, _ = one_hot_padded(["7", "34-", "43-"], TOKENS, spec.input_shape[0])
    out = spec.reference_forward(params, x)
    assert np.allclose(out[0], logits(node("7")), rtol=0, atol=1e-12)  # one node: the cell with zero children
    assert np.allclose(out[1], logits(node("-", node("3"), node("4"))), rtol=0, atol=1e-12)
    assert not np.allclose(out[1], out[2])  # the children's order matters


@pytest.mark.parametrize("name", NAMES)
def test_metric_on_perfect_predictions_is_the_best_value(name):
    spec = DYNAMIC_SPECS[name]()
    y = spec.render(spec.generate(50, np.random.default_rng(6))).y
    perfect = 10.0 * np.eye(spec.output_shape[-1])[y]
    assert spec.compute_metric(perfect, y) == 1.0 and spec.metric.met(1.0) and spec.metric.higher_is_better
    wrong = perfect.copy()
    wrong[0] = np.roll(wrong[0], 1, axis=-1)
    assert spec.compute_metric(wrong, y) == pytest.approx(49 / 50) and spec.compute_loss(perfect, y) < 1e-3


def test_split_lengths_follow_their_rows_and_must_match_the_padding():
    x, lengths = one_hot_padded(["12", "1+2+3", "4"], ALPHABET, 6)
    split = Split(x, np.arange(3), lengths=lengths)
    assert split.lengths.tolist() == [2, 5, 1] and split.head(2).lengths.tolist() == [2, 5]
    with pytest.raises(ValueError, match="lengths differ"):
        Split(x, np.arange(3), lengths=np.array([2, 5, 2]))
    gap = x.copy()
    gap[1, 1] = 0
    with pytest.raises(ValueError, match="sample 1 is not a sequence followed by zero padding"):
        step_lengths(gap)
    with pytest.raises(ValueError, match="has 7 characters; a sample has 1 to 6"):
        one_hot_padded(["1+2+3+4"], ALPHABET, 6)
    with pytest.raises(ValueError, match="'x' is not in the alphabet"):
        one_hot_padded(["1x2"], ALPHABET, 6)
