"""Where the runs of a report executed: cells whose seeds ran on different nodes."""

from __future__ import annotations

import pandas as pd

from polybench.report.frame import GROUP

MIXED_LEAD = (
    "The seeds of these cells ran on different nodes, so their spread includes the nodes' "
    "differences as well as the seeds':"
)


def mixed_node_lines(frame: pd.DataFrame) -> list[str]:
    """One item per cell (model, framework, mode) whose seeds ran on more than one host, naming
    which seeds ran where (after MIXED_LEAD); empty when every cell stayed on one host."""
    lines = []
    for (model, framework, mode), cell in frame.groupby(GROUP, sort=False):
        hosts = cell.dropna(subset=["hostname"])
        if hosts.hostname.nunique() < 2:
            continue
        where = "; ".join(
            f"{host}: seed {', '.join(str(s) for s in sorted(group.seed))}"
            for host, group in hosts.groupby("hostname", sort=True)
        )
        lines.append(f"{model} / {framework} / {mode}: {where}")
    return lines
