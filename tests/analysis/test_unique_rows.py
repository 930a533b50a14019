"""``disclosure.unique_rows`` is ``np.unique(rows, axis=0, return_inverse=True)``, faster: the
same classes in the same order and the same index for each row, so the span check hides the
same cells."""

import numpy as np
import pytest

from surveyapp.analysis.disclosure import unique_rows


@pytest.mark.parametrize(
    "shape", [(1, 1), (5, 1), (1, 9), (40, 7), (40, 8), (300, 13), (808, 242), (60, 1000)]
)
@pytest.mark.parametrize("density", [0.05, 0.5, 0.95])
def test_unique_rows_is_numpys_unique_along_rows(shape, density):
    rng = np.random.default_rng(shape[0] * 1000 + shape[1])
    # few distinct patterns repeated, as atoms alike in every shown cell are
    patterns = rng.random((max(1, shape[0] // 4), shape[1])) < density
    rows = patterns[rng.integers(0, len(patterns), size=shape[0])]
    classes, inverse = unique_rows(rows)
    expected_classes, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert classes.dtype == expected_classes.dtype == np.bool_
    assert np.array_equal(classes, expected_classes)
    assert np.array_equal(inverse, expected_inverse.ravel())
    assert np.array_equal(classes[inverse], rows)


def test_rows_differing_only_in_the_last_column_of_a_byte_or_past_it_stay_apart():
    rows = np.zeros((4, 10), dtype=bool)
    rows[1, 7] = True  # last bit of the first byte
    rows[2, 8] = True  # first bit of the second
    rows[3, 9] = True
    classes, inverse = unique_rows(rows[::-1])
    expected, expected_inverse = np.unique(rows[::-1], axis=0, return_inverse=True)
    assert len(classes) == 4
    assert np.array_equal(classes, expected) and np.array_equal(inverse, expected_inverse.ravel())
