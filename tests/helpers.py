"""Helpers shared by the tests: plain-value comparison and the fixtures' location."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def as_lists(values: Any) -> Any:
    """Turns numpy values in a (nested) element into plain Python values for comparison."""
    if isinstance(values, dict):
        return {k: as_lists(v) for k, v in values.items()}
    if hasattr(values, "_fields"):
        return type(values)(*(as_lists(v) for v in values))
    if isinstance(values, (tuple, list)):
        return type(values)(as_lists(v) for v in values)
    if isinstance(values, (np.ndarray, np.generic)):
        return values.tolist()
    return values


def collect(ds: Any) -> list[Any]:
    """Every element of ``ds`` as plain Python values."""
    return [as_lists(e) for e in ds]
