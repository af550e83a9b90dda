"""PyTorch's own training loop (mode "idiomatic"): the plain loop of the PyTorch tutorials.

In-memory tensors (no DataLoader: the data already sit on the device), a fresh
``torch.randperm`` order each epoch, ``model.train()`` once per epoch, then per batch
``zero_grad`` / forward / loss / ``backward`` / ``step``. The model, its canonical weights,
the Adam optimizer and the loss are the eager Implementation's.
"""

from __future__ import annotations

import time

import torch

from polybench.frameworks.base import AfterEpoch, IdiomaticTrainer, compiler
from polybench.frameworks.torch.common import TorchImplementation


class Trainer(IdiomaticTrainer):
    """Plain PyTorch loop: torch.randperm batches, zero_grad/backward/step."""

    shuffle = "torch.randperm each epoch, from a torch.Generator seeded with the run seed"

    def __init__(self, impl: TorchImplementation, batch_size: int, seed: int) -> None:
        super().__init__(impl, batch_size, seed)
        self.generator = torch.Generator().manual_seed(seed)

    def fit(self, epochs: int, after_epoch: AfterEpoch) -> None:
        model, optimizer, loss_fn = self.impl.model, self.impl.optimizer, self.impl.loss_fn
        n = len(self.impl.data["train"].split)
        # The spec's learning-rate schedule as PyTorch writes it: a scheduler stepped per epoch.
        scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=self.impl.adam.decay)
        for epoch in range(1, epochs + 1):
            model.train()
            self.impl.sync()
            start = time.perf_counter()
            total = torch.zeros((), device=self.impl.device)
            for rows in torch.randperm(n, generator=self.generator).split(self.batch_size):
                x, y = self.impl.batch("train", rows)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.detach() * len(rows)
            train_loss = total.item() / n  # reading it back waits for the device
            self.impl.sync()
            seconds = time.perf_counter() - start
            scheduler.step()
            after_epoch(epoch, train_loss, seconds)

    def compiler(self) -> dict:
        return compiler("none")  # the tutorials' loop runs the module eagerly
