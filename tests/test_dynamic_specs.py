"""The padded form of the dynamic specs' variable-length samples."""

from __future__ import annotations

import numpy as np
import pytest

from polybench.specs.addition import ALPHABET
from polybench.specs.base import Split, step_lengths
from polybench.specs.dynamic import one_hot_padded


def test_split_lengths_follow_their_rows_and_must_match_the_padding():
    x, lengths = one_hot_padded(["12", "1+2+3", "4"], ALPHABET, 6)
    split = Split(x, np.arange(3), lengths=lengths)
    assert split.lengths.tolist() == [2, 5, 1] and split.head(2).lengths.tolist() == [2, 5]
    with pytest.raises(ValueError, match="lengths differ"):
        Split(x, np.arange(3), lengths=np.array([2, 5, 2]))
    gap = x.copy()
    gap[1, 1] = 0
    with pytest.raises(ValueError, match="sample 1 is not a sequence followed by zero padding"):
        step_lengths(gap)
    with pytest.raises(ValueError, match="has 7 characters; a sample has 1 to 6"):
        one_hot_padded(["1+2+3+4"], ALPHABET, 6)
    with pytest.raises(ValueError, match="'x' is not in the alphabet"):
        one_hot_padded(["1x2"], ALPHABET, 6)
