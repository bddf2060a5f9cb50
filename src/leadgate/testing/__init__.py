"""Synthetic B2B data with a known ground truth, for tests, examples and benchmarks.

>>> from leadgate.testing import generate
>>> data = generate(seed=0, accounts=100, leads=500)
>>> sorted(data.tables())
['accounts', 'events', 'intent', 'leads', 'outcomes']
"""

from .data import FILE_COLUMNS, SyntheticData, generate
from .truth import COEFFICIENTS, auc

__all__ = ["COEFFICIENTS", "FILE_COLUMNS", "SyntheticData", "auc", "generate"]
