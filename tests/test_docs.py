"""Documentation that cannot drift: every command, header synonym and finding code is documented."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from vidgov.catalog.fields import FIELDS
from vidgov.catalog.findings import FindingCode

ROOT = Path(__file__).resolve().parent.parent
CATALOG_DOC = (ROOT / "docs" / "catalog.md").read_text(encoding="utf-8")


def test_cli_reference_is_current() -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_cli_docs.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == module.render(), (
        "docs/cli.md is stale: run scripts/gen_cli_docs.py")


@pytest.mark.parametrize("code", list(FindingCode))
def test_every_finding_code_is_documented(code: FindingCode) -> None:
    assert f"`{code.value}`" in CATALOG_DOC


@pytest.mark.parametrize("field", FIELDS, ids=lambda f: f.name)
def test_every_field_and_synonym_is_documented(field: object) -> None:
    row = next(line for line in CATALOG_DOC.splitlines() if line.startswith(
        f"| `{field.name}` |"))  # type: ignore[attr-defined]
    for synonym in field.synonyms:  # type: ignore[attr-defined]
        assert synonym in row


QUALITY_DOC = (ROOT / "docs" / "quality.md").read_text(encoding="utf-8")


def test_every_quality_code_and_threshold_is_documented() -> None:
    from vidgov.quality import QualityFault, QualityThresholds

    missing = [c.value for c in QualityFault if f"`{c.value}`" not in QUALITY_DOC]
    missing += [n for n in QualityThresholds.model_fields if f"`{n}`" not in QUALITY_DOC]
    assert missing == []
