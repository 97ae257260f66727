"""``vidgov audit`` and ``vidgov demo`` as people read them."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from .conftest import Invoke


def test_audit_prints_scorecards_and_writes_a_workbook(vidgov: Invoke, tmp_path: Path) -> None:
    vidgov("catalog", "synth", "--cameras", "600", "--out", "g.csv")
    vidgov("catalog", "import", "g.csv")
    result = vidgov("audit", "--by", "city", "--by", "maintenance_unit", "--xlsx", "audit.xlsx")
    assert result.exit_code == 0, result.stderr
    assert "市级评分" in result.stdout
    assert "维护单位评分" in result.stdout
    assert "南宁市" in result.stdout
    workbook = openpyxl.load_workbook(tmp_path / "audit.xlsx", read_only=True)
    assert workbook.sheetnames == ["问题清单", "市级评分", "县级评分", "部门评分", "维护单位评分"]
    header = next(workbook["问题清单"].iter_rows(max_row=1, values_only=True))
    assert header[:3] == ("设备编码", "问题代码", "问题说明")


def test_audit_json_shape(vidgov: Invoke) -> None:
    vidgov("catalog", "synth", "--cameras", "300", "--out", "g.csv")
    vidgov("catalog", "import", "g.csv")
    document = json.loads(vidgov("audit", "--json").stdout)
    assert set(document) == {"summary", "findings", "scorecards"}
    assert set(document["scorecards"]) == {"city", "county", "department", "maintenance_unit"}
    finding = document["findings"][0]
    assert {"device_id", "code", "detail", "suggestion"} <= set(finding)


def test_demo_without_a_fleet_prints_the_scorecards(vidgov: Invoke) -> None:
    # The whole main job (fleet, sweep, cockpit) runs in tests/e2e/test_main_job.py.
    result = vidgov("demo", "--cameras", "800", "--mounts", "0")
    assert result.exit_code == 0, result.stderr
    assert "市级评分" in result.stdout
    assert "南宁市" in result.stdout
