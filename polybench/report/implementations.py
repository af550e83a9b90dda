"""report.html's per-model part as data for templates/model.html.j2: the spec, the parity
figures, then every framework's implementation (highlighted with Pygments) with its lines of code.

The source shown is the one the run executed: the kernel stores it in the record
(``environment["sources"]``), so a run folder moved to another machine or a later checkout
still shows what ran. Records without it (runs that never reached the record, or older
records) fall back to this checkout's files, and the page says so.
"""

from __future__ import annotations

import dataclasses

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from polybench import PROJECT_ROOT
from polybench.frameworks import FRAMEWORKS, has_implementation, models_package, package
from polybench.records import Record
from polybench.specs import get_spec

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


def _latest_first(recs: list[Record]) -> list[Record]:
    return sorted(recs, key=lambda r: r.finished_at or "", reverse=True)


def _loc(record: Record) -> tuple[int | None, int | None, int | None]:
    return record.implementation_loc, record.model_loc, record.step_loc


def implementation(model: str, framework: str, recs: list[Record]) -> Implementation | None:
    """The code of ``framework``'s ``model`` from its latest shared-loop record that holds it,
    else from this checkout, with the framework's own loop added from the latest mode-idiomatic
    record that holds it; None when the framework has no implementation of the model."""
    mine = _latest_first([r for r in recs if r.model == model and r.framework == framework])
    with_sources = [r for r in mine if r.environment.get("sources")]
    shared = [r for r in with_sources if r.mode != "idiomatic"]
    own_loop = [r for r in with_sources if r.mode == "idiomatic"]
    if shared:
        latest = shared[0]
        versions = len({tuple(sorted(r.environment["sources"].items())) for r in shared})
        found = Implementation(framework, dict(latest.environment["sources"]), True, _loc(latest), versions)
    elif own_loop:  # a framework that ran its own loop only: its record holds the model and shared modules too
        latest = own_loop[0]
        versions = len({tuple(sorted(r.environment["sources"].items())) for r in own_loop})
        found = Implementation(framework, dict(latest.environment["sources"]), True, (None, latest.model_loc, None))
        found.versions, found.idiomatic_loc = versions, latest.step_loc
        return found
    elif has_implementation(framework, model):
        folder = models_package(framework).replace(".", "/")  # another framework's models, where it runs those
        paths = [f"{folder}/{model}.py", f"{package(framework).replace('.', '/')}/common.py"]
        sources = {path: (PROJECT_ROOT / path).read_text() for path in paths if (PROJECT_ROOT / path).is_file()}
        loc = next((_loc(r) for r in mine if r.mode != "idiomatic" and _loc(r)[0] is not None), (None,) * 3)
        found = Implementation(framework, sources, False, loc)
    else:
        return None
    if own_loop:
        loop = next((path for path in own_loop[0].environment["sources"] if path.endswith("/idiomatic.py")), None)
        if loop is not None:
            found.sources[loop] = own_loop[0].environment["sources"][loop]
            found.idiomatic_loc = own_loop[0].step_loc
    return found


def _fmt(value, spec: str) -> str:
    return "–" if value is None else format(value, spec)


@dataclasses.dataclass
class Spec:
    """A model's spec as report.html shows it."""

    title: str
    description: str  # Markdown
    facts: list[tuple[str, str]]
    parameters: list[tuple[str, str, str]]  # name, shape, initializer
    profiles: list[list[str]]  # name, epochs, batch, optimizer, rows, time limit


def spec_view(model: str) -> Spec:
    """The spec of ``model``: description, shapes, loss, metric and target, dropout, the
    parameters, and each profile with every optimizer hyper-parameter."""
    spec = get_spec(model)
    facts = [
        ("input shape (one sample)", str(spec.input_shape)),
        ("output shape (one sample)", str(spec.output_shape)),
        ("loss", spec.loss),
        (
            "metric and target (full profile)",
            f"{spec.metric.name} {'≥' if spec.metric.higher_is_better else '≤'} {spec.metric.target}",
        ),
        ("dropout", ", ".join(f"{k} {v}" for k, v in spec.dropout.items()) or "none"),
    ]
    profiles = []
    for p in spec.profiles.values():
        optimizer = ", ".join(f"{k} {v}" for k, v in dataclasses.asdict(p.optimizer).items() if k != "name")
        sizes = "/".join("all" if n is None else f"{n:,}" for n in (p.train_size, p.val_size, p.test_size))
        profiles.append(
            [
                p.name,
                str(p.epochs),
                str(p.batch_size),
                f"{p.optimizer.name}: {optimizer}",
                sizes,
                f"{p.time_limit_s:,.0f}",
            ]
        )
    return Spec(
        spec.title,
        spec.description,
        facts,
        [(p.name, str(p.shape), p.init) for p in spec.parameters],
        profiles,
    )


def parity_rows(model: str, recs: list[Record]) -> list[dict]:
    """Per (framework, mode) of ``model``: the latest record's parity figures (None: not recorded)."""
    rows = {}
    for r in _latest_first([r for r in recs if r.model == model and r.status == "ok"]):
        key = (r.framework, r.mode_label)
        if key not in rows or (rows[key]["parity"] is None and r.parity):
            rows[key] = {"framework": r.framework, "mode": r.mode_label, "parity": r.parity}
    order = {fw: i for i, fw in enumerate(FRAMEWORKS)}
    return sorted(rows.values(), key=lambda row: (order.get(row["framework"], len(order)), row["mode"]))


def _relative_gap(losses: list[float | None], reference: list[float | None]) -> float | None:
    pairs = list(zip(losses, reference, strict=False))  # the shorter sequence decides
    if not pairs or any(a is None or b is None for a, b in pairs):
        return None
    return max(abs(a - b) / max(abs(b), 1e-12) for a, b in pairs)


@dataclasses.dataclass
class ParityRow:
    """One (framework, mode) row of the parity table; ``figures`` None: not recorded."""

    framework: str
    mode: str
    figures: list[str] | None  # forward max |Δ|, first losses, max relative gap


def parity_view(model: str, recs: list[Record]) -> tuple[list[ParityRow], str]:
    """The parity table's rows, and which run the loss gaps are measured against."""
    rows = parity_rows(model, recs)
    reference = next((row for row in rows if row["parity"] and row["parity"].first_losses), None)
    out = []
    for row in rows:
        figures = row["parity"]
        if not figures:
            out.append(ParityRow(row["framework"], row["mode"], None))
            continue
        gap = _relative_gap(figures.first_losses, reference["parity"].first_losses) if reference else None
        out.append(
            ParityRow(
                row["framework"],
                row["mode"],
                [
                    _fmt(figures.forward_max_abs_diff, ".2e"),
                    ", ".join(_fmt(v, ".6f") for v in figures.first_losses) or "–",
                    _fmt(gap, ".2e"),
                ],
            )
        )
    return out, f"{reference['framework']} ({reference['mode']})" if reference else "–"


@dataclasses.dataclass
class CodeFile:
    """One file of an implementation, highlighted; ``role`` None for the model's module (shown open)."""

    path: str
    role: str | None
    html: Markup


@dataclasses.dataclass
class CodePanel:
    """One framework's tab: its files, lines of code and where the source came from."""

    framework: str
    loc: str
    origin: str
    files: list[CodeFile]


def code_panel(impl: Implementation) -> CodePanel:
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
        # Pygments escapes the source it highlights.
        code = Markup(highlight(text, PythonLexer(), FORMATTER))  # noqa: S704
        if n == 0:  # the model's module, shown open
            files.append(CodeFile(path, None, code))
        else:  # the shared step, the same for every model, and the framework's own loop: folded
            own_loop = path.endswith("/idiomatic.py")
            files.append(
                CodeFile(
                    path,
                    "the framework's own loop, mode idiomatic"
                    if own_loop
                    else "shared by every model: the step and its helpers",
                    code,
                )
            )
    if total is None and step_loc is None and model_loc is not None and impl.idiomatic_loc is not None:
        # a framework that runs its own loop only: the model module and that loop
        parts = f"{model_loc} model module + {impl.idiomatic_loc} the framework's own loop"
        loc = f"{model_loc + impl.idiomatic_loc} lines of code ({parts})"
    else:
        own = "" if impl.idiomatic_loc is None else f"; the framework's own loop: {impl.idiomatic_loc} lines"
        parts = f"{_fmt(model_loc, 'd')} model module + {_fmt(step_loc, 'd')} shared step{own}"
        loc = f"{_fmt(total, 'd')} lines of code ({parts})"
    return CodePanel(impl.framework, loc, origin, files)


@dataclasses.dataclass
class ModelView:
    """Everything report.html shows of one model."""

    model: str
    spec: Spec
    parity: list[ParityRow]
    parity_against: str
    panels: list[CodePanel]


def model_view(model: str, recs: list[Record]) -> ModelView:
    """The whole section of one model: spec, parity comparison, implementations as tabs."""
    impls = [impl for fw in FRAMEWORKS if (impl := implementation(model, fw, recs)) is not None]
    parity, against = parity_view(model, recs)
    return ModelView(model, spec_view(model), parity, against, [code_panel(impl) for impl in impls])
