"""What every notebook shows the same way (source code, learning curves) and the contract
each task's own pictures follow."""

from __future__ import annotations

import abc
from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from polybench.specs.base import Spec, Split

#: A model's forward pass on host arrays: a batch of inputs -> a batch of outputs.
Forward = Callable[[np.ndarray], np.ndarray]
#: What a task picture shows: a figure, a table, or a line of text.
Shown = plt.Figure | pd.DataFrame | str


def show(items: list[Shown]) -> None:
    """Display figures and tables in the notebook (each figure once, then closed) and print text."""
    from IPython.display import display

    for item in items:
        if isinstance(item, str):
            print(item)
            continue
        display(item)
        if isinstance(item, plt.Figure):
            plt.close(item)


def show_source(source: str, title: str) -> None:
    """Display Python source as a highlighted Markdown block in the notebook."""
    from IPython.display import Markdown, display

    display(Markdown(f"**{title}**\n\n```python\n{source.rstrip()}\n```"))


def learning_curves(epochs: list, spec: Spec) -> None:
    """Show training and validation loss, and the validation metric (with the target), per epoch."""
    x = [row.epoch for row in epochs]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(x, [row.train_loss for row in epochs], marker="o", label="train")
    left.plot(x, [row.val_loss for row in epochs], marker="o", label="validation")
    left.set_xlabel("epoch")
    left.set_ylabel(f"loss ({spec.loss})")
    left.legend()
    right.plot(x, [row.val_metric for row in epochs], marker="o", color="C2")
    right.axhline(spec.metric.target, color="grey", linestyle="--", label=f"target {spec.metric.target}")
    right.set_xlabel("epoch")
    right.set_ylabel(f"validation {spec.metric.name}")
    right.legend()
    for ax in (left, right):
        ax.set_xticks(x)
    fig.tight_layout()
    show([fig])


class TaskPictures(abc.ABC):
    """One task family's own pictures: a look at its data, and its test predictions drawn
    the way the task is read (a confusion matrix, continuations, a film strip, ...)."""

    #: The heading over the test-set picture in the notebook.
    heading: str

    @abc.abstractmethod
    def data_pictures(self, train: Split, spec: Spec) -> list[Shown]:
        """Figures or tables that show what the training data look like."""

    @abc.abstractmethod
    def result_pictures(self, test: Split, spec: Spec, outputs: np.ndarray, forward: Forward) -> list[Shown]:
        """Figures, tables or lines that show the model's test outputs against the truth;
        ``forward`` runs the trained model on further inputs (for generative tasks)."""

    def data(self, train: Split, spec: Spec) -> None:
        """Show the data pictures in the notebook."""
        show(self.data_pictures(train, spec))

    def results(self, test: Split, spec: Spec, outputs: np.ndarray, forward: Forward) -> None:
        """Show the test-set pictures in the notebook."""
        show(self.result_pictures(test, spec, outputs, forward))


def predicted_table(columns: dict[str, list], predicted: list | None) -> pd.DataFrame:
    """A table of samples: the given columns (input first, truth second), then the prediction
    and whether it equals the truth when predictions are given."""
    table = pd.DataFrame(columns)
    if predicted is not None:
        table["predicted"] = predicted
        table["correct"] = table.iloc[:, 1] == table["predicted"]
    return table
