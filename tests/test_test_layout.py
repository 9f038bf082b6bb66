"""The suite's own layout: test folders have no __init__.py, so pytest imports each test file
by its basename — two files with the same name in different folders make the whole run fail at
collection ("import file mismatch"), but only when both are collected, i.e. in CI."""

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_test_file_basename_is_unique():
    names = Counter(p.name for p in TESTS.rglob("test_*.py"))
    clashes = sorted(name for name, count in names.items() if count > 1)
    assert not clashes, f"test files sharing a basename (rename one): {clashes}"
