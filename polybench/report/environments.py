"""report.md's list of the environments that produced the records: lock, hash, package count."""

from __future__ import annotations

from collections import Counter

import pandas as pd


def _value(row, column: str):
    value = getattr(row, column, None)
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def lines(frame: pd.DataFrame) -> list[str]:
    """One item per distinct environment (framework, the system and versions it ran, Python, lock and its
    hash) among the records."""
    columns = ("framework", "system", "python", "lock", "lock_hash", "packages")
    counts = Counter(tuple(_value(row, c) for c in columns) for row in frame.itertuples())
    out = []
    for (framework, system, python, lock, lock_hash, packages), count in counts.items():
        where = (
            f"requirements/locks/{lock}.txt, sha256 {lock_hash[:16]}…"
            if lock_hash
            else "no lock recorded (made before locks, or a record written by the runner)"
        )
        listed = f", {int(packages)} packages listed in each record" if packages else ""
        named = f"{framework} ({system})" if system else framework
        out.append(f"{named} on Python {python or '?'}: {where}{listed}; {count} record(s)")
    return out
