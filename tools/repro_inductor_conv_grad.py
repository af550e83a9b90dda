"""Minimal reproduction: torch.compile (Inductor, CPU) and the MNIST CNN's convolution gradients.

Standalone: needs only torch and numpy. It builds polybench's MNIST CNN (two 5x5 'same'
convolutions with max-pooling, dense 1024, dense 10) with PyTorch's own random initial
weights, takes one batch, and compares the gradients of one loss.backward() in eager mode
with those of the same module compiled by torch.compile (Inductor), by Inductor with
either working setting (torch.compile(..., options={"layout_optimization": False}) or
options={"reorder_for_peak_memory": False}), and by the aot_eager backend (AOTAutograd without
Inductor). It prints, per backend and parameter, the largest
absolute gradient and the largest difference from eager, and a verdict line.

    python tools/repro_inductor_conv_grad.py                      # real MNIST batch if it finds one
    python tools/repro_inductor_conv_grad.py --images PATH/train-images-idx3-ubyte.gz --batch 128
    python tools/repro_inductor_conv_grad.py --random --batch 8   # random pixels

The MNIST images are read from --images, else from $POLYBENCH_MNIST_MIRROR, else from
../shared/data/mnist beside the repository; without them it falls back to random pixels.
Exit status: 0 whatever it finds (it reports, it does not judge), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

IMAGES = "train-images-idx3-ubyte.gz"


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5, padding=2)
        self.dense = nn.Linear(64 * 7 * 7, 1024)
        self.output = nn.Linear(1024, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.output(F.relu(self.dense(x.flatten(1))))


def find_images(named: str | None) -> Path | None:
    """The MNIST training images file: --images, the mirror variable, or the shared folder."""
    candidates = [Path(named)] if named else []
    if os.environ.get("POLYBENCH_MNIST_MIRROR"):
        candidates.append(Path(os.environ["POLYBENCH_MNIST_MIRROR"]) / IMAGES)
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist" / IMAGES)
    return next((path for path in candidates if path.is_file()), None)


def mnist_batch(path: Path, n: int) -> torch.Tensor:
    """The first ``n`` training images, scaled to [0, 1], as (n, 1, 28, 28) float32."""
    with gzip.open(path, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return torch.from_numpy(raw[: n * 784].reshape(n, 1, 28, 28).astype(np.float32) / 255.0)


#: label -> torch.compile keyword arguments: the failing default and the working setting side by side
COMPILED = {
    "aot_eager": {"backend": "aot_eager"},
    "inductor": {"backend": "inductor"},
    "inductor, layout_optimization=False": {"backend": "inductor", "options": {"layout_optimization": False}},
    "inductor, reorder_for_peak_memory=False": {"backend": "inductor", "options": {"reorder_for_peak_memory": False}},
}


def gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor, backend: str | None) -> dict[str, torch.Tensor]:
    """Parameter gradients of one cross-entropy backward, eagerly or through torch.compile."""
    model.zero_grad(set_to_none=True)
    torch.compiler.reset()  # each setting compiles afresh
    network = model if backend is None else torch.compile(model, **COMPILED[backend])
    F.cross_entropy(network(x), y).backward()
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", help=f"path to {IMAGES}")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--random", action="store_true", help="random pixels instead of MNIST images")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    torch.manual_seed(args.seed)
    images = None if args.random else find_images(args.images)
    if args.images and images is None:
        parser.error(f"--images {args.images}: no such file")
    x = torch.rand(args.batch, 1, 28, 28) if images is None else mnist_batch(images, args.batch)
    y = torch.randint(0, 10, (args.batch,))
    model = CNN()
    print(f"torch {torch.__version__}, {'MNIST ' + str(images) if images else 'random pixels'}, batch {args.batch}")
    eager = gradients(model, x, y, None)
    zero_conv = {}
    for backend in COMPILED:
        compiled = gradients(model, x, y, backend)
        for name, grad in compiled.items():
            print(
                f"  {backend:35s} {name:14s} max|grad| {grad.abs().max().item():.3e}  (eager "
                f"{eager[name].abs().max().item():.3e})  max diff {(grad - eager[name]).abs().max().item():.3e}"
            )
        worst = max(((g - eager[k]).abs().max() / eager[k].abs().max()).item() for k, g in compiled.items())
        print(
            f"  {backend}: worst max|grad - eager| / max|eager| over parameters {worst:.2e} "
            f"({'matches eager' if worst <= 1e-5 else 'DIFFERS from eager'} at 1e-5)"
        )
        zero_conv[backend] = [
            name
            for name in ("conv1.weight", "conv2.weight")
            if compiled[name].abs().max().item() == 0 and eager[name].abs().max().item() > 0
        ]
    for backend, names in zero_conv.items():
        print(
            f"{backend}: "
            + (
                f"ZERO convolution gradients ({', '.join(names)}) where eager's are not"
                if names
                else "convolution gradients non-zero"
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
