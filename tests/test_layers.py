"""The runner and the report know frameworks only through what each framework package declares
(DESIGN.md's layers): their code names no framework and reads no framework-specific field."""

from __future__ import annotations

import re
from pathlib import Path

from polybench import frameworks

PACKAGE = Path(frameworks.__file__).resolve().parent.parent

#: Names that would tie a runner or report module to one framework: the registry's names, the
#: display names, and the libraries and compilers behind them.
FRAMEWORK_WORDS = sorted(
    {name.lower() for name in frameworks.FRAMEWORKS}
    | {name.lower() for name in frameworks.DISPLAY_NAMES.values()}
    | {"keras", "gluon", "flax", "nnx", "optax", "xla", "jit_compile"}
    | {"inductor", "torchinductor", "dynamo", "hybridize"}
)


def names(line: str, word: str) -> bool:
    """Whether ``line`` holds ``word`` between non-alphanumerics (an underscore separates, so
    ``TORCHINDUCTOR_CACHE_DIR`` holds "torchinductor" and ``set_xlabel`` does not hold "xla")."""
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", line, re.IGNORECASE) is not None


def code_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of ``path`` outside comments and docstrings (progress examples in docstrings name
    frameworks as a user sees them)."""
    text = path.read_text()
    text = re.sub(r'"""(?:.|\n)*?"""', lambda m: "\n" * m.group(0).count("\n"), text)
    return [(number, line.split("#", 1)[0]) for number, line in enumerate(text.splitlines(), 1)]


def test_runner_and_report_code_name_no_framework():
    found = []
    for layer in ("runner", "report"):
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for number, line in code_lines(path):
                for word in FRAMEWORK_WORDS:
                    if names(line, word):
                        found.append(f"{path.relative_to(PACKAGE)}:{number}: {word}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_scan_finds_a_framework_name_in_code_and_not_in_comments(tmp_path):
    """The check above can fail: code naming a framework's setting is found, a comment is not."""
    sample = tmp_path / "sample.py"
    sample.write_text('ax.set_xlabel("s")  # torch\nenv["TORCHINDUCTOR_CACHE_DIR"] = cache\n"""torch"""\n')
    hits = [(n, word) for n, line in code_lines(sample) for word in FRAMEWORK_WORDS if names(line, word)]
    assert hits == [(2, "torchinductor")]
