"""Echo's picture: test sequences as digits, with the label and the prediction."""

from __future__ import annotations

import numpy as np

from polybench.notebook.pictures.common import TaskPictures, predicted_table
from polybench.specs.base import Split


def sequence_table(split: Split, predicted: np.ndarray | None = None, n: int = 10):
    """The first ``n`` one-hot sequences as digits, their labels (and the predictions)."""
    digits = split.inputs(np.arange(n)).argmax(-1)
    columns = {"sequence": [" ".join(map(str, row)) for row in digits.tolist()], "label": split.y[:n].tolist()}
    return predicted_table(columns, None if predicted is None else predicted[:n].tolist())


class EchoPictures(TaskPictures):
    heading = "Test sequences: the digit at index 2 against the prediction"

    def data_pictures(self, train, spec):
        return [sequence_table(train)]

    def result_pictures(self, test, spec, outputs, forward):
        return [sequence_table(test, spec.predictions(outputs))]
