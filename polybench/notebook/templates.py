"""Writes notebooks/<model>.ipynb: one notebook per model, parameterised for papermill.

Every notebook tells the same story in the same order (task, parameters, data, the
chosen framework's source, training, learning curves, test evaluation, record); only
the data look and the task's own picture differ per model. The committed notebooks are
this module's output: `python -m polybench.notebook.templates` rewrites them and a test checks
that they are current.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from polybench import PROJECT_ROOT
from polybench.specs import SPECS, get_spec

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"

PARAMETERS = '''\
# Parameters (papermill overrides these; see `polybench run --help`).
framework = "torch"     # torch | tensorflow | mxnet | chainer | jax
mode = "eager"          # execution mode
profile = "full"        # quick (small slice, one epoch) | full (the spec's reference run)
seed = 0                # initial weights and shuffle order
device = "auto"         # auto | cpu | gpu
threads = None          # None: every core this process may use
epochs = None           # None: the profile's
batch_size = None       # None: the profile's
data_dir = None         # None: the project's data/ folder
record_path = None      # path of the record JSON to write (None: write none)
progress_path = None    # path of the per-epoch progress log (None: none)
command = None          # the command line that started the run (recorded)'''

SETUP = '''\
import numpy as np

from polybench.notebook import pictures
from polybench.notebook.experiment import Experiment
from polybench.notebook.settings import RunSettings

exp = Experiment(RunSettings("{model}", framework, mode=mode, profile=profile, seed=seed, device=device,
                             threads=threads, epochs=epochs, batch_size=batch_size, data_dir=data_dir,
                             record_path=record_path, progress_path=progress_path, command=command))
p = exp.profile
print(f"{{exp.key.framework}} ({{exp.key.mode}} mode) on {{exp.device}} with {{exp.threads}} threads, profile {{p.name}}: "
      f"{{p.epochs}} epochs, batch {{p.batch_size}}, {{p.optimizer}}")
print({{name: len(split) for name, split in exp.splits.items()}})'''

MNIST_DATA = '''\
train = exp.splits["train"]
pictures.digit_grid(train);
pictures.class_counts(train.y, exp.spec.output_shape[-1]);'''

MNIST_TASK = '''\
predicted = exp.spec.predictions(result.test_outputs)
test = exp.splits["test"]
pictures.confusion_matrix(test.y, predicted, exp.spec.output_shape[-1]);
pictures.digit_grid(test, predictions=predicted);'''

TABLE_DATA = 'pictures.sample_table(exp.splits["train"], exp.spec)'
TABLE_TASK = 'pictures.sample_table(exp.splits["test"], exp.spec, result.test_outputs)'

SHAPES_TASK = '''\
pictures.generated_shapes(exp.implementation.forward, exp.splits["test"]);
test = exp.splits["test"]
errors = [pictures.corner_angle_error(np.vstack([[0.0, 0.0], pictures.generate_shape(exp.implementation.forward,
                                                                               test.y[3 * i], corners=3)]))
          for i in range(100)]
print(f"rectangularity: mean |corner angle − 90°| over 100 test rectangles completed from their first edge: "
      f"{np.mean(errors):.1f}°")'''

#: Per model: (data cell, task picture cell, task picture heading).
MODEL_CELLS = {
    "mnist_fcn": (MNIST_DATA, MNIST_TASK, "Confusion matrix and sample predictions (red: wrong)"),
    "mnist_cnn": (MNIST_DATA, MNIST_TASK, "Confusion matrix and sample predictions (red: wrong)"),
    "echo": (TABLE_DATA, TABLE_TASK, "Test sequences: the digit at index 2 against the prediction"),
    "damped_sine": ('pictures.sine_continuations(exp.splits["train"]);',
                    'pictures.sine_continuations(exp.splits["test"], result.test_outputs);',
                    "Predicted against true continuation"),
    "moving_square": ('pictures.filmstrip(exp.splits["train"]);',
                      'pictures.filmstrip(exp.splits["test"], result.test_outputs, n=4);',
                      "Test videos with the predicted direction"),
    "addition": (TABLE_DATA, TABLE_TASK, "Test problems: predicted against true sums"),
    "cumsum": ('pictures.cumsum_switches(exp.splits["train"]);',
               'pictures.cumsum_switches(exp.splits["test"], result.test_outputs);\n'
               'print(result.test_extra_metrics)',
               "Where the running sum passes 2.5: truth and predicted probability"),
    "shape_gen": ('pictures.rectangles(exp.splits["train"]);', SHAPES_TASK,
                  "Generated shapes: each predicted corner fed back in"),
}


def build(model: str) -> nbformat.NotebookNode:
    """The notebook for ``model``."""
    spec = get_spec(model)
    data_cell, task_cell, task_heading = MODEL_CELLS[model]
    parameters = new_code_cell(PARAMETERS)
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        new_markdown_cell(f"# {spec.title}\n\n{spec.description}\n\n"
                          f"Target ({spec.metric.name}, full profile): "
                          f"{'≥' if spec.metric.higher_is_better else '≤'} {spec.metric.target}. "
                          "Every framework starts from the same canonical weights, reads the same CSV "
                          "data and is trained by the same loop (same shuffle, same batches); "
                          "`polybench run` executes this notebook once per framework in that "
                          "framework's own kernel."),
        parameters,
        new_code_cell(SETUP.format(model=model)),
        new_markdown_cell("## The data"),
        new_code_cell(data_cell),
        new_markdown_cell("## The implementation\n\nThe chosen framework's module for this model, "
                          "built from the spec's canonical weights:"),
        new_code_cell('pictures.show_source(exp.implementation_source(), '
                      'f"polybench/frameworks/{exp.key.framework}/{exp.key.model}.py")'),
        new_markdown_cell("## Training\n\nOne line per epoch; epoch time covers the training "
                          "steps only (validation is outside the clock)."),
        new_code_cell("result = exp.train()"),
        new_markdown_cell("## Learning curves"),
        new_code_cell("pictures.learning_curves(result.epochs, exp.spec);"),
        new_markdown_cell("## Test evaluation"),
        new_code_cell(f'met = exp.spec.metric.met(result.test_metric)\n'
                      f'print(f"test {{exp.spec.metric.name}} {{result.test_metric:.4f}} '
                      f'(target {{exp.spec.metric.target}}: {{\'met\' if met else \'not met\'}}), '
                      f'test loss {{result.test_loss:.4f}}")'),
        new_markdown_cell(f"### {task_heading}"),
        new_code_cell(task_cell),
        new_markdown_cell("## Record\n\nWhat the runner collects from this run into the report."),
        new_code_cell('record = exp.save_record()\n'
                      'print(f"first epoch {record[\'first_epoch_seconds\']:.2f} s, steady-state epoch "\n'
                      '      f"{record[\'steady_epoch_seconds\'] or float(\'nan\'):.2f} s, "\n'
                      '      f"{record[\'samples_per_second\']:.0f} samples/s, "\n'
                      '      f"peak RSS {record[\'peak_rss_bytes\'] / 2**20:.0f} MiB, "\n'
                      '      f"{record[\'implementation_loc\']} lines of code")'),
    ]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "polybench-torch", "display_name": "polybench (torch)",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def render(model: str) -> str:
    """The notebook for ``model`` as the text written to disk."""
    notebook = build(model)
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{model}-{index}"  # stable ids keep the committed files reproducible
    return nbformat.writes(notebook) + "\n"


def notebook_path(model: str) -> Path:
    """Where the committed notebook for ``model`` lives."""
    return NOTEBOOK_DIR / f"{model}.ipynb"


def main() -> int:
    """Rewrite every model's notebook."""
    for model in SPECS:
        notebook_path(model).write_text(render(model))
        print(notebook_path(model).relative_to(PROJECT_ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
