"""The notebooks' pictures: what every notebook shows alike (common) and each task family's
own pictures, one module per family beside the spec module of the same name.

``for_model`` picks a model's pictures from the registry below; nothing here branches on
the model's name.
"""

from __future__ import annotations

from polybench.notebook.pictures.addition import AdditionPictures
from polybench.notebook.pictures.common import TaskPictures, learning_curves, show_source
from polybench.notebook.pictures.cumsum import CumsumPictures
from polybench.notebook.pictures.damped_sine import DampedSinePictures
from polybench.notebook.pictures.echo import EchoPictures
from polybench.notebook.pictures.mnist import MnistPictures
from polybench.notebook.pictures.moving_square import MovingSquarePictures
from polybench.notebook.pictures.shape_gen import ShapeGenPictures
from polybench.notebook.pictures.tree_eval import TreeEvalPictures
from polybench.notebook.pictures.var_addition import VarAdditionPictures

#: Model name -> its task family's pictures.
TASK_PICTURES: dict[str, TaskPictures] = {
    "mnist_fcn": MnistPictures(),
    "mnist_cnn": MnistPictures(),
    "echo": EchoPictures(),
    "damped_sine": DampedSinePictures(),
    "moving_square": MovingSquarePictures(),
    "addition": AdditionPictures(),
    "cumsum": CumsumPictures(),
    "shape_gen": ShapeGenPictures(),
    "var_addition": VarAdditionPictures(),
    "tree_eval": TreeEvalPictures(),
}


def for_model(model: str) -> TaskPictures:
    """The task pictures of ``model``; a ValueError lists the models that have some."""
    try:
        return TASK_PICTURES[model]
    except KeyError:
        raise ValueError(f"no task pictures for model {model!r} (known: {', '.join(TASK_PICTURES)})") from None


__all__ = ["TASK_PICTURES", "TaskPictures", "for_model", "learning_curves", "show_source"]
