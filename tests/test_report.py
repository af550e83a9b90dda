"""The report: summary.csv, report.md and charts from records alone."""

from __future__ import annotations

import pandas as pd
import pytest

from polybench import records, report
from polybench.errors import PolybenchError


def fake_record(model, framework, status="ok", metric=0.98, seconds=(3.0, 2.0, 2.1), seed=0):
    key = records.RunKey(model, framework, "eager", seed)
    r = records.Record.new(key, "full", status, test_metric=metric).to_dict()
    epochs = [
        {
            "epoch": i + 1,
            "train_loss": 1.0 / (i + 1),
            "val_loss": 1.1 / (i + 1),
            "val_metric": 0.9 + 0.02 * i,
            "seconds": s,
        }
        for i, s in enumerate(seconds)
    ]
    r.update(
        device="cpu",
        metric="accuracy",
        metric_higher_is_better=True,
        target=0.975,
        epochs=epochs,
        environment={"threads": 2, "cpu_model": "Test CPU", "versions": {framework: "1.0"}},
    )
    if status == "ok":
        r.update(
            test_metric=metric,
            target_met=metric >= 0.975,
            first_epoch_seconds=seconds[0],
            steady_epoch_seconds=sorted(seconds[1:])[len(seconds[1:]) // 2] if len(seconds) > 1 else None,
            samples_per_second=1000.0,
            train_seconds=sum(seconds),
            peak_rss_bytes=700 * 2**20,
            implementation_loc=20,
        )
    else:
        r["error"] = "ValueError: it broke"
    return key, r


@pytest.fixture
def run_dir(tmp_path):
    for model, framework, status, metric in [
        ("mnist_fcn", "torch", "ok", 0.98),
        ("mnist_fcn", "mxnet", "ok", 0.97),
        ("mnist_cnn", "torch", "ok", 0.99),
        ("mnist_cnn", "mxnet", "failed", 0),
    ]:
        key, record = fake_record(model, framework, status, metric)
        records.write_record(key.record_path(tmp_path), record)
    return tmp_path


def test_report_writes_summary_markdown_and_charts(run_dir):
    written = report.build([run_dir], run_dir)
    names = {p.relative_to(run_dir).as_posix() for p in written}
    assert names == {
        "summary.csv",
        "report.md",
        "report.html",
        "charts/test_metric.png",
        "charts/epoch_time.png",
        "charts/peak_memory.png",
        "charts/curves_mnist_fcn.png",
        "charts/curves_mnist_cnn.png",
    }
    for chart in run_dir.glob("charts/*.png"):
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
    summary = pd.read_csv(run_dir / "summary.csv")
    assert len(summary) == 4 and set(summary.framework) == {"torch", "mxnet"}
    assert list(summary.model) == ["mnist_fcn", "mnist_fcn", "mnist_cnn", "mnist_cnn"]  # registry order


def test_report_markdown_shows_both_frameworks_targets_and_failures(run_dir):
    report.build([run_dir], run_dir)
    text = (run_dir / "report.md").read_text()
    assert "| mnist_fcn | torch | eager | 1/1 | accuracy 0.9800 | ≥ 0.975 met |" in text
    assert "| mnist_fcn | mxnet | eager | 1/1 | accuracy 0.9700 | ≥ 0.975 not met |" in text
    assert "| mnist_cnn | mxnet | eager | 0/1 | accuracy – |" in text
    assert "mnist_cnn / mxnet / eager / seed 0: **failed** — ValueError: it broke" in text
    assert "No GPU was used" in text
    assert "![test_metric](charts/test_metric.png)" in text


def test_mean_over_seeds_goes_with_its_t_interval(tmp_path):
    for seed, metric in enumerate([0.97, 0.98, 0.996]):
        key, record = fake_record("mnist_fcn", "torch", metric=metric, seed=seed)
        records.write_record(key.record_path(tmp_path), record)
    table = report.aggregate(report.summary_frame(records.read_records([tmp_path])))
    assert table.test_metric.tolist() == [pytest.approx(0.982)]  # the mean (the median would be 0.98)
    assert table.test_metric_low.iloc[0] < 0.982 < table.test_metric_high.iloc[0]
    assert table.runs.tolist() == [3] and table.target_met.tolist() == [True]


def test_empty_run_folder_is_an_error(tmp_path):
    (tmp_path / "records").mkdir()
    with pytest.raises(PolybenchError, match="no records"):
        report.build([tmp_path], tmp_path)


def test_extra_metrics_are_reported_beside_the_main_one(tmp_path):
    key, record = fake_record("cumsum", "torch", metric=0.99)
    record.update(metric="step_accuracy", target=0.985, extra_metrics={"sequence_accuracy": 0.93})
    records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    assert (
        "| cumsum | torch | eager | 1/1 | step_accuracy 0.9900; sequence_accuracy 0.9300 | ≥ 0.985 met |"
        in (tmp_path / "report.md").read_text()
    )
    assert pd.read_csv(tmp_path / "summary.csv")["test_extra_sequence_accuracy"].tolist() == [0.93]


def test_lower_is_better_metrics_meet_targets_from_below(tmp_path):
    key, record = fake_record("shape_gen", "torch", metric=0.09)
    record.update(metric="mae", metric_higher_is_better=False, target=0.11)
    records.write_record(key.record_path(tmp_path), record)
    table = report.aggregate(report.summary_frame(records.read_records([tmp_path])))
    assert table.target_met.tolist() == [True]
    assert "mae 0.0900 | ≤ 0.11 met" in "\n".join(" | ".join(row) for row in report.results_rows(table)[1])


def _seeded(tmp_path, framework, seconds_by_seed):
    for seed, steady in enumerate(seconds_by_seed):
        key, record = fake_record("mnist_fcn", framework, seed=seed, seconds=(3.0, steady, steady))
        records.write_record(key.record_path(tmp_path), record)


def test_intervals_over_seeds_and_the_noise_verdict(tmp_path):
    from scipy import stats

    _seeded(tmp_path, "torch", [2.0, 2.1, 2.2])
    _seeded(tmp_path, "mxnet", [2.05, 2.15, 2.25])
    _seeded(tmp_path, "chainer", [9.0, 9.1, 9.2])
    report.build([tmp_path], tmp_path)
    table = report.aggregate(report.summary_frame(records.read_records([tmp_path])))
    torch_row = table[table.framework == "torch"].iloc[0]
    half = stats.t.ppf(0.975, 2) * 0.1 / 3**0.5
    assert torch_row.steady_epoch_seconds_low == pytest.approx(2.1 - half)
    assert torch_row.steady_epoch_seconds_high == pytest.approx(2.1 + half)
    text = (tmp_path / "report.md").read_text()
    assert "mnist_fcn (eager): torch vs mxnet steady epoch — inside the noise (95% intervals overlap)" in text
    assert "mnist_fcn (eager): torch vs chainer steady epoch — torch faster by 4.33×" in text
    assert f"2.10 [{2.1 - half:.2f}, {2.1 + half:.2f}]" in text


def test_one_epoch_runs_compare_first_epochs(tmp_path):
    for framework, seconds in (("torch", [1.0, 1.1, 1.2]), ("mxnet", [3.0, 3.1, 3.2])):
        for seed, first in enumerate(seconds):
            key, record = fake_record("echo", framework, seed=seed, seconds=(first,))
            records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    assert (
        "echo (eager): torch vs mxnet first epoch (the only one) — torch faster by 2.82×"
        in (tmp_path / "report.md").read_text()
    )


def test_single_seed_compares_by_the_stated_within_run_noise_rule(tmp_path):
    for framework, seconds in (
        ("torch", (3.0, 2.0, 2.1, 2.0)),
        ("mxnet", (3.0, 2.05, 2.1, 2.0)),
        ("chainer", (3.0, 2.6, 2.7, 2.6)),
    ):
        key, record = fake_record("mnist_fcn", framework, seconds=seconds)
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert (
        "Noise rule: with one seed, two epoch times differ outside the noise when their ratio r has |ln r| > 2" in text
    )
    # torch noise: sd(2.0, 2.1, 2.0) / 2.0 = 2.9%; ratio 1.00 is inside, 1.30 is not
    assert "mnist_fcn (eager): torch vs mxnet steady epoch — inside the noise (within the within-run noise)" in text
    assert "mnist_fcn (eager): torch vs chainer steady epoch — torch faster by 1.30×" in text


def test_runs_of_two_epochs_have_no_measured_noise(tmp_path):
    for framework, seconds in (("torch", (3.0, 2.0)), ("mxnet", (3.0, 2.6))):
        key, record = fake_record("mnist_fcn", framework, seconds=seconds)
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    assert (
        "mnist_fcn (eager): torch vs mxnet steady epoch — noise not measured (fewer than three epochs)"
        in (tmp_path / "report.md").read_text()
    )


def test_time_to_target_efficiency_and_loc_sections(tmp_path):
    key, record = fake_record("mnist_fcn", "torch", seconds=(3.0, 2.0, 2.0))
    record.update(
        time_to_target_seconds=5.1,
        flops_per_sample=3_000_000,
        achieved_flops_per_second=3e9,
        peak_flops_per_second=60e9,
        train_samples=1280,
        batch_size=128,
        model_loc=21,
        step_loc=88,
        implementation_loc=109,
    )
    records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "| mnist_fcn | torch | eager | 1/1 | 5.1 |" in text
    assert "| mnist_fcn | 1 | torch | eager | 3 | 3 | 60 | 5.00% |" in text
    assert "Harness overhead" not in text and "No (model, framework) cell has both an idiomatic run" in text
    assert "| mnist_fcn | 109 (21 + 88) |" in text


def _write_mode_record(folder, model, framework, mode, seconds, environment=None):
    """A fake ok record of one mode, with extra ``environment`` fields."""
    _, record = fake_record(model, framework, seconds=seconds)
    record.update(mode=mode)
    record["environment"].update(environment or {})
    records.write_record(records.RunKey(model, framework, mode, 0).record_path(folder), record)


def test_shared_loop_over_idiomatic_ratio_per_mode_with_its_noise(tmp_path):
    cells = {"eager": (3.0, 2.2, 2.3, 2.2), "graph": (5.0, 2.02, 2.0, 2.04), "idiomatic": (2.5, 2.0, 2.05, 2.0)}
    for mode, seconds in cells.items():
        _write_mode_record(tmp_path, "echo", "torch", mode, seconds)
    written = report.build([tmp_path], tmp_path)
    assert tmp_path / "charts" / "shared_vs_idiomatic.png" in written
    text = (tmp_path / "report.md").read_text()
    # eager 2.2 / 2.0 = 1.10, noises 2.6% and 1.4%: |ln 1.10| = 0.095 > 2 × 3.0%
    assert "| echo | torch | eager | 1.10 | steady | ±3.0% | shared loop slower |" in text
    assert "| echo | torch | graph | 1.01 | steady | ±1.8% | inside the noise |" in text
    assert "came within 1.05× of the framework's own loop in 1 of 1 (model, framework) cells" in text


def test_a_ratio_above_1_05_names_the_recorded_xla_difference(tmp_path):
    # TensorFlow: the shared graph step compiled with XLA, Keras' fit resolved jit_compile to False.
    _write_mode_record(
        tmp_path, "mnist_fcn", "tensorflow", "graph", (3.0, 2.7, 2.72, 2.7), {"implementation": {"xla": True}}
    )
    _write_mode_record(
        tmp_path, "mnist_fcn", "tensorflow", "idiomatic", (2.0, 1.0, 1.01, 1.0), {"idiomatic": {"jit_compile": False}}
    )
    # torch: a gap outside the noise with nothing in the records to explain it.
    _write_mode_record(tmp_path, "mnist_fcn", "torch", "eager", (3.0, 2.4, 2.41, 2.4))
    _write_mode_record(tmp_path, "mnist_fcn", "torch", "idiomatic", (2.5, 2.0, 2.01, 2.0))
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert (
        "Recorded cause: tensorflow/mnist_fcn (graph 2.70): the shared step was compiled with XLA and "
        "the framework's own loop was not." in text
    )
    assert "No cause is recorded for torch/mnist_fcn (eager)" in text


def test_graph_vs_eager_ratios_chart_and_paragraph(tmp_path):
    cells = {
        ("torch", "eager"): (4.0, 2.0, 700),
        ("torch", "graph"): (30.0, 1.0, 650),
        ("mxnet", "eager"): (3.0, 2.0, 500),
        ("mxnet", "graph"): (3.5, 2.5, 600),
    }
    for (framework, mode), (first, steady, rss) in cells.items():
        key, record = fake_record("echo", framework, seconds=(first, steady, steady))
        key = records.RunKey("echo", framework, mode, 0)
        record.update(mode=mode, peak_rss_bytes=rss * 2**20)
        records.write_record(key.record_path(tmp_path), record)
    written = report.build([tmp_path], tmp_path)
    assert tmp_path / "charts" / "graph_vs_eager.png" in written
    text = (tmp_path / "report.md").read_text()
    assert "| echo | torch | 0.50 | 7.50 | 0.93 | 29.0 |" in text
    assert "| echo | mxnet | 1.25 | 1.17 | 1.20 | 1.0 |" in text
    assert "Graph mode was faster in the steady state in 1 of 2 cells" in text
    assert "Median ratio by framework (steady state): torch 0.50, mxnet 1.25." in text
    assert "On the LSTM tasks torch gains most (median ratio 0.50)" in text
    assert "The largest compile cost, relative to the epoch, is torch on echo" in text
    assert "(+2900%; 7.50× the eager first epoch)" in text
    assert "the claim of faster and leaner holds where both ratios are below 1: torch/echo." in text


def test_one_epoch_runs_compare_the_modes_on_their_only_epoch(tmp_path):
    for framework, mode, first in [("torch", "eager", 2.0), ("torch", "graph", 1.0)]:
        key, record = fake_record("echo", framework, seconds=(first,))
        key = records.RunKey("echo", framework, mode, 0)
        record.update(mode=mode)
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "nan" not in text.split("## Imperative vs symbolic")[1].split("## Memory")[0]
    assert "The runs had one epoch each, so the times compared include compilation and warm-up." in text
    assert "Graph mode was faster in the first (only) epoch in 1 of 1 cells (median ratio 0.50)." in text


def test_a_mode_that_did_not_run_is_named_with_its_reason(tmp_path):
    for framework, mode, status in [
        ("torch", "eager", "ok"),
        ("torch", "graph", "unsupported"),
        ("mxnet", "eager", "ok"),
        ("mxnet", "graph", "ok"),
    ]:
        key, record = fake_record("mnist_cnn", framework, status="ok")
        key = records.RunKey("mnist_cnn", framework, mode, 0)
        record.update(mode=mode)
        if status != "ok":
            record.update(status=status, error="UnsupportedError: zero convolution gradients", test_metric=None)
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "| mnist_cnn | mxnet |" in text.split("## Imperative vs symbolic")[1]
    assert "| mnist_cnn | torch | graph | 0/1 | accuracy – | ≥ 0.975 (unsupported) |" in text
    assert (
        "- torch/mnist_cnn ran in eager mode only; graph mode was unsupported: "
        "UnsupportedError: zero convolution gradients"
    ) in text


def test_no_mode_section_with_one_mode(run_dir):
    report.build([run_dir], run_dir)
    assert "Imperative vs symbolic" not in (run_dir / "report.md").read_text()


def test_a_rerun_in_a_later_folder_supersedes_the_older_record(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    key, old = fake_record("mnist_fcn", "torch", metric=0.90)
    old["finished_at"] = "2026-11-20T10:00:00+00:00"
    records.write_record(key.record_path(old_dir), old)
    _, new = fake_record("mnist_fcn", "torch", metric=0.99)
    new["finished_at"] = "2026-11-21T10:00:00+00:00"
    records.write_record(key.record_path(new_dir), new)
    kept, superseded = records.latest(records.read_records([new_dir, old_dir]))
    assert [r["test_metric"] for r in kept] == [0.99] and [r["test_metric"] for r in superseded] == [0.90]
    report.build([old_dir, new_dir], tmp_path / "out")
    table = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert table.test_metric.tolist() == [0.99]  # one run, not two "seeds"
    md = (tmp_path / "out" / "report.md").read_text()
    assert "1 older record(s)" in md and "mnist_fcn/torch/eager/seed 0 (2026-11-20T10:00:00+00:00)" in md


def test_runs_with_different_thread_counts_say_which_used_which(tmp_path):
    for framework, threads in [("torch", 2), ("mxnet", 1)]:
        key, record = fake_record("mnist_fcn", framework)
        record["environment"]["threads"] = threads
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "1, 2 thread(s) per framework (the threads column says which run used which)" in md
    header = next(line for line in md.splitlines() if line.startswith("| model | framework | mode |"))
    assert "| threads |" in header
    assert "| mnist_fcn | mxnet | eager | 1 |" in md and "| mnist_fcn | torch | eager | 2 |" in md


def test_seeds_of_one_cell_on_different_nodes_are_noted(tmp_path):
    for seed, host in [(0, "node-a"), (1, "node-b"), (2, "node-a")]:
        key, record = fake_record("mnist_fcn", "torch", seed=seed)
        record["environment"].update(hostname=host, executor="ray", slot=f"polybench_slot@{host}")
        records.write_record(key.record_path(tmp_path), record)
    key, record = fake_record("mnist_fcn", "mxnet")  # one host only: not listed
    record["environment"].update(hostname="node-a", executor="ray")
    records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert "ran on different nodes" in md
    assert "- mnist_fcn / torch / eager: node-a: seed 0, 2; node-b: seed 1" in md
    assert "mnist_fcn / mxnet / eager:" not in md
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary.hostname) == {"node-a", "node-b"} and set(summary.executor) == {"ray"}


def test_runs_on_one_node_say_nothing_of_nodes(run_dir):
    report.build([run_dir], run_dir)
    assert "different nodes" not in (run_dir / "report.md").read_text()
