"""Fixtures for the catalogue's pure cores; makes `benchmarks` importable for the generator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.gen_labelled import Labelled, generate  # noqa: E402


@pytest.fixture(scope="session")
def labelled_small() -> list[Labelled]:
    """A generated two-system set (about 1,400 records) shared by the clustering tests."""
    return generate(300, seed=101)
