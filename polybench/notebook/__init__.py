"""The notebook layer: what a run's notebook drives inside its framework's kernel
(the Experiment, its measurements, progress log and record, the task pictures) and the
generator that writes the notebooks from notebooks/template.py."""
