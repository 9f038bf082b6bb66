"""Shared synthetic data sets (generated once per test session, small scale)."""

from __future__ import annotations

import pytest

from flowgraph.synth import generate


@pytest.fixture(scope="session")
def planted(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth_planted")
    return generate(out, seed=5, scale=0.2)


@pytest.fixture(scope="session")
def clean(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth_clean")
    return generate(out, seed=5, scale=0.2, clean=True)
