"""The report: summary.csv, report.md and charts from records alone."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from report_run import contention

from polybench import probes, records, report
from polybench.errors import PolybenchError
from polybench.report import charts, noise


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
    assert "mnist_fcn (eager): torch vs mxnet steady epoch — inside the noise (Welch t-test p=" in text
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
    assert "Noise rule: two cells' epoch times differ when Welch's t-test on the logarithms" in text
    # torch (2.0, 2.1, 2.0) against mxnet (2.05, 2.1, 2.0): p far above 0.05; against chainer (2.6, 2.7, 2.6): far below
    assert "mnist_fcn (eager): torch vs mxnet steady epoch — inside the noise (Welch t-test p=" in text
    assert "mnist_fcn (eager): torch vs chainer steady epoch — torch faster by 1.30×" in text


def test_runs_of_two_epochs_are_too_few_to_tell(tmp_path):
    for framework, seconds in (("torch", (3.0, 2.0)), ("mxnet", (3.0, 2.6))):
        key, record = fake_record("mnist_fcn", framework, seconds=seconds)
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    assert (
        "mnist_fcn (eager): torch vs mxnet steady epoch — cannot tell (fewer than 3 steady epoch times: n=1/1)"
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


def _write_mode_record(folder, model, framework, mode, seconds, environment=None, **fields):
    """A fake ok record of one mode, with extra ``environment`` fields and other ``fields``."""
    _, record = fake_record(model, framework, seconds=seconds)
    record.update(mode=mode, **fields)
    record["environment"].update(environment or {})
    key = records.RunKey(model, framework, mode, 0, fields.get("compiler_option"))
    records.write_record(key.record_path(folder), record)


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


def test_a_ratio_above_1_05_names_the_recorded_compiler_difference(tmp_path):
    # TensorFlow: the shared graph step compiled by XLA, Keras' fit by tf.function without XLA.
    _write_mode_record(
        tmp_path, "mnist_fcn", "tensorflow", "graph", (3.0, 2.7, 2.72, 2.7), compiler={"name": "xla", "options": {}}
    )
    _write_mode_record(
        tmp_path,
        "mnist_fcn",
        "tensorflow",
        "idiomatic",
        (2.0, 1.0, 1.01, 1.0),
        compiler={"name": "tf.function", "options": {}},
    )
    # torch: a gap outside the noise with nothing in the records to explain it.
    _write_mode_record(tmp_path, "mnist_fcn", "torch", "eager", (3.0, 2.4, 2.41, 2.4))
    _write_mode_record(tmp_path, "mnist_fcn", "torch", "idiomatic", (2.5, 2.0, 2.01, 2.0))
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert (
        "Recorded cause: tensorflow/mnist_fcn (graph 2.70): the shared step was compiled by xla, "
        "the framework's own loop by tf.function." in text
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
    assert [r.test_metric for r in kept] == [0.99] and [r.test_metric for r in superseded] == [0.90]
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


def test_busy_cells_are_marked_and_left_out_of_the_verdicts(tmp_path):
    for framework, seconds, busy in (
        ("torch", (3.0, 2.0, 2.02, 2.0), False),
        ("mxnet", (3.0, 9.0, 9.1, 9.0), True),
        ("chainer", (3.0, 2.6, 2.62, 2.6), False),
    ):
        key, record = fake_record("mnist_fcn", framework, seconds=seconds)
        record["contention"] = contention("busy" if busy else "quiet", "other processes used 1.9 cores on average")
        records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    md = (tmp_path / "report.md").read_text()
    header = next(line for line in md.splitlines() if line.startswith("| model | framework | mode |"))
    assert header.endswith("| notes |")
    assert next(line for line in md.splitlines() if line.startswith("| mnist_fcn | mxnet |")).endswith("| busy |")
    assert next(line for line in md.splitlines() if line.startswith("| mnist_fcn | torch |")).endswith("| – |")
    assert "**Busy machine:** 1 run(s)" in md and "cannot be trusted" in md
    assert "- mnist_fcn / mxnet / eager / seed 0: other processes used 1.9 cores on average" in md
    assert "mnist_fcn (eager): torch vs mxnet steady epoch — left out: mxnet ran on a busy machine" in md
    assert "mnist_fcn (eager): torch vs chainer steady epoch — torch faster by 1.30×" in md  # quiet cells still judged
    assert "Left out of these verdicts because they ran on a busy machine (1): mnist_fcn/mxnet/eager." in md
    html = (tmp_path / "report.html").read_text()
    assert re.search(r'<tr data-model="mnist_fcn" data-framework="mxnet" data-mode="eager" class="busy">', html)
    assert 'data-framework="torch" data-mode="eager">' in html  # a quiet row is not marked
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert summary.set_index("framework").contention.to_dict() == {
        "torch": "quiet",
        "mxnet": "busy",
        "chainer": "quiet",
    }


def test_a_quiet_report_says_nothing_of_busy_or_unstable(run_dir):
    report.build([run_dir], run_dir)
    md = (run_dir / "report.md").read_text().replace(noise.RULE, "")  # the rule names both
    assert "busy" not in md.lower() and "unstable" not in md and "| notes |" not in md


@pytest.mark.parametrize(
    "seconds, flag",
    [
        ((3.0, 2.0, 2.3, 2.0), "unstable: steady epochs spread 15% of their median"),
        ((3.0, 2.0, 2.0, 2.0, 3.2), "unstable: one steady epoch 60% from the median"),
    ],
)
def test_unstable_runs_are_flagged_with_their_figure(tmp_path, seconds, flag):
    key, record = fake_record("mnist_fcn", "torch", seconds=seconds)
    records.write_record(key.record_path(tmp_path), record)
    key, record = fake_record("mnist_fcn", "mxnet", seconds=(3.0, 2.0, 2.05, 2.0))  # spread 2.5%: stable
    records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    md = (tmp_path / "report.md").read_text()
    assert next(line for line in md.splitlines() if line.startswith("| mnist_fcn | torch |")).endswith(f"| {flag} |")
    assert next(line for line in md.splitlines() if line.startswith("| mnist_fcn | mxnet |")).endswith("| – |")
    assert "**Unstable:** 1 run(s)" in md and f"- mnist_fcn / torch / eager / seed 0: {flag}" in md


def test_no_section_prints_a_table_without_rows(tmp_path):
    # one mode, no idiomatic run: the shared-loop table and the graph/eager table have no rows
    key, record = fake_record("mnist_fcn", "torch")
    records.write_record(key.record_path(tmp_path), record)
    report.build([tmp_path], tmp_path)
    lines = (tmp_path / "report.md").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            assert lines[i + 1].startswith("| "), f"a table without rows under {lines[i - 1]}"
    assert "| model | framework | shared mode |" not in lines
    section = "\n".join(lines).split("## Shared loop vs the framework's own loop")[1].split("## ")[0]
    assert "No (model, framework) cell has both an idiomatic run" in section
    html = (tmp_path / "report.html").read_text()
    assert "<tbody></tbody>" not in html.replace("\n", "")


def test_figures_have_thousands_separators_and_gpu_memory_its_own_chart(tmp_path):
    key, record = fake_record("mnist_fcn", "torch")
    record.update(
        samples_per_second=12345.6,
        peak_rss_bytes=1453 * 2**20,
        gpu_name="Test GPU",
        gpu_peak_framework_bytes=1234 * 2**20,
        gpu_peak_nvml_bytes=2345 * 2**20,
    )
    records.write_record(key.record_path(tmp_path), record)
    written = report.build([tmp_path], tmp_path)
    row = next(line for line in (tmp_path / "report.md").read_text().splitlines() if line.startswith("| mnist_fcn"))
    assert "| 12,346 | 1,453 | 1,234 / 2,345 |" in row
    assert tmp_path / "charts" / "gpu_memory.png" in written and tmp_path / "charts" / "peak_memory.png" in written
    assert (tmp_path / "charts" / "gpu_memory.png").stat().st_size > 10_000
    assert [charts.figure(v) for v in (1453.2, 27.46, 0.98213, float("nan"))] == ["1,453", "27.5", "0.982", "n/a"]


def test_the_report_package_names_no_framework_and_reads_no_framework_field():
    """Framework specifics live in the framework packages and reach the report through generic
    record fields (compiler, contention); the report names frameworks only through FRAMEWORKS."""
    from polybench import PROJECT_ROOT
    from polybench.frameworks import FRAMEWORKS

    words = re.compile(r"\b(" + "|".join([*FRAMEWORKS, "keras", "gluon", "flax", "xla", "jit_compile"]) + r")\b", re.I)
    package = PROJECT_ROOT / "polybench" / "report"
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".j2", ".css", ".js")]
    assert len(files) > 10
    found = [f"{p.relative_to(package)}: {m.group(0)}" for p in files for m in words.finditer(p.read_text())]
    assert found == []


def test_a_compiler_option_difference_is_named_too(tmp_path):
    shared = {"name": "inductor", "options": {"mode": "max-autotune"}}
    own = {"name": "inductor", "options": {"mode": "default"}}
    _write_mode_record(tmp_path, "echo", "torch", "graph", (3.0, 2.4, 2.41, 2.4), compiler=shared)
    _write_mode_record(tmp_path, "echo", "torch", "idiomatic", (2.5, 2.0, 2.01, 2.0), compiler=own)
    report.build([tmp_path], tmp_path)
    assert (
        "the shared step was compiled by inductor (mode=max-autotune), the framework's own loop by "
        "inductor (mode=default)." in (tmp_path / "report.md").read_text()
    )
    assert pd.read_csv(tmp_path / "summary.csv").compiler.tolist() == [
        "inductor (mode=max-autotune)",
        "inductor (mode=default)",
    ]


def _probe(model, framework, own_ms, shared_ms, variants=(), verdict="quiet"):
    forms = [
        probes.Form("idiomatic", "idiomatic", "the own loop's step", own_ms),
        probes.Form("shared", "shared", "the shared step", shared_ms),
        *(probes.Form(name, None, what, ms) for name, what, ms in variants),
    ]
    return probes.Probe(
        framework, model, "tools/loop_forms.py", "2026-12-02T00:44:40Z", "AMD EPYC", "100 steps a figure",
        {"verdict": verdict}, tuple(forms),
    )  # fmt: skip


def test_a_per_step_probe_in_the_run_folder_is_named_as_the_measured_cause(tmp_path):
    # Two cells above 1.05 with no compiler difference: mxnet's probe finds the same step time
    # in both loops (noise), chainer's a slower shared step that one variant brings level.
    for framework in ("mxnet", "chainer"):
        _write_mode_record(tmp_path, "damped_sine", framework, "graph", (3.0, 2.4, 2.41, 2.4))
        _write_mode_record(tmp_path, "damped_sine", framework, "idiomatic", (2.5, 2.0, 2.01, 2.0))
    probes.write(_probe("damped_sine", "mxnet", (2.25, 2.03, 2.4), (2.3, 2.1, 2.2)), tmp_path)
    variant = ("shared+tensor-rows", "the shared step given tensor rows", (2.0, 2.01, 2.02))
    probes.write(_probe("damped_sine", "chainer", (2.0, 2.01, 1.99), (2.4, 2.41, 2.42), [variant]), tmp_path)
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert "per-step probe of mxnet/damped_sine (tools/loop_forms.py, 2026-12-02T00:44:40Z" in text
    assert "own loop 2.25 ms [2.03–2.4], shared step 2.2 ms [2.1–2.3]: 0.98× (inside the noise" in text
    assert "per step the two loops do not differ, so the epoch gap is the machine's noise" in text
    assert "own loop 2 ms [1.99–2.01], shared step 2.41 ms [2.4–2.42]: 1.21× (shared loop slower; Welch t-test" in text
    assert "the gap closes with shared+tensor-rows (the shared step given tensor rows, 2.01 ms [2–2.02])" in text
    assert "No cause is recorded" not in text


def test_an_unreadable_probe_is_left_out_with_its_reason(tmp_path):
    _write_mode_record(tmp_path, "echo", "torch", "eager", (3.0, 2.4, 2.41, 2.4))
    _write_mode_record(tmp_path, "echo", "torch", "idiomatic", (2.5, 2.0, 2.01, 2.0))
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "bad.json").write_text('{"schema": 0}')
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert f"{tmp_path / 'probes' / 'bad.json'}: schema 0, expected 1" in text
    assert "No cause is recorded for torch/echo (eager)" in text


def test_dynamic_shapes_section_puts_eager_beside_each_graph_strategy(tmp_path):
    def log(strategy, compilations, seconds, padded):
        dynamic = {"strategy": strategy, "compilations": compilations, "compile_seconds": seconds}
        return {"implementation": {"dynamic": {**dynamic, "padded_share": padded}}}

    eager = (3.0, 2.0, 2.02, 2.01, 2.0)
    _write_mode_record(tmp_path, "var_addition", "torch", "eager", eager, log("eager", 0, 0.0, 0.0))
    pad = (40.0, 1.0, 1.01, 1.0, 1.02)
    traced = log("pad", 6, 38.5, 0.31)
    traced["implementation"]["dynamic"]["framework_count"] = {"count": 3, "what": "tf.function traces"}
    _write_mode_record(tmp_path, "var_addition", "torch", "graph", pad, traced)
    bucket = (30.0, 1.5, 1.52, 1.5, 1.51)
    _write_mode_record(
        tmp_path, "var_addition", "torch", "graph", bucket, log("bucket", 2, 28.0, 0.52), compiler_option="bucket"
    )
    report.build([tmp_path], tmp_path)
    text = (tmp_path / "report.md").read_text()
    section = text[text.index("## Dynamic shapes") :]
    assert (
        "| var_addition | torch | eager | eager | 1 | 0.9800 | 1/1 | 3.00 | 2.010 | 11.0 | 0 | – | 0.0 | 0% | 20 |"
        in section
    )
    assert (
        "| var_addition | torch | graph | pad | 1 | 0.9800 | 1/1 | 40.00 | 1.010 | 44.0 | 6 "
        "| 3 tf.function traces | 38.5 | 31% | 20 |" in section
    )
    assert "| var_addition | torch | graph+bucket | bucket |" in section
    # eager 2.01 s against pad's 1.01 s: define-by-run twice as slow per epoch, faster over the whole training
    assert (
        "var_addition / torch: eager steady epoch 2.010 s against graph's fastest strategy (pad) 1.010 s: " in section
    )
    assert "define-by-run is slower, eager/graph 2.00" in section
    assert "whole training 11.0 s eager against 44.0 s graph" in section
    assert "compiling 6 shapes in 38.5 s and computing 31% padding" in section


def test_no_dynamic_shapes_section_without_a_dynamic_model(run_dir):
    report.build([run_dir], run_dir)
    assert "## Dynamic shapes" not in (run_dir / "report.md").read_text()
