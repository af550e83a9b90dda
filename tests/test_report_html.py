"""report.html from records: escaping, sources, parity figures, notebooks, no network."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from report_run import FIXTURE_RUN, add_failed_record

from polybench import records, report


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """The committed run folder (real quick runs of two frameworks) plus a failed record."""
    target = tmp_path / "run"
    shutil.copytree(FIXTURE_RUN, target)
    add_failed_record(target)
    return target


def test_report_html_escapes_error_text(run_dir):
    report.build([run_dir], run_dir)
    text = (run_dir / "report.html").read_text()
    assert "<script>window.polybenchInjected" not in text
    assert "&lt;script&gt;window.polybenchInjected = 1;&lt;/script&gt; &amp; &#34;quotes&#34;" in text
    assert text.count("<script>") == 1  # the page's own filter/sort/tab script, nothing else


def test_report_html_loads_nothing_from_the_network(run_dir):
    report.build([run_dir], run_dir)
    text = (run_dir / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "@import" not in text
    assert text.count('src="data:image/png;base64,') == len(list((run_dir / "charts").glob("*.png")))


def test_report_html_shows_the_recorded_source_not_the_checkout(run_dir):
    path = records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir)
    record = records.read_record(path)
    record.environment["sources"]["polybench/frameworks/torch/mnist_fcn.py"] += "\n# marker_only_in_the_record\n"
    records.write_record(path, record)
    report.build([run_dir], run_dir)
    text = (run_dir / "report.html").read_text()
    assert "marker_only_in_the_record" in text
    # No chainer record holds a source: its tab shows this checkout's file and says so.
    assert "polybench/frameworks/chainer/addition.py" in text
    assert "from this checkout: no record of these runs holds the source that ran" in text


def test_report_html_parity_figures_and_not_recorded(run_dir):
    path = records.RunKey("addition", "mxnet", "eager", 0).record_path(run_dir)
    record = records.read_record(path)
    record.parity = None  # a record from before the field existed
    records.write_record(path, record)
    report.build([run_dir], run_dir)
    text = (run_dir / "report.html").read_text()
    torch_record = records.read_record(records.RunKey("addition", "torch", "eager", 0).record_path(run_dir))
    first_loss = torch_record.parity.first_losses[0]
    assert f"{first_loss:.6f}" in text
    section = text[text.index('id="model-addition"') :]
    assert "not recorded" in section
    fcn = text[text.index('id="model-mnist_fcn"') : text.index('id="model-addition"')]
    assert "not recorded" not in fcn and "max relative gap vs torch (eager)" in fcn


def test_report_html_results_rows_link_converted_notebooks(run_dir):
    report.build([run_dir], run_dir)
    text = (run_dir / "report.html").read_text()
    rows = re.findall(r"<tr data-model=", text)
    assert len(rows) == 5  # 2 models x 2 frameworks, and the failed chainer cell
    links = re.findall(r'<a class="notebook" href="([^"]+)"', text)
    assert len(links) == 4
    for link in links:
        page = run_dir / link
        assert page.is_file() and "<html" in page.read_text()[:2000]
        assert not re.search(r"""<script[^>]+src=["']https?:""", page.read_text())  # opens offline too


def test_report_html_names_an_unreadable_notebook(run_dir):
    notebook = records.RunKey("addition", "mxnet", "eager", 0).notebook_path(run_dir)
    notebook.write_text('{"cells": [')  # cut short, as by a kill mid-write
    report.build([run_dir], run_dir)
    text = (run_dir / "report.html").read_text()
    assert "unreadable notebook" in text
    assert len(re.findall(r'<a class="notebook" href=', text)) == 3


def test_report_shows_the_idiomatic_loop_beside_the_shared_one(run_dir):
    """A mode-idiomatic record adds the framework's own loop to the code panel and its lines of
    code to both reports; the panel's model source stays the shared-loop run's."""
    eager = records.read_record(records.RunKey("mnist_fcn", "torch", "eager", 0).record_path(run_dir))
    key = records.RunKey("mnist_fcn", "torch", "idiomatic", 0)
    own_loop = {**eager.to_dict(), "mode": "idiomatic", "step_loc": 77, "implementation_loc": 98}
    own_loop["environment"]["sources"]["polybench/frameworks/torch/mnist_fcn.py"] += "\n# marker_idiomatic_copy\n"
    own_loop["environment"]["sources"]["polybench/frameworks/torch/idiomatic.py"] = "# marker_own_loop\n"
    records.write_record(key.record_path(run_dir), records.Record.from_dict(own_loop))
    report.build([run_dir], run_dir)
    html = (run_dir / "report.html").read_text()
    assert "marker_own_loop" in html
    assert "polybench/frameworks/torch/idiomatic.py (the framework&#39;s own loop, mode idiomatic)" in html
    assert "the framework&#39;s own loop: 77 lines" in html
    assert "marker_idiomatic_copy" not in html  # the model module shown is the shared-loop run's
    loc_section = (run_dir / "report.md").read_text().split("## Lines of code")[1]
    fcn_row = next(line for line in loc_section.splitlines() if line.startswith("| mnist_fcn"))
    assert f"{eager.implementation_loc} ({eager.model_loc} + {eager.step_loc}); idiomatic 98 (" in fcn_row
