"""report.html's per-model part: the spec, then every framework's implementation as tabs,
highlighted with Pygments, with its lines of code and its parity figures.

The source shown is the one the run executed: the kernel stores it in the record
(``environment["sources"]``), so a run folder moved to another machine or a later checkout
still shows what ran. Records without it (runs that never reached the record, or older
records) fall back to this checkout's files, and the page says so.
"""

from __future__ import annotations

import dataclasses
from html import escape

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from polybench import PROJECT_ROOT
from polybench.frameworks import FRAMEWORKS, has_implementation
from polybench.specs import get_spec

#: Markdown with raw HTML off: anything in the text is shown, never run.
MARKDOWN = MarkdownIt("js-default")
FORMATTER = HtmlFormatter(cssclass="code", wrapcode=True)


@dataclasses.dataclass
class Implementation:
    """One framework's code for one model, as it will be shown."""

    framework: str
    sources: dict[str, str]  # path in the project -> text
    from_record: bool  # False: read from this checkout, no record holds it
    loc: tuple[int | None, int | None, int | None]  # implementation, model module, shared step
    versions: int = 1  # distinct source versions among the records
    idiomatic_loc: int | None = None  # the framework's own loop (mode idiomatic), when a record holds it


def pygments_css() -> str:
    """The style sheet the highlighted code needs."""
    return FORMATTER.get_style_defs(".code")


def _latest_first(recs: list[dict]) -> list[dict]:
    return sorted(recs, key=lambda r: r.get("finished_at") or "", reverse=True)


def _loc(record: dict) -> tuple[int | None, int | None, int | None]:
    return record.get("implementation_loc"), record.get("model_loc"), record.get("step_loc")


def implementation(model: str, framework: str, recs: list[dict]) -> Implementation | None:
    """The code of ``framework``'s ``model`` from its latest shared-loop record that holds it,
    else from this checkout, with the framework's own loop added from the latest mode-idiomatic
    record that holds it; None when the framework has no implementation of the model."""
    mine = _latest_first([r for r in recs if r["model"] == model and r["framework"] == framework])
    with_sources = [r for r in mine if (r.get("environment") or {}).get("sources")]
    shared = [r for r in with_sources if r["mode"] != "idiomatic"]
    own_loop = [r for r in with_sources if r["mode"] == "idiomatic"]
    if shared:
        latest = shared[0]
        versions = len({tuple(sorted(r["environment"]["sources"].items())) for r in shared})
        found = Implementation(framework, dict(latest["environment"]["sources"]), True, _loc(latest), versions)
    elif has_implementation(framework, model):
        paths = [f"polybench/frameworks/{framework}/{model}.py", f"polybench/frameworks/{framework}/common.py"]
        sources = {path: (PROJECT_ROOT / path).read_text() for path in paths if (PROJECT_ROOT / path).is_file()}
        loc = next((_loc(r) for r in mine if r["mode"] != "idiomatic" and _loc(r)[0] is not None), (None,) * 3)
        found = Implementation(framework, sources, False, loc)
    else:
        return None
    if own_loop:
        path = f"polybench/frameworks/{framework}/idiomatic.py"
        if path in own_loop[0]["environment"]["sources"]:
            found.sources[path] = own_loop[0]["environment"]["sources"][path]
            found.idiomatic_loc = own_loop[0].get("step_loc")
    return found


def _fmt(value, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def spec_html(model: str) -> str:
    """The spec of ``model``: description, shapes, loss, metric and target, dropout, the
    parameters, and each profile with every optimizer hyper-parameter."""
    spec = get_spec(model)
    rows = [
        ("input shape (one sample)", str(spec.input_shape)),
        ("output shape (one sample)", str(spec.output_shape)),
        ("loss", spec.loss),
        (
            "metric and target (full profile)",
            f"{spec.metric.name} {'≥' if spec.metric.higher_is_better else '≤'} {spec.metric.target}",
        ),
        ("dropout", ", ".join(f"{k} {v}" for k, v in spec.dropout.items()) or "none"),
    ]
    facts = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    params = "".join(
        f"<tr><td><code>{escape(p.name)}</code></td><td>{escape(str(p.shape))}</td><td>{escape(p.init)}</td></tr>"
        for p in spec.parameters
    )
    profiles = []
    for p in spec.profiles.values():
        optimizer = ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(p.optimizer).items() if k != "name")
        sizes = "/".join("all" if n is None else str(n) for n in (p.train_size, p.val_size, p.test_size))
        profiles.append(
            f"<tr><td>{escape(p.name)}</td><td>{p.epochs}</td><td>{p.batch_size}</td>"
            f"<td>{escape(p.optimizer.name)}: {escape(optimizer)}</td><td>{escape(sizes)}</td>"
            f"<td>{p.time_limit_s:.0f}</td></tr>"
        )
    return (
        f'<div class="spec">{MARKDOWN.render(spec.description)}'
        f'<table class="facts">{facts}</table>'
        f"<details><summary>Parameters ({len(spec.parameters)}), canonical layout</summary>"
        f"<table><tr><th>name</th><th>shape</th><th>initializer</th></tr>{params}</table></details>"
        "<table><tr><th>profile</th><th>epochs</th><th>batch</th><th>optimizer</th>"
        f"<th>train/val/test rows</th><th>time limit s</th></tr>{''.join(profiles)}</table></div>"
    )


def parity_rows(model: str, recs: list[dict]) -> list[dict]:
    """Per (framework, mode) of ``model``: the latest record's parity figures (None: not recorded)."""
    rows = {}
    for r in _latest_first([r for r in recs if r["model"] == model and r["status"] == "ok"]):
        key = (r["framework"], r["mode"])
        if key not in rows or (rows[key]["parity"] is None and r.get("parity")):
            rows[key] = {"framework": r["framework"], "mode": r["mode"], "parity": r.get("parity")}
    order = {fw: i for i, fw in enumerate(FRAMEWORKS)}
    return sorted(rows.values(), key=lambda row: (order.get(row["framework"], len(order)), row["mode"]))


def _relative_gap(losses: list[float], reference: list[float]) -> float | None:
    pairs = list(zip(losses, reference, strict=False))  # the shorter sequence decides
    if not pairs or any(a is None or b is None for a, b in pairs):
        return None
    return max(abs(a - b) / max(abs(b), 1e-12) for a, b in pairs)


def parity_html(model: str, recs: list[dict]) -> str:
    """A table comparing the frameworks' forward differences and first training losses."""
    rows = parity_rows(model, recs)
    if not rows:
        return "<p>Parity: no finished run of this model.</p>"
    reference = next((row for row in rows if row["parity"] and row["parity"].get("first_losses")), None)
    body = []
    for row in rows:
        figures = row["parity"]
        if not figures:
            cells = '<td colspan="3" class="missing">not recorded</td>'
        else:
            losses = figures.get("first_losses") or []
            gap = _relative_gap(losses, reference["parity"]["first_losses"]) if reference else None
            cells = (
                f"<td>{_fmt(figures.get('forward_max_abs_diff'), '.2e')}</td>"
                f"<td>{escape(', '.join(_fmt(v, '.6f') for v in losses)) or '–'}</td>"
                f"<td>{_fmt(gap, '.2e')}</td>"
            )
        body.append(f"<tr><td>{escape(row['framework'])}</td><td>{escape(row['mode'])}</td>{cells}</tr>")
    against = f"{reference['framework']} ({reference['mode']})" if reference else "–"
    return (
        '<table class="parity"><tr><th>framework</th><th>mode</th><th>forward max |Δ| vs NumPy</th>'
        f"<th>first training losses</th><th>max relative gap vs {escape(against)}</th></tr>{''.join(body)}</table>"
        '<p class="note">Measured in each run\'s kernel after training, off the clock: the eval-mode forward '
        "pass on the spec's fixed batch against the NumPy float64 reference, and the losses of the first "
        "three optimizer steps from seed 0's weights with dropout off on the same batches.</p>"
    )


def _code_panel(impl: Implementation, model: str, selected: bool) -> str:
    total, model_loc, step_loc = impl.loc
    origin = (
        "as recorded by the run"
        if impl.from_record
        else "from this checkout: no record of these runs holds the source that ran"
    )
    if impl.versions > 1:
        origin += f"; the records hold {impl.versions} versions, the latest is shown"
    files = []
    for n, (path, text) in enumerate(impl.sources.items()):
        code = highlight(text, PythonLexer(), FORMATTER)
        if n == 0:  # the model's module, shown open
            files.append(f'<div class="file"><div class="path">{escape(path)}</div>{code}</div>')
        else:  # the shared step, the same for every model, and the framework's own loop: folded
            own_loop = path.endswith("/idiomatic.py")
            role = "the framework's own loop, mode idiomatic" if own_loop else "shared training step"
            files.append(
                f'<details class="file"><summary class="path">{escape(path)} ({escape(role)})</summary>{code}</details>'
            )
    own = "" if impl.idiomatic_loc is None else f"; the framework's own loop: {impl.idiomatic_loc} lines"
    hidden = "" if selected else " hidden"
    return (
        f'<div class="code-panel" role="tabpanel" id="code-{escape(model)}-{escape(impl.framework)}" '
        f'data-framework="{escape(impl.framework)}"{hidden}>'
        f'<p class="loc">{_fmt(total, "d")} lines of code ({_fmt(model_loc, "d")} model module + '
        f"{_fmt(step_loc, 'd')} shared step{escape(own)}); source {escape(origin)}.</p>{''.join(files)}</div>"
    )


def model_html(model: str, recs: list[dict]) -> str:
    """The whole section of one model: spec, parity comparison, implementations as tabs."""
    spec = get_spec(model)
    impls = [impl for fw in FRAMEWORKS if (impl := implementation(model, fw, recs)) is not None]
    tabs = "".join(
        f'<button type="button" role="tab" class="tab" data-framework="{escape(i.framework)}" '
        f'aria-selected="{"true" if n == 0 else "false"}">{escape(i.framework)}</button>'
        for n, i in enumerate(impls)
    )
    panels = "".join(_code_panel(impl, model, n == 0) for n, impl in enumerate(impls))
    code = (
        f'<div class="tabs" role="tablist">{tabs}</div>{panels}'
        if impls
        else "<p>No framework has an implementation of this model.</p>"
    )
    return (
        f'<section class="model" id="model-{escape(model)}"><h3>{escape(spec.title)} '
        f"<small>({escape(model)})</small></h3>{spec_html(model)}<h4>Parity</h4>{parity_html(model, recs)}"
        f'<h4>Implementations</h4><div class="code-tabs">{code}</div></section>'
    )
