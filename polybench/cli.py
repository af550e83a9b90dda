"""The `polybench` command: setup, data, run, report, compare, list."""

from __future__ import annotations

import argparse
import errno
import math
import shlex
import signal
import sys
from pathlib import Path

from polybench import PROJECT_ROOT, frameworks, quiet, threads
from polybench.errors import PolybenchError, UsageError
from polybench.notebook.settings import DEVICES, PROFILES
from polybench.runner import folder, kernels
from polybench.specs import SPECS


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of a usage dump."""

    def error(self, message: str) -> None:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def one_of(value: str, valid: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``valid``; otherwise a usage error listing them."""
    if value not in valid:
        raise UsageError(f"unknown {what} {value!r} (choose from: {', '.join(valid)})")
    return value


def choose(value: str, valid: tuple[str, ...], what: str, every: tuple[str, ...] | None = None) -> list[str]:
    """Comma-separated names checked against ``valid``; "all" means every one (``every``, when
    that differs from ``valid``)."""
    if value == "all":
        return list(valid if every is None else every)
    names = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not names:
        raise UsageError(f"no {what} given (choose from: {', '.join(valid)}, all)")
    for name in names:
        if name not in valid:
            raise UsageError(f"unknown {what} {name!r} (choose from: {', '.join(valid)}, all)")
    return names


def compiler_options(value: str | None, plan) -> list[str | None]:
    """``--compiler-option``: comma-separated names, "default" for the mode's own compilation;
    every framework and mode of ``plan`` (a runner.Plan) must declare each named one."""
    if value is None:
        return [None]
    names = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not names:
        raise UsageError("no compiler option given (a name `polybench list` shows, or default)")
    options = [None if name == "default" else name for name in names]
    for fw in plan.frameworks:
        for mode in frameworks.modes_for(fw, plan.modes):
            for option in options:
                try:
                    frameworks.check_compiler_option(fw, mode, option)
                except ValueError as exc:
                    raise UsageError(f"--compiler-option: {exc}") from None
    return options


def seeds(value: str) -> list[int]:
    """``N`` means seeds 0..N-1; ``a,b,c`` lists them."""
    try:
        if "," in value:
            listed = [int(v) for v in value.split(",")]
            if min(listed) < 0 or len(set(listed)) != len(listed):
                raise ValueError
            return listed
        count = int(value)
    except ValueError:
        raise UsageError(f"--seeds {value!r}: give a count (3) or a list of distinct seeds >= 0 (0,1,2)") from None
    if count < 1:
        raise UsageError("--seeds must be at least 1")
    return list(range(count))


def positive(name: str, value: int | float | None) -> None:
    """A usage error unless ``value`` (when given) is a finite number above zero."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise UsageError(f"{name} must be a positive number, got {value}")


def mirror(value: str | None) -> Path | None:
    """The --mnist-from folder, checked before any work starts (whichever models are chosen)."""
    if value is not None and not Path(value).is_dir():
        raise UsageError(
            f"MNIST mirror folder {value} does not exist; pass a folder holding the four MNIST IDX .gz files"
        )
    return Path(value) if value else None


def cmd_setup(args) -> int:
    chosen = choose(args.framework, frameworks.FRAMEWORKS, "framework", every=frameworks.ALL)
    if args.python and len(chosen) != 1:
        raise UsageError("--python adopts an interpreter for one framework; name it with --framework NAME")
    for framework in chosen:
        if args.python:
            kernels.adopt(framework, Path(args.python))
        else:
            kernels.setup(framework)
    return 0


def cmd_data(args) -> int:
    from polybench.data.prepare import prepare

    models = choose(args.model, tuple(SPECS), "model")
    prepare(models, Path(args.data_dir), mirror(args.mnist_from), force=args.force)
    print(f"data: ready in {args.data_dir}")
    return 0


def cmd_run(args) -> int:
    """Train the chosen matrix, write records, then the report; exit 1 if a run failed."""
    from polybench import runner
    from polybench.data.prepare import prepare
    from polybench.runner import executors

    for name, value in (
        ("--threads", args.threads),
        ("--epochs", args.epochs),
        ("--batch-size", args.batch_size),
        ("--time-limit", args.time_limit),
        ("--wait-quiet", args.wait_quiet),
    ):
        positive(name, value)
    plan = runner.Plan(
        frameworks=choose(args.framework, frameworks.FRAMEWORKS, "framework", every=frameworks.ALL),
        models=choose(args.model, tuple(SPECS), "model"),
        modes=choose(args.mode, frameworks.MODES + (frameworks.DEFAULT,), "mode", every=frameworks.MODES),
        seeds=seeds(args.seeds),
        profile=one_of(args.profile, PROFILES, "profile"),
        device=one_of(args.device, DEVICES, "device"),
        threads=args.threads or threads.default_threads(),
        epochs=args.epochs,
        batch_size=args.batch_size,
        time_limit_s=args.time_limit,
        data_dir=Path(args.data_dir),
        command=args.command_line,
    )
    plan.compiler_options = compiler_options(args.compiler_option, plan)
    if args.wait_quiet is not None and args.executor != "local":
        raise UsageError("--wait-quiet looks at this machine: leave it out with --executor ray")
    executor = executors.make_executor(args.executor, args.ray_address, plan.device)
    mnist_from = mirror(args.mnist_from)
    fresh = not args.resume and not (args.out and Path(args.out).exists())
    run_dir = run_folder(args, plan)
    look_at_the_machine(args, run_dir if fresh else None)
    prepare(plan.models, plan.data_dir, mnist_from)
    with folder.locked(run_dir):
        return _run_in(plan, run_dir, runs_to_do(args, plan, run_dir), executor)


def look_at_the_machine(args, fresh_folder: Path | None) -> None:
    """Before a local run: say if the machine is busy, or wait for it to be quiet (--wait-quiet);
    warn if --threads asks for more cores than are free. Ray runs happen on the cluster's nodes.
    A wait that gives up removes the run folder this command just made (``fresh_folder``)."""
    if args.executor != "local":
        return
    try:
        quiet.look_before_run(args.threads, args.wait_quiet)
    except BaseException:  # gave up, or interrupted while waiting
        if fresh_folder is not None and not any(fresh_folder.iterdir()):
            fresh_folder.rmdir()
        raise


def run_folder(args, plan) -> Path:
    """The run folder, writable: a new one (--out or results/<timestamp>), or with --resume an
    existing one made by the same plan, checked before anything is written there."""
    from polybench import runner
    from polybench.runner import resume

    if not args.resume:
        return folder.writable(Path(args.out) if args.out else runner.default_run_dir())
    run_dir = Path(args.resume)
    if args.out and Path(args.out).resolve() != run_dir.resolve():
        raise UsageError("--resume DIR runs in DIR: leave out --out")
    resume.check_same_plan(plan, run_dir)
    return folder.writable(run_dir, "--resume")


def runs_to_do(args, plan, run_dir: Path) -> list:
    """In a folder this process holds: the whole plan (written into the folder first), or with
    --resume the cells of that folder's plan that did not finish."""
    from polybench.runner import resume

    if not args.resume:
        resume.write_plan(plan, run_dir)
        return plan.keys()
    keys = resume.to_run(plan, run_dir)
    total = len(plan.keys())
    print(f"resuming {run_dir}: {total - len(keys)} of {total} runs finished, {len(keys)} to run")
    return keys


def _run_in(plan, run_dir: Path, keys: list, executor) -> int:
    """The body of `polybench run`, in a run folder this process holds."""
    from polybench import report, runner  # after the checks: a usage error needs no pandas, scipy or matplotlib

    print(f"run folder: {run_dir}")
    try:
        results = executor.run(runner.Runner(plan, run_dir), keys) if keys else []
    except KeyboardInterrupt:
        if any((run_dir / "records").glob("*.json")):
            report.build([run_dir], run_dir)  # what finished stays readable
            print(f"\ninterrupted; the runs that finished are in {run_dir / 'report.md'}", file=sys.stderr)
        raise
    report.build([run_dir], run_dir)
    print()
    print(report.terminal_table([run_dir]))
    print(f"\nreport: {run_dir / 'report.html'} (and report.md)  charts: {run_dir / 'charts'}")
    bad = [r for r in results if r.status in ("failed", "timeout", "diverged")]
    if bad:
        print(f"{len(bad)} of {len(results)} runs did not finish; see the report's list of failures")
    return 1 if bad else 0


def cmd_report(args) -> int:
    run_dirs = [Path(d) for d in args.run_dirs]
    for d in run_dirs:
        if not d.is_dir():
            raise UsageError(f"run folder {d} does not exist")
    out = Path(args.out) if args.out else run_dirs[0]
    if len(run_dirs) > 1 and not args.out:
        raise UsageError("several run folders: say where the combined report goes with --out DIR")
    folder.writable(out)
    from polybench import report  # after the checks, as in cmd_run

    written = report.build(run_dirs, out)
    print(report.terminal_table(run_dirs))
    print(f"\nwrote {len(written)} files to {out}: summary.csv, report.md, report.html, charts/")
    return 0


def cmd_compare(args) -> int:
    """Set two run folders against each other; exit 1 with --fail-on-regression if a cell got worse."""
    from polybench.report import compare

    for d in (args.base_dir, args.new_dir):
        if not (Path(d) / "records").is_dir() or not any((Path(d) / "records").glob("*.json")):
            raise UsageError(
                f"{d} is not a run folder with records (records/*.json); pass folders written by `polybench run`"
            )
    comparison = compare.compare(Path(args.base_dir), Path(args.new_dir))
    out = Path(args.out) if args.out else Path(args.new_dir)
    written = compare.write(comparison, out)
    print(compare.terminal_table(comparison))
    print(f"\nwrote {', '.join(str(p) for p in written)}")
    return 1 if args.fail_on_regression and comparison.regressions else 0


def cmd_list(args) -> int:
    print("models:")
    for name, cls in SPECS.items():
        implemented = [fw for fw in frameworks.FRAMEWORKS if frameworks.has_implementation(fw, name)]
        print(f"  {name:<14} {cls.title}  [{', '.join(implemented) or 'no implementation yet'}]")
    print("frameworks:")
    for fw in frameworks.FRAMEWORKS:
        state = "environment ready" if kernels.is_ready(fw) else f"not set up (polybench setup --framework {fw})"
        declared = frameworks.DECLARED[fw]
        runs = f", mode {' and '.join(declared.compilers)} only" if declared.unsupported_modes else ""
        print(f"  {fw:<14} {state}; {declared.display_name}{runs}")
    print(f"all:        {', '.join(frameworks.ALL)} (name the others to run them)")
    print(f"modes:      {', '.join(frameworks.MODES)}")
    print(f"default:    {', '.join(f'{fw} {mode}' for fw, mode in frameworks.DEFAULT_MODES.items())}")
    for fw, declared in frameworks.DECLARED.items():
        for model, (mode, why) in declared.model_default_modes.items():
            print(f"            {fw} {model}: {mode} ({why})")
    print(f"profiles:   {', '.join(PROFILES)} (default full)")
    print(f"devices:    {', '.join(DEVICES)} (default auto)")
    print("compiler options (--compiler-option NAME):")
    for fw, declared in frameworks.DECLARED.items():
        for mode, options in declared.compiler_options.items():
            for name, what in options.items():
                print(f"  {fw} {mode} {name}: {what}")
    return 0


def make_parser() -> Parser:
    parser = Parser(
        prog="polybench",
        description="Train one model spec in several deep-learning frameworks "
        "on identical data through an identical loop, and compare accuracy, time and memory.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("setup", help="create a framework's virtual environment and Jupyter kernel")
    p.add_argument(
        "--framework",
        required=True,
        help=f"{', '.join(frameworks.FRAMEWORKS)}, a comma list, or all ({', '.join(frameworks.ALL)})",
    )
    p.add_argument(
        "--python",
        metavar="PATH",
        help="use this interpreter, which already has the framework, instead of installing from the lock "
        "(e.g. a GPU machine's image without a package index); its records name no lock",
    )
    p.set_defaults(func=cmd_setup)

    mirror_help = (
        "folder holding the four MNIST IDX .gz files, used instead of downloading (default: $POLYBENCH_MNIST_MIRROR)"
    )
    p = sub.add_parser("data", help="write the CSV data sets into data/")
    p.add_argument("--mnist-from", metavar="DIR", help=mirror_help)
    p.add_argument("--model", default="all", help="comma-separated models (default all)")
    p.add_argument("--force", action="store_true", help="rewrite CSVs that already exist")
    p.add_argument("--data-dir", default=str(PROJECT_ROOT / "data"), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_data)

    p = sub.add_parser("run", help="train models in frameworks and write records and a report")
    p.add_argument(
        "--framework",
        required=True,
        help=f"{', '.join(frameworks.FRAMEWORKS)}, a comma list, or all ({', '.join(frameworks.ALL)})",
    )
    p.add_argument("--model", default="all", help="comma-separated models (default all)")
    p.add_argument(
        "--mode",
        default=frameworks.DEFAULT,
        help=f"{', '.join(frameworks.MODES)}, all, or default: each framework's own "
        f"({', '.join(f'{fw} {mode}' for fw, mode in frameworks.DEFAULT_MODES.items())})",
    )
    p.add_argument(
        "--compiler-option",
        metavar="NAME",
        help="compile with a named option of the mode instead of its default (a comma list; default "
        "names the default): "
        + "; ".join(
            f"{fw} {mode}: {', '.join(names)}"
            for fw, declared in frameworks.DECLARED.items()
            for mode, names in declared.compiler_options.items()
        ),
    )
    p.add_argument("--profile", default="full", help="quick (small slice, one epoch) or full (default)")
    p.add_argument("--device", default="auto", help="auto (GPU if the framework sees one), cpu or gpu")
    p.add_argument("--seeds", default="1", help="number of seeds (0..N-1) or a comma list (default 1)")
    p.add_argument("--threads", type=int, help="threads per framework (default: every core)")
    p.add_argument("--epochs", type=int, help="override the profile's epochs")
    p.add_argument("--batch-size", type=int, help="override the profile's batch size")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="per-run limit (default: the profile's)")
    p.add_argument("--out", metavar="DIR", help="run folder (default results/<timestamp>)")
    p.add_argument(
        "--wait-quiet",
        nargs="?",
        type=float,
        const=quiet.DEFAULT_WAIT_SECONDS,
        metavar="SECONDS",
        help="before starting, wait until no other process keeps the machine busy; fail (exit 1) after "
        f"SECONDS (default {quiet.DEFAULT_WAIT_SECONDS:g})",
    )
    p.add_argument(
        "--resume",
        metavar="DIR",
        help="finish the run folder DIR of the same plan: rerun its "
        "failed, timed-out and missing runs, keep the others",
    )
    p.add_argument(
        "--executor",
        default="local",
        help="local (default: this machine, one run at a time) or ray (one run per slot of a Ray cluster)",
    )
    p.add_argument(
        "--ray-address",
        metavar="HOST:PORT",
        help="the Ray cluster (default: the one `ray start` left on this machine, or RAY_ADDRESS)",
    )
    p.add_argument("--mnist-from", metavar="DIR", help=mirror_help)
    p.add_argument("--data-dir", default=str(PROJECT_ROOT / "data"), help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("report", help="rebuild summary.csv, report.md, report.html and charts from run folders")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--out", metavar="DIR", help="where to write (default: the run folder; required for several)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "compare", help="set a new run folder against a base one: speed, metric, memory, environment differences"
    )
    p.add_argument("base_dir", metavar="BASE_DIR")
    p.add_argument("new_dir", metavar="NEW_DIR")
    p.add_argument("--out", metavar="DIR", help="where compare.md and charts/compare.png go (default: NEW_DIR)")
    p.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit 1 if a cell is slower beyond the noise or loses its target",
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("list", help="models, frameworks, modes and which environments are ready")
    p.set_defaults(func=cmd_list)
    return parser


def _interrupt(signum, frame) -> None:
    """SIGTERM (a `kill`, a CI job's timeout) stops a run as Ctrl-C does: the running kernel is
    killed with its children, the run is recorded as interrupted and the report is written."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = make_parser().parse_args(argv)
        args.command_line = shlex.join(["polybench", *argv])
        return args.func(args)
    except PolybenchError as exc:
        print(f"polybench: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # the machine, not polybench: a full disk, a file that vanished, no permission
        what = f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}"
        if exc.errno == errno.ENOSPC:
            what = f"no space left on the device ({what}); free some space and run the command again"
        print(f"polybench: error: {what}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("polybench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
