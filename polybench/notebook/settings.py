"""The settings of one run: what the runner decides and the notebook's Experiment obeys.

One typed object travels from the runner (which fills it from the plan) through papermill
(as plain notebook parameters, see ``parameters``) to the Experiment in the kernel.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from polybench import frameworks
from polybench.errors import UsageError

#: Where a run may compute: the GPU if the framework sees one, the CPU, or a GPU only.
DEVICES = ("auto", "cpu", "gpu")
#: quick: a small slice for one epoch (checks the mechanics); full: the spec's reference run.
PROFILES = ("quick", "full")


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """Everything that decides one run. None means "the profile's" (epochs, batch size),
    "every core" (threads), "the project's data/" (data_dir) or "write none" (paths)."""

    model: str
    framework: str
    mode: str = "eager"
    profile: str = "full"
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    epochs: int | None = None
    batch_size: int | None = None
    data_dir: str | None = None
    record_path: str | None = None
    progress_path: str | None = None
    command: str | None = None
    compiler_option: str | None = None  # a named compiler option of the mode (None: its default)

    def __post_init__(self) -> None:
        frameworks.check_framework(self.framework)
        for value, valid, what in (
            (self.mode, frameworks.MODES, "mode"),
            (self.device, DEVICES, "device"),
            (self.profile, PROFILES, "profile"),
        ):
            if value not in valid:
                raise UsageError(f"unknown {what} {value!r} (choose from: {', '.join(valid)})")
        try:
            frameworks.check_compiler_option(self.framework, self.mode, self.compiler_option)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def parameters(self) -> dict:
        """The notebook's papermill parameters (the model is the notebook itself)."""
        values = dataclasses.asdict(self)
        del values["model"]
        return {
            name: str(Path(v).resolve()) if name.endswith(("_dir", "_path")) and v is not None else v
            for name, v in values.items()
        }
