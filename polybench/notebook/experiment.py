"""One training run as a notebook drives it: spec + framework + profile -> record.

The notebook (run by papermill in the framework's own kernel) creates an Experiment
from its parameters, shows the data and the implementation's source, trains, plots and
finally saves the record. Progress goes to a JSON-lines log, one line per epoch, which
the runner follows and which survives a crash.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import sys
from pathlib import Path

from polybench import PROJECT_ROOT, contention, frameworks, loop, parity, records, threads
from polybench.data import tables
from polybench.errors import UnsupportedError
from polybench.notebook import loc, machine, memory, progress
from polybench.notebook.settings import RunSettings
from polybench.specs import get_spec
from polybench.specs.base import Split


class Experiment:
    """A (model, framework, mode, profile, seed) run: its data, implementation and record."""

    def __init__(self, settings: RunSettings) -> None:
        self.settings = settings
        self.started_at = records.now()
        self.spec = get_spec(settings.model)
        self.key = records.RunKey(
            settings.model, settings.framework, settings.mode, int(settings.seed), settings.compiler_option
        )
        base = self.spec.profile(settings.profile)
        self.profile = dataclasses.replace(
            base, epochs=settings.epochs or base.epochs, batch_size=settings.batch_size or base.batch_size
        )
        self.threads = int(settings.threads or threads.default_threads())
        unsupported = frameworks.unsupported_reason(settings.framework, settings.model, settings.mode)
        if unsupported is not None:  # the runner records these without a kernel; a notebook run by hand says why
            raise UnsupportedError(unsupported)
        self.runtime = frameworks.runtime(settings.framework)
        self.device = self.runtime.configure(self.threads, settings.device)
        self.runtime.seed(self.key.seed)
        self.data_dir = Path(settings.data_dir) if settings.data_dir else PROJECT_ROOT / "data"
        self.command = settings.command
        self.record_path = Path(settings.record_path) if settings.record_path else None
        self.progress_path = Path(settings.progress_path) if settings.progress_path else None
        self.implementation_class = self.runtime.implementation(settings.model).with_compiler_option(
            settings.compiler_option
        )
        sizes = {"train": self.profile.train_size, "val": self.profile.val_size, "test": self.profile.test_size}
        self.splits: dict[str, Split] = {
            name: split.head(sizes[name]) for name, split in tables.load_splits(self.spec, self.data_dir).items()
        }
        self.params = self.spec.init_parameters(self.key.seed)
        self.result: loop.TrainingResult | None = None
        self.sampler: memory.PeakSampler | None = None
        self.nvml: memory.NvmlReader | None = None
        self.contention: contention.Sampler | None = None  # what else used the machine while it trained
        self.implementation = None
        self.trainer = None  # the framework's own loop, in mode "idiomatic"
        self.peak_flops: float | None = None
        self.parity: dict | None = None

    def model_modules(self) -> list[str]:
        """The framework's modules that make up the model: its own module and any module of the
        framework's package its Implementation inherits from other than the shared ones (the
        dynamic models' common base, ``frameworks/<name>/dynamic.py``)."""
        package = self.runtime.step_module().rsplit(".", 1)[0] + "."
        shared = self.runtime.shared_modules()
        inherited = [
            cls.__module__
            for cls in self.implementation_class.__mro__
            if cls.__module__.startswith(package) and cls.__module__ not in shared
        ]
        return list(dict.fromkeys([self.implementation_class.__module__, *inherited]))

    def implementation_source(self) -> str:
        """Source code of this framework's modules for the model (model_modules), one after another."""
        return "\n\n".join(inspect.getsource(sys.modules[module]) for module in self.model_modules())

    def implementation_path(self) -> str:
        """Where those modules lie in the project (Keras on JAX runs the TensorFlow package's)."""
        return " + ".join(module.replace(".", "/") + ".py" for module in self.model_modules())

    def shared_sources(self) -> dict[str, str]:
        """Source code of the modules every model of this framework shares (its shared step's and
        those it builds on), by module name."""
        return {name: inspect.getsource(importlib.import_module(name)) for name in self.runtime.shared_modules()}

    def loop_module(self) -> str:
        """The module of the loop that trains: the shared step's, or in mode idiomatic the
        framework's own loop's (frameworks/<name>/idiomatic.py)."""
        return self.runtime.idiomatic_trainer().__module__ if self.idiomatic else self.runtime.step_module()

    def loop_source(self) -> str:
        """Source code of the loop that trains (see loop_module)."""
        return inspect.getsource(importlib.import_module(self.loop_module()))

    def sources(self) -> dict[str, str]:
        """The implementation's source as it ran, by path in the project: the model's module,
        the shared step and, in mode idiomatic, the framework's own loop. The HTML report shows
        these, so it does not depend on the checkout it is built in."""
        shared = self.shared_sources()
        modules = [*self.model_modules(), *shared]
        texts = [*(inspect.getsource(sys.modules[module]) for module in self.model_modules()), *shared.values()]
        if self.idiomatic:
            modules.append(self.loop_module())
            texts.append(self.loop_source())
        return {module.replace(".", "/") + ".py": text for module, text in zip(modules, texts, strict=True)}

    def _report_epoch(self, row: loop.EpochRow) -> None:
        progress_row = {**dataclasses.asdict(row), "epochs": self.profile.epochs}
        print(progress.epoch_line(progress_row, self.spec.metric.name), flush=True)
        if self.progress_path is not None:
            progress.append(self.progress_path, progress_row)

    @property
    def idiomatic(self) -> bool:
        """Whether this run trains through the framework's own loop instead of the shared one."""
        return self.key.mode == "idiomatic"

    def train(self) -> loop.TrainingResult:
        """Build the implementation from the canonical weights, load the data onto the
        device and train through the shared loop (or, in mode "idiomatic", the framework's
        own loop on the eager model), sampling peak memory meanwhile."""
        self.implementation = self.implementation_class(
            self.spec,
            self.params,
            self.profile.optimizer,
            self.device,
            mode="eager" if self.idiomatic else self.key.mode,
        )
        self.implementation.load_data(self.splits)
        if self.idiomatic:
            self.trainer = self.runtime.idiomatic_trainer()(self.implementation, self.profile.batch_size, self.key.seed)
        self.implementation.reset_peak_memory()
        self.nvml = memory.NvmlReader() if self.runtime.gpu_name(self.device) else None
        gpu_watch = contention.GpuWatch() if self.nvml else None
        with memory.PeakSampler(nvml=self.nvml) as self.sampler, contention.Sampler(gpu=gpu_watch) as self.contention:
            if self.trainer is not None:
                self.result = loop.train_idiomatic(
                    self.trainer, self.spec, self.splits, epochs=self.profile.epochs, on_epoch=self._report_epoch
                )
            else:
                self.result = loop.train(
                    self.implementation,
                    self.spec,
                    self.splits,
                    epochs=self.profile.epochs,
                    batch_size=self.profile.batch_size,
                    seed=self.key.seed,
                    on_epoch=self._report_epoch,
                )
        self.peak_flops = self.runtime.matmul_flops_per_second(self.device)  # after training: not on its clock
        # Parity after training too: a graph mode compiled here first would shorten the timed
        # first epoch, and its allocations would count in the peak RSS.
        self.parity = parity.run_record_figures(
            self.implementation_class,
            self.spec,
            self.splits,
            self.device,
            self.key.mode,
            type(self.trainer) if self.trainer else None,
        )
        return self.result

    def record(self) -> records.Record:
        """The run's record (status ok) from the finished training."""
        if self.result is None:
            raise RuntimeError("train() has not finished")
        result, spec = self.result, self.spec
        env = machine.capture(self.threads, self.command)
        env["versions"].update(self.runtime.versions())
        env["threads_used"] = self.runtime.threads_used()
        env["implementation"] = self.implementation.details()
        if self.trainer is not None:
            env["idiomatic"] = {"loop": type(self.trainer).__doc__.strip().splitlines()[0], **self.trainer.details()}
        env["sources"] = self.sources()
        model_loc = loc.count_code_lines(self.implementation_source())
        if self.idiomatic:  # the framework's own loop
            step_loc = loc.count_code_lines(self.loop_source())
        else:  # the shared step and the modules it builds on
            step_loc = sum(loc.count_code_lines(text) for text in self.shared_sources().values())
        flops = spec.train_flops_per_sample()
        return records.Record.new(
            self.key,
            self.profile.name,
            "ok",
            device=self.device,
            metric=spec.metric.name,
            metric_higher_is_better=spec.metric.higher_is_better,
            test_metric=result.test_metric,
            test_loss=result.test_loss,
            extra_metrics=result.test_extra_metrics,
            target=spec.metric.target,
            target_met=spec.metric.met(result.test_metric),
            epochs_planned=self.profile.epochs,
            batch_size=self.profile.batch_size,
            optimizer=dataclasses.asdict(self.profile.optimizer),
            train_samples=result.train_samples,
            epochs=[dataclasses.asdict(row) for row in result.epochs],
            first_epoch_seconds=result.first_epoch_seconds,
            steady_epoch_seconds=result.steady_epoch_seconds,
            samples_per_second=result.samples_per_second,
            train_seconds=result.train_seconds,
            time_to_target_seconds=result.time_to_target(spec.metric),
            shuffle=self.trainer.shuffle if self.trainer is not None else loop.SHUFFLE,
            compiler=(self.trainer or self.implementation).compiler(),
            flops_per_sample=flops,
            achieved_flops_per_second=flops * result.samples_per_second,
            peak_flops_per_second=self.peak_flops,
            peak_rss_bytes=self.sampler.peak_rss_bytes,
            gpu_peak_framework_bytes=self.implementation.peak_memory_bytes(),
            gpu_peak_nvml_bytes=self.sampler.peak_nvml_bytes,
            gpu_name=self.runtime.gpu_name(self.device),
            gpu_driver=self.nvml.driver_version() if self.nvml else None,
            implementation_loc=model_loc + step_loc,
            model_loc=model_loc,
            step_loc=step_loc,
            parity=self.parity,
            contention=self.contention.summary(),
            environment=env,
            started_at=self.started_at,
            finished_at=records.now(),
        )

    def save_record(self) -> dict:
        """Write the record to ``record_path`` (atomically) and return it as written."""
        record = self.record()
        if self.record_path is not None:
            records.write_record(self.record_path, record)
        return record.to_dict()
