"""The same model code on several backends: a framework that runs another framework's models with
that framework's own loop on another library (``Framework.models_from``, ``Framework.native``) is
set, per model, beside the models' own framework in that loop and beside the framework native to
its library, in that one's default and idiomatic modes. The report names no framework here: the
groups come from what each framework package declares."""

from __future__ import annotations

import pandas as pd

from polybench import frameworks
from polybench.report.document import Bullets, Paragraph, Section, Table
from polybench.report.noise import FIRST, STEADY

IDIOMATIC = "idiomatic"
HEADER = ["model", "framework", "system", "mode", "role", "test metric", "epoch s", "× first row"]


def groups() -> dict[str, list[str]]:
    """Each framework whose models others run, and those others, in registry order."""
    found: dict[str, list[str]] = {}
    for name, declared in frameworks.DECLARED.items():
        if declared.models_from:
            found.setdefault(declared.models_from, []).append(name)
    return found


def _cells(origin: str, members: list[str]) -> list[tuple[str, str, str]]:
    """(framework, mode, role) of every row of one group, in the table's order."""
    cells = [(origin, IDIOMATIC, "the models' own framework, its own loop")]
    cells += [(name, IDIOMATIC, f"the same code and loop on {frameworks.DECLARED[name].native}") for name in members]
    for name in members:
        native = frameworks.DECLARED[name].native
        if native:
            role = f"native to {name}'s library"
            cells += [(native, frameworks.DEFAULT_MODES[native], role), (native, IDIOMATIC, role)]
    return list({(fw, mode): (fw, mode, role) for fw, mode, role in cells}.values())


def _seconds(row) -> tuple[float | None, str]:
    """The cell's epoch time (steady, or the first where its runs had one) and which it is."""
    if pd.notna(row.steady_epoch_seconds):
        return float(row.steady_epoch_seconds), STEADY
    if pd.notna(row.first_epoch_seconds):
        return float(row.first_epoch_seconds), FIRST
    return None, ""


def rows(table: pd.DataFrame) -> list[list[str]]:
    """The section's table rows: per model and group, every cell of ``_cells`` the table holds."""
    out = []
    for model in dict.fromkeys(table.model):
        cells = table[table.model == model]
        for origin, members in groups().items():
            if not cells.framework.isin(members).any():
                continue
            first = None
            for framework, mode, role in _cells(origin, members):
                found = cells[(cells.framework == framework) & (cells["mode"] == mode)]
                if found.empty:
                    continue
                row = next(found.itertuples())
                seconds, which = _seconds(row)
                first = first if first is not None else seconds
                ratio = f"{seconds / first:.2f}" if seconds and first else "–"
                if row.ok == 0:
                    metric = f"({row.statuses})"
                else:
                    metric = f"{row.test_metric:.4f} {'met' if row.target_met else 'not met'}"
                busy = " (busy)" if row.busy else ""
                time = f"{seconds:,.3f} {which}{busy}" if seconds is not None else "–"
                out.append([model, framework, row.system or "–", mode, role, metric, time, ratio])
    return out


def section(table: pd.DataFrame) -> Section | None:
    """The section, or None when no framework that runs another's models is among the records."""
    found = rows(table)
    if not found:
        return None
    lines = [
        f"{', '.join(members)} train {origin}'s models with {origin}'s own loop (mode {IDIOMATIC}) on other "
        f"libraries: the same model code, the library changed"
        for origin, members in groups().items()
    ]
    return Section(
        "Same model code on several backends",
        [
            Bullets(lines),
            Paragraph(
                "Per model: the models' own framework in that loop, each of the others, then the framework native "
                "to each one's library in its default and idiomatic modes, where the records hold them. Epoch s: "
                "the median steady epoch (the first epoch where runs had one); × first row: epoch time over the "
                "first row's. Busy cells ran while the machine was busy: their times cannot be trusted."
            ),
            Table(HEADER, found),
        ],
    )
