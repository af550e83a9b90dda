"""The notebook layer: what a run's notebook drives inside its framework's kernel
(the Experiment, its measurements and record, the task pictures) and the templates
the notebooks are generated from."""
