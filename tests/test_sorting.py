"""The compiled sorting/searching loops agree with numpy's (hypothesis)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mottrack._sorting import lower_bound, stable_argsort

_ints = arrays(np.int64, st.integers(0, 300), elements=st.integers(-5, 5))  # several merge levels
_floats = arrays(np.float64, st.integers(0, 80), elements=st.floats(-1e6, 1e6))


@settings(max_examples=200, deadline=None)
@given(st.one_of(_ints, _floats))
def test_stable_argsort_equals_numpys_stable_argsort(keys):
    np.testing.assert_array_equal(stable_argsort(keys), np.argsort(keys, kind="stable"))


@settings(max_examples=200, deadline=None)
@given(_floats, st.floats(-2e6, 2e6))
def test_lower_bound_equals_searchsorted_left(a, x):
    a = np.sort(a)
    assert lower_bound(a, x) == np.searchsorted(a, x, side="left")
    for v in a[:5]:  # values present, with duplicates
        assert lower_bound(a, v) == np.searchsorted(a, v, side="left")
