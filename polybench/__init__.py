"""polybench: one model spec, one implementation per framework, one loop, one report.

The layers, in the order data flows: specs -> data -> frameworks -> loop -> notebook ->
runner -> report -> cli (see README's layout section).
"""

from pathlib import Path

#: The checkout: data/, results/, notebooks/ and requirements/ live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
