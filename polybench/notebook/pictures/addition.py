"""Addition's picture: test problems decoded to text, with the true and the predicted sums."""

from __future__ import annotations

import numpy as np

from polybench.notebook.pictures.common import TaskPictures, predicted_table
from polybench.specs.addition import decode
from polybench.specs.base import Split


def problem_table(split: Split, predicted: np.ndarray | None = None, n: int = 10):
    """The first ``n`` problems and answers as text (and the predicted answers)."""
    columns = {"problem": decode(split.inputs(np.arange(n)).argmax(-1)), "answer": decode(split.y[:n])}
    return predicted_table(columns, None if predicted is None else decode(predicted[:n]))


class AdditionPictures(TaskPictures):
    heading = "Test problems: predicted against true sums"

    def data_pictures(self, train, spec):
        return [problem_table(train)]

    def result_pictures(self, test, spec, outputs, forward):
        return [problem_table(test, spec.predictions(outputs))]
