"""MNIST: mirror and download paths with their checksums and errors, CSV round trip, cache."""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

from polybench.data import cache, mnist, tables
from polybench.errors import DataError, UsageError
from polybench.specs import get_spec

SCHEMA = get_spec("mnist_fcn").schema


def load_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Pixels in [0, 1] and labels of an MNIST CSV, through the shared loader."""
    split = get_spec("mnist_fcn").render(tables.read_table(path, SCHEMA))
    return split.x, split.y


@pytest.fixture
def mirror_copy(tmp_path, mnist_mirror) -> Path:
    """A writable copy of the four IDX files (from the mirror, or downloaded)."""
    target = tmp_path / "mirror"
    target.mkdir()
    source = mnist_mirror if mnist_mirror else mnist.download(tmp_path / "dl").popitem()[1].parent
    for name in mnist.IDX_FILES:
        shutil.copy(Path(source) / name, target / name)
    return target


def test_mirror_files_pass_their_checksums(mnist_mirror):
    paths = mnist.from_mirror(mnist_mirror) if mnist_mirror else mnist.download(Path("data/downloads"))
    assert sorted(paths) == sorted(mnist.IDX_FILES)


def test_csvs_hold_every_digit_with_its_label(mnist_data_dir):
    x, y = load_csv(mnist_data_dir / mnist.TRAIN_CSV)
    assert x.shape == (60_000, 784) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    assert y[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # the well-known first training labels
    x_test, y_test = load_csv(mnist_data_dir / mnist.TEST_CSV)
    assert x_test.shape == (10_000, 784) and np.bincount(y_test).sum() == 10_000
    header = (mnist_data_dir / mnist.TRAIN_CSV).open().readline().strip().split(",")
    assert header[:2] == ["label", "pixel0"] and len(header) == 785


def test_wrong_checksum_names_the_file_and_writes_nothing(mirror_copy, tmp_path):
    victim = mirror_copy / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(victim.read_bytes())
    data[100] ^= 0xFF
    victim.write_bytes(bytes(data))
    out = tmp_path / "data"
    out.mkdir()
    with pytest.raises(DataError) as err:
        mnist.write_csvs(out, mirror_copy)
    message = str(err.value)
    assert "t10k-labels-idx1-ubyte.gz" in message and "SHA-256" in message and "\n" not in message
    assert list(out.iterdir()) == []


def test_truncated_file_is_rejected(mirror_copy, tmp_path):
    victim = mirror_copy / "train-images-idx3-ubyte.gz"
    victim.write_bytes(victim.read_bytes()[:50_000])
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz.*(corrupt or truncated)"):
        mnist.write_csvs(tmp_path, mirror_copy)
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob(".*tmp"))


def test_missing_file_in_mirror_says_how_to_fix(mirror_copy, tmp_path):
    (mirror_copy / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: missing from the MNIST mirror"):
        mnist.write_csvs(tmp_path, mirror_copy)


def test_missing_mirror_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        mnist.write_csvs(tmp_path / "data", tmp_path / "nowhere")


def test_environment_variable_names_the_mirror(mirror_copy, tmp_path, monkeypatch):
    (mirror_copy / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    monkeypatch.setenv(mnist.MIRROR_ENV, str(mirror_copy))
    with pytest.raises(DataError, match=str(mirror_copy / "t10k-images-idx3-ubyte.gz")):
        mnist.write_csvs(tmp_path)


@pytest.fixture
def http_mirror(mirror_copy):
    """The IDX files served over HTTP on the loopback interface."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror_copy))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield mirror_copy, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_download_checks_sha256(http_mirror, tmp_path, monkeypatch):
    folder, url = http_mirror
    monkeypatch.setattr(mnist, "DOWNLOAD_URLS", [url])
    paths = mnist.download(tmp_path / "downloads")
    assert all(mnist.sha256_of(p) == mnist.IDX_FILES[name] for name, p in paths.items())


def test_download_with_wrong_checksum_fails_in_one_line(http_mirror, tmp_path, monkeypatch):
    folder, url = http_mirror
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(b"tampered")
    monkeypatch.setattr(mnist, "DOWNLOAD_URLS", [url])
    monkeypatch.delenv(mnist.MIRROR_ENV, raising=False)  # no mirror: the download path
    with pytest.raises(DataError) as err:
        mnist.write_csvs(tmp_path / "data", mirror=None)
    assert "could not download train-labels-idx1-ubyte.gz" in str(err.value)
    assert "\n" not in str(err.value)
    assert not list((tmp_path / "data").glob("*.csv"))


def _idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def test_csv_round_trip_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    (tmp_path / "img.gz").write_bytes(_idx_bytes(images, 2051))
    (tmp_path / "lab.gz").write_bytes(_idx_bytes(labels, 2049))
    parsed_images = mnist.read_idx(tmp_path / "img.gz", 2051)
    parsed_labels = mnist.read_idx(tmp_path / "lab.gz", 2049)
    mnist._write_csv(tmp_path / "t.csv", parsed_labels, parsed_images)
    x, y = load_csv(tmp_path / "t.csv")
    assert np.array_equal(y, labels)
    assert np.array_equal(np.rint(x * 255).astype(np.uint8), images.reshape(7, 784))


def test_cache_is_used_then_invalidated_when_the_csv_changes(tmp_path):
    csv = tmp_path / "t.csv"
    mnist._write_csv(csv, np.array([3, 1]), np.zeros((2, 28, 28), dtype=np.uint8))
    calls = []

    def parse(path):
        calls.append(path)
        return tables.parse_table(path, SCHEMA)

    first = cache.load_cached(csv, parse, "test")
    again = cache.load_cached(csv, parse, "test")
    assert len(calls) == 1 and np.array_equal(first["label"], again["label"])
    # Rewritten with the same size within the file system's timestamp resolution: the
    # modification time alone tells the change, so the rewrite is dated one second later.
    before = csv.stat().st_mtime_ns
    mnist._write_csv(csv, np.array([7, 7]), np.full((2, 28, 28), 9, dtype=np.uint8))
    os.utime(csv, ns=(before + 10**9, before + 10**9))
    changed = cache.load_cached(csv, parse, "test")
    assert len(calls) == 2 and changed["label"].tolist() == [7, 7] and changed["pixels"].max() == 9
    mnist._write_csv(csv, np.array([1, 2, 3]), np.ones((3, 28, 28), dtype=np.uint8))  # another size
    os.utime(csv, ns=(before + 10**9, before + 10**9))  # the same time as the cached one
    assert cache.load_cached(csv, parse, "test")["label"].tolist() == [1, 2, 3] and len(calls) == 3
    cache.load_cached(csv, parse, "other-parser-version")
    assert len(calls) == 4


def test_second_load_of_the_training_csv_reads_the_cache(mnist_data_dir, monkeypatch):
    load_csv(mnist_data_dir / mnist.TRAIN_CSV)  # parsed at most once, here or by the fixture

    def no_parse(path):
        raise AssertionError("the CSV was parsed again")

    monkeypatch.setattr(tables, "parse_table", no_parse)
    x, y = load_csv(mnist_data_dir / mnist.TRAIN_CSV)
    assert x.shape == (60_000, 784) and y.shape == (60_000,)


def test_missing_csv_says_to_run_polybench_data(tmp_path):
    with pytest.raises(DataError, match="run `polybench data`"):
        load_csv(tmp_path / "mnist_train.csv")


def mnist_lines(*rows: str) -> str:
    """An MNIST CSV's header and the given data rows."""
    return ",".join(["label", *(f"pixel{i}" for i in range(784))]) + "\n" + "".join(row + "\n" for row in rows)


GOOD_ROW = ",".join(["3"] + ["0"] * 784)


@pytest.mark.parametrize(
    "text, where",
    ids=["above 255", "negative", "not an integer", "not a number", "extra value", "missing value", "header"],
    argvalues=[
        (mnist_lines(GOOD_ROW, "7,0,300" + ",0" * 782), "line 3: pixel1 is '300', outside the range of uint8"),
        (mnist_lines(GOOD_ROW, GOOD_ROW[:-1] + "-1"), "line 3: pixel783 is '-1', outside the range of uint8"),
        (mnist_lines(GOOD_ROW, GOOD_ROW[:-1] + "1.5"), "line 3: pixel783 is '1.5', not an integer"),
        (mnist_lines(GOOD_ROW, GOOD_ROW[:-1] + "x"), "line 3: pixel783 is 'x', not a number"),
        (mnist_lines(GOOD_ROW + ",0"), "line 2: 786 values, expected 785"),
        (mnist_lines(GOOD_ROW, GOOD_ROW[:-2]), "line 3: 784 values, expected 785"),
        (mnist_lines(GOOD_ROW).replace("pixel5,", "pixel_5,"), "line 1: the header does not match the spec's columns"),
    ],
)
def test_a_damaged_mnist_csv_names_its_first_bad_line(tmp_path, text, where):
    # NumPy 1.x would read 300 as 44 and 1.5 as 1 if asked for uint8: every NumPy refuses them here.
    path = tmp_path / "mnist_train.csv"
    path.write_text(text)
    with pytest.raises(DataError) as err:
        tables.parse_table(path, SCHEMA)
    assert str(err.value) == f"{path}: {where}; rewrite it with `polybench data --force`"


def test_the_fast_parse_gives_what_pandas_gives(mnist_data_dir):
    import pandas as pd

    path = mnist_data_dir / mnist.TEST_CSV
    arrays = tables.parse_table(path, SCHEMA, rows=10_000)
    frame = pd.read_csv(path, dtype="uint8").to_numpy()
    assert arrays["label"].dtype == arrays["pixels"].dtype == np.uint8 and arrays["pixels"].flags.c_contiguous
    assert np.array_equal(arrays["label"], frame[:, 0]) and np.array_equal(arrays["pixels"], frame[:, 1:])


@pytest.mark.envs
def test_numpy_1_refuses_what_numpy_2_refuses(tmp_path):
    # The loader runs in every kernel; MXNet's environment has the oldest NumPy (1.23.5).
    from polybench.runner import kernels

    python = kernels.ensure("mxnet", say=lambda _: None)
    bad = tmp_path / "mnist_train.csv"
    bad.write_text(mnist_lines(GOOD_ROW, "7,0,300" + ",0" * 782))
    good = tmp_path / "mnist_test.csv"
    good.write_text(mnist_lines(GOOD_ROW, "9" + ",255" * 784))
    script = (
        "import sys, numpy; from polybench.data import tables; from polybench.errors import DataError; "
        "from polybench.specs import get_spec; schema = get_spec('mnist_fcn').schema\n"
        "print(numpy.__version__, tables.parse_table(sys.argv[2], schema)['pixels'].max(axis=1).tolist())\n"
        "try: tables.parse_table(sys.argv[1], schema)\n"
        "except DataError as exc: print(exc)"
    )
    done = subprocess.run(
        [str(python), "-c", script, str(bad), str(good)], capture_output=True, text=True, check=True, timeout=120
    )
    first, error = done.stdout.strip().splitlines()
    version, maxima = first.split(" ", 1)
    assert version.startswith("1.") and maxima == "[0, 255]"
    assert error == f"{bad}: line 3: pixel1 is '300', outside the range of uint8; {tables.FIX}"
