# %% [raw]
# The story every notebooks/<model>.ipynb tells, in jupytext's percent format. `python -m
# polybench.notebook.templates` fills in the <<placeholders>> from each model's spec and task pictures and
# rewrites the notebooks; edit this file, not the notebooks. Raw cells, like this one, are notes left out of the
# notebooks.

# %% [markdown]
# # <<title>>
#
# <<description>>
#
# Target (<<metric>>, full profile): <<target>>. Every framework starts from the same canonical weights, reads the
# same CSV data and is trained by the same loop (same shuffle, same batches); `polybench run` executes this notebook
# once per framework in that framework's own kernel.

# %% tags=["parameters"]
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
command = None          # the command line that started the run (recorded)
compiler_option = None  # a named compiler option of the mode (None: its default compilation)

# %%
from polybench.notebook import pictures
from polybench.notebook.experiment import Experiment
from polybench.notebook.settings import RunSettings

exp = Experiment(RunSettings("<<model>>", framework, mode=mode, profile=profile, seed=seed, device=device,
                             threads=threads, epochs=epochs, batch_size=batch_size, data_dir=data_dir,
                             record_path=record_path, progress_path=progress_path, command=command,
                             compiler_option=compiler_option))
task = pictures.for_model(exp.key.model)
p = exp.profile
print(f"{exp.key.framework} ({exp.key.mode} mode) on {exp.device} with {exp.threads} threads, profile {p.name}: "
      f"{p.epochs} epochs, batch {p.batch_size}, {p.optimizer}")
print({name: len(split) for name, split in exp.splits.items()})

# %% [markdown]
# ## The data

# %%
task.data(exp.splits["train"], exp.spec)

# %% [markdown]
# ## The implementation
#
# The chosen framework's module for this model, built from the spec's canonical weights:

# %%
pictures.show_source(exp.implementation_source(), exp.implementation_path())

# %% [markdown]
# The loop that trains it: polybench's shared epoch/batch loop (`polybench/loop.py`) calling the
# framework's training step, or in mode `idiomatic` the framework's own documented loop, shown here.

# %%
loop_path = exp.loop_module().replace(".", "/") + ".py"
if exp.idiomatic:
    pictures.show_source(exp.loop_source(), f"{loop_path} (the framework's own loop)")
else:
    print(f"shared loop: polybench/loop.py, training step in {loop_path}")

# %% [markdown]
# ## Training
#
# One line per epoch; epoch time covers the training steps only (validation is outside the clock).

# %%
result = exp.train()

# %% [markdown]
# ## Learning curves

# %%
pictures.learning_curves(result.epochs, exp.spec)

# %% [markdown]
# ## Test evaluation

# %%
met = exp.spec.metric.met(result.test_metric)
print(f"test {exp.spec.metric.name} {result.test_metric:.4f} (target {exp.spec.metric.target}: "
      f"{'met' if met else 'not met'}), test loss {result.test_loss:.4f}")
for name, value in result.test_extra_metrics.items():
    print(f"test {name} {value:.4f}")

# %% [markdown]
# ### <<heading>>

# %%
task.results(exp.splits["test"], exp.spec, result.test_outputs, exp.implementation.forward)

# %% [markdown]
# ## Record
#
# What the runner collects from this run into the report.

# %%
record = exp.save_record()
print(f"first epoch {record['first_epoch_seconds']:.2f} s, steady-state epoch "
      f"{record['steady_epoch_seconds'] or float('nan'):.2f} s, "
      f"{record['samples_per_second']:.0f} samples/s, "
      f"peak RSS {record['peak_rss_bytes'] / 2**20:.0f} MiB, "
      f"{record['implementation_loc']} lines of code")
dynamic = record["environment"]["implementation"].get("dynamic")
if dynamic:  # a model whose shapes change: what its strategy compiled and padded
    print(f"strategy {dynamic['strategy']}: {dynamic['compilations']} compiled shapes "
          f"({dynamic['train_shapes']} in training, {dynamic['eval_shapes']} in evaluation) in "
          f"{dynamic['compile_seconds']:.1f} s, {100 * dynamic['padded_share']:.0f}% of the positions computed "
          "in training were padding")
