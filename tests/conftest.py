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
