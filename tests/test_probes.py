"""Per-step probes as report inputs: a probe file round-trips, and the probe tool writes one
the report reads (its shared and idiomatic forms named)."""

from __future__ import annotations

import subprocess

import pytest

from polybench import PROJECT_ROOT, probes


def test_a_probe_round_trips_and_names_its_loops(tmp_path):
    forms = (probes.Form("idiomatic", "idiomatic", "own", (1.0, 1.1, 1.2)), probes.Form("v", None, "variant", (2.0,)))
    probe = probes.Probe("torch", "echo", "tool", "2026-12-02T01:00:00Z", "cpu", "n", {"verdict": "quiet"}, forms)
    path = probes.write(probe, tmp_path)
    assert path.parent == tmp_path / "probes" and path.name == "20261202T0100-torch-echo.json"
    (read,), left_out = probes.read_all([tmp_path])
    assert read == probe and not left_out
    assert read.loop("idiomatic") == forms[0] and read.loop("shared") is None and not read.busy


def test_a_form_naming_an_unknown_loop_is_left_out(tmp_path):
    form = probes.Form("x", "fused", "?", (1.0,))
    probes.write(probes.Probe("torch", "echo", "t", "2026-12-02T01:00:00Z", "c", "n", {}, (form,)), tmp_path)
    found, left_out = probes.read_all([tmp_path])
    assert found == [] and len(left_out) == 1 and "loop 'fused' is none of shared, idiomatic" in left_out[0]


@pytest.mark.envs
def test_the_loop_forms_tool_writes_a_probe_the_report_reads(torch_env, toy_data_dir, tmp_path):
    command = [str(torch_env), "tools/loop_forms.py", "--framework", "torch", "--data-dir", str(toy_data_dir)]
    command += ["--rows", "512", "--steps", "3", "--warmup", "1", "--repeats", "3", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    (probe,), left_out = probes.read_all([tmp_path])
    assert not left_out and (probe.framework, probe.model) == ("torch", "echo")
    assert probe.loop("shared").name == "shared" and probe.loop("idiomatic").name == "idiomatic"
    assert all(len(form.ms) == 3 and min(form.ms) > 0 for form in probe.forms)
    assert probe.contention["verdict"] in ("quiet", "busy") and len(probe.commit) == 40  # the checkout it timed
