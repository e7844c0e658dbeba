"""pytest fixtures shared by the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import FIXTURES


@pytest.fixture
def fixtures() -> Path:
    """The reference files written by TensorFlow, pyarrow and Pillow."""
    if not FIXTURES.exists():
        pytest.skip("the shared fixtures are not beside this checkout")
    return FIXTURES


@pytest.fixture
def python_maps():
    """Runs map functions as Python for one test (they would otherwise be traced when they
    can be, which calls them once with symbolic tensors)."""
    import ferroflow as ff

    before = ff.data.experimental.map_tracing()
    ff.data.experimental.set_map_tracing("python")
    yield
    ff.data.experimental.set_map_tracing(before)
