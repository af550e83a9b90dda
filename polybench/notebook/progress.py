"""A run's per-epoch progress: the JSON-lines log the notebook appends to and the runner
follows, and the one line each epoch is shown as (in the notebook and by `polybench run`)."""

from __future__ import annotations

import json
from pathlib import Path


def epoch_line(row: dict, metric: str) -> str:
    """One progress line for an epoch row (a missing or non-finite figure shows as nan)."""

    def fmt(value) -> str:
        return "nan" if value is None else f"{value:.4f}"

    total = row.get("epochs")
    return (
        f"epoch {row['epoch']}{'/' + str(total) if total else ''}  train_loss {fmt(row['train_loss'])}  "
        f"val_loss {fmt(row.get('val_loss'))}  val_{metric} {fmt(row['val_metric'])}  {row['seconds']:.2f} s"
    )


def append(path: Path, row: dict) -> None:
    """Append one epoch row to the progress log at ``path``, one JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")
