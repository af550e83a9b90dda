"""MNIST: the four original IDX files -> data/mnist_train.csv and data/mnist_test.csv.

The IDX files are downloaded (SHA-256 checked by pooch) or read from a local mirror
folder (``--mnist-from DIR`` or ``POLYBENCH_MNIST_MIRROR``), checked against the same
checksums either way. The CSVs hold one digit per row: label, then 784 pixels 0-255,
under a header ``label,pixel0,...,pixel783``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import numpy as np

from polybench.atomic import atomic_write
from polybench.errors import DataError, UsageError

TRAIN_CSV = "mnist_train.csv"
TEST_CSV = "mnist_test.csv"
MIRROR_ENV = "POLYBENCH_MNIST_MIRROR"

#: The four original files and their SHA-256 checksums.
IDX_FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
#: Public mirrors of the original files, tried in order.
DOWNLOAD_URLS = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
]
#: Which IDX pair makes which CSV.
CSV_SOURCES = {
    TRAIN_CSV: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    TEST_CSV: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
PIXELS = 28 * 28


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def mirror_from_env() -> Path | None:
    """The mirror folder named by POLYBENCH_MNIST_MIRROR, if set."""
    value = os.environ.get(MIRROR_ENV, "").strip()
    return Path(value) if value else None


def from_mirror(mirror: Path) -> dict[str, Path]:
    """The four IDX files in ``mirror``, each checked against its SHA-256."""
    mirror = Path(mirror)
    paths = {}
    for name, expected in IDX_FILES.items():
        path = mirror / name
        if not path.is_file():
            raise DataError(
                f"{path}: missing from the MNIST mirror; copy the original {name} there, "
                f"or drop --mnist-from/{MIRROR_ENV} to download it"
            )
        actual = sha256_of(path)
        if actual != expected:
            raise DataError(
                f"{path}: SHA-256 {actual[:12]}… does not match the original {expected[:12]}… "
                f"(corrupt or truncated); replace it with the original {name}"
            )
        paths[name] = path
    return paths


def download(download_dir: Path) -> dict[str, Path]:
    """Download the four IDX files into ``download_dir`` (kept there), SHA-256 checked."""
    import pooch  # only the orchestrator environment downloads

    paths = {}
    for name, expected in IDX_FILES.items():
        errors = []
        for base in DOWNLOAD_URLS:
            try:
                paths[name] = Path(
                    pooch.retrieve(
                        base + name, known_hash=f"sha256:{expected}", fname=name, path=download_dir, progressbar=True
                    )
                )
                break
            except Exception as exc:  # network errors, HTTP errors and hash mismatches alike
                errors.append(f"{base}{name}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        else:
            raise DataError(
                f"could not download {name} ({'; '.join(errors)}); check the network or point "
                f"--mnist-from/{MIRROR_ENV} at a folder holding the MNIST IDX files"
            )
    return paths


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Parse a gzipped IDX file: labels (N,) or images (N, 28, 28), uint8."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable gzip file ({exc}); replace it with the original") from None
    header = 8 if expected_magic == 2049 else 16
    if len(raw) < header:
        raise DataError(f"{path}: truncated IDX header; replace it with the original")
    dims = np.frombuffer(raw[:header], dtype=">u4")
    if dims[0] != expected_magic:
        raise DataError(f"{path}: IDX magic {dims[0]} is not {expected_magic}; is this the right file?")
    shape = tuple(int(d) for d in dims[1:])
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{path}: {data.size} bytes of data for shape {shape}; replace it with the original")
    return data.reshape(shape)


def _write_csv(path: Path, labels: np.ndarray, images: np.ndarray) -> None:
    text = [str(i) for i in range(256)]
    header = "label," + ",".join(f"pixel{i}" for i in range(PIXELS))
    with atomic_write(path, "w", newline="\n") as f:
        f.write(header + "\n")
        table = np.column_stack([labels, images.reshape(len(images), PIXELS)])
        for row in table.tolist():
            f.write(",".join([text[v] for v in row]))
            f.write("\n")


def write_csvs(data_dir: Path, mirror: Path | None = None, force: bool = False) -> list[Path]:
    """Write data/mnist_train.csv and data/mnist_test.csv; return the files written.

    Every IDX file is checked before anything is written, and each CSV appears
    atomically, so a failure leaves no half-written file in ``data_dir``. Existing CSVs
    are kept unless ``force``.
    """
    data_dir = Path(data_dir)
    mirror = mirror if mirror is not None else mirror_from_env()
    if mirror is not None and not Path(mirror).is_dir():
        raise UsageError(
            f"MNIST mirror folder {mirror} does not exist; pass a folder holding the four "
            f"MNIST IDX .gz files (--mnist-from or {MIRROR_ENV})"
        )
    targets = [data_dir / name for name in CSV_SOURCES]
    if not force and all(t.is_file() for t in targets):
        return []
    idx = from_mirror(mirror) if mirror is not None else download(data_dir / "downloads")
    arrays = {}
    for csv_name, (images_name, labels_name) in CSV_SOURCES.items():
        images = read_idx(idx[images_name], 2051)
        labels = read_idx(idx[labels_name], 2049)
        if len(images) != len(labels):
            raise DataError(
                f"{idx[images_name]} has {len(images)} images but {idx[labels_name]} "
                f"has {len(labels)} labels; replace them with the originals"
            )
        arrays[csv_name] = (labels, images)
    written = []
    for csv_name, (labels, images) in arrays.items():
        _write_csv(data_dir / csv_name, labels, images)
        written.append(data_dir / csv_name)
    return written
