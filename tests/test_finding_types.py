"""A finding type is added in one obvious way: every type of ``model.FINDING_TYPES`` has a
detector in the registry, an evidence rule derived from its ``FINDING_KEYS``, a
``queries/detect_<type>.cypher`` file, a branch in the synth oracle, a planted synth story, and
is named by the README's rules. A type missing from any of them fails here, by name.

Server-free and generic: nothing below lists the types, so types added later are held to the
same places as soon as they enter ``FINDING_TYPES``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import flowgraph.synth.oracle as oracle
from flowgraph.analysis.detectors import DETECTORS
from flowgraph.model import FINDING_KEYS, FINDING_TYPES
from flowgraph.reports import evidence as evidence_module
from flowgraph.reports.evidence import evidence_rule

ROOT = Path(__file__).resolve().parents[1]
TYPES = list(FINDING_TYPES)


def _constants(paths) -> set[str]:
    """Every string constant in the given Python files."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(Path(path).read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def _finding_records(paths) -> set[str]:
    """First arguments of the oracle's finding records: ``_f("TYPE", ...)`` calls."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(Path(path).read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "_f"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


@pytest.fixture(scope="module")
def planted_types() -> set[str]:
    from flowgraph.synth import build

    return {d["type"] for d in build(seed=5, scale=0.05).intended}


@pytest.fixture(scope="module")
def readme_rules() -> str:
    """The README's Findings section: the one text of the detector rules."""
    text = (ROOT / "README.md").read_text("utf-8")
    start = text.index("\n## Findings\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_the_registries_of_types_agree():
    assert list(FINDING_KEYS) == TYPES
    assert sorted(d.type for d in DETECTORS) == sorted(TYPES)  # one detector each


@pytest.mark.parametrize("finding_type", TYPES)
def test_type_has_a_detector(finding_type):
    (detector,) = [d for d in DETECTORS if d.type == finding_type]
    assert detector.family == FINDING_TYPES[finding_type]
    assert callable(detector.func)


@pytest.mark.parametrize("finding_type", TYPES)
def test_type_has_an_evidence_rule_from_its_key(finding_type):
    rule = evidence_rule(finding_type)
    assert rule is not None, f"{FINDING_KEYS[finding_type]}: no event column or rule for a key"
    assert rule.type == finding_type


def test_evidence_names_no_type_by_hand():
    # the rules come from FINDING_KEYS: evidence.py never spells a finding type
    assert _constants([evidence_module.__file__]) & set(TYPES) == set()


@pytest.mark.parametrize("finding_type", TYPES)
def test_type_has_a_cypher_detector(finding_type):
    path = ROOT / "queries" / f"detect_{finding_type.lower()}.cypher"
    assert path.exists(), f"no {path.relative_to(ROOT)}"
    assert re.search(rf"'{finding_type}'\s+AS\s+type", path.read_text("utf-8")), path.name


@pytest.mark.parametrize("finding_type", TYPES)
def test_type_has_an_oracle_branch(finding_type):
    files = sorted(Path(oracle.__file__).parent.rglob("*.py"))
    assert finding_type in _finding_records(files), "no _f(...) record of it in the oracle"


@pytest.mark.parametrize("finding_type", TYPES)
def test_type_has_a_planted_synth_story(finding_type, planted_types):
    assert finding_type in planted_types


@pytest.mark.parametrize("finding_type", TYPES)
def test_type_is_named_by_the_readme_rules(finding_type, readme_rules):
    assert re.search(rf"\b{finding_type}\b", readme_rules)


def test_rules_md_is_a_link_to_the_readme_not_a_copy():
    text = (ROOT / "flowgraph" / "analysis" / "RULES.md").read_text("utf-8")
    assert "README.md#findings" in text
    assert not [t for t in TYPES if t in text]  # no rule of any type restated there


def test_the_checks_can_fail(tmp_path):
    source = tmp_path / "m.py"
    source.write_text('_f("NOT_A_TYPE", reo_kg=1)\nx = "TRANSFORM_GAIN"\n')
    assert _finding_records([source]) == {"NOT_A_TYPE"}
    assert "TRANSFORM_GAIN" in _constants([source])
