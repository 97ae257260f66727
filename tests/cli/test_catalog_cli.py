"""The catalog commands end to end, as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from .conftest import Invoke


def _findings(audit_json: str) -> set[tuple[str, str]]:
    return {(f["device_id"], f["code"]) for f in json.loads(audit_json)["findings"]}


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_synth_import_audit_finds_every_injected_defect_and_nothing_else(
        vidgov: Invoke, tmp_path: Path, encoding: str) -> None:
    made = vidgov("catalog", "synth", "--cameras", "3000", "--seed", "7", "--out", "g.csv",
                  "--truth", "t.csv", "--encoding", encoding)
    assert made.exit_code == 0, made.stderr
    imported = vidgov("catalog", "import", "g.csv", "--json")
    assert json.loads(imported.stdout) == {"read": 3000, "inserted": 3000, "updated": 0,
                                           "unchanged": 0, "rejected": 0}
    audited = vidgov("audit", "--json", "--today", "2026-11-25")
    assert audited.exit_code == 0, audited.stderr
    truth = set(pl.read_csv(tmp_path / "t.csv", infer_schema=False).select(
        "device_id", "code").iter_rows())
    found = _findings(audited.stdout)
    assert truth, "the estate must carry defects"
    assert found - truth == set(), "false findings"
    assert truth - found == set(), "missed defects"


def test_synth_is_deterministic_for_a_seed(vidgov: Invoke, tmp_path: Path) -> None:
    vidgov("catalog", "synth", "--cameras", "500", "--seed", "3", "--out", "a.csv")
    vidgov("catalog", "synth", "--cameras", "500", "--seed", "3", "--out", "b.csv")
    vidgov("catalog", "synth", "--cameras", "500", "--seed", "4", "--out", "c.csv")
    a, b, c = ((tmp_path / n).read_bytes() for n in ("a.csv", "b.csv", "c.csv"))
    assert a == b
    assert a != c


def test_reimport_and_rejects_file(vidgov: Invoke, tmp_path: Path) -> None:
    vidgov("catalog", "synth", "--cameras", "200", "--seed", "1", "--out", "g.csv",
           "--headers", "en", "--encoding", "utf-8")
    vidgov("catalog", "import", "g.csv")
    lines = (tmp_path / "g.csv").read_text(encoding="utf-8").splitlines()
    lines.append(lines[1])  # the same camera again
    lines.append("," + lines[2].split(",", 1)[1])  # no device ID
    (tmp_path / "h.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = vidgov("catalog", "import", "h.csv", "--json", "--rejects", "bad.csv")
    assert json.loads(result.stdout) == {"read": 202, "inserted": 0, "updated": 0,
                                         "unchanged": 200, "rejected": 2}
    rejects = list(csv.DictReader(io.StringIO(
        (tmp_path / "bad.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["line"], r["reason"]) for r in rejects] == [
        ("202", "duplicate_device_id"), ("203", "missing_device_id")]


def test_rejects_go_to_a_default_file_when_not_named(vidgov: Invoke, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("设备编码,设备名称\n,无编码\n", encoding="utf-8")
    result = vidgov("catalog", "import", "c.csv")
    assert result.exit_code == 0
    assert "c.rejects.csv" in result.stderr
    assert "missing_device_id" in (tmp_path / "c.rejects.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"a,b\n1,2\n", "no recognisable catalog header"),
     (b"\x00\x01\x02binary", "NUL")],
)
def test_a_bad_file_is_one_line_exit_2_and_changes_nothing(
        vidgov: Invoke, tmp_path: Path, content: bytes, message: str) -> None:
    vidgov("catalog", "synth", "--cameras", "50", "--out", "g.csv")
    vidgov("catalog", "import", "g.csv")
    (tmp_path / "bad.csv").write_bytes(content)
    result = vidgov("catalog", "import", "g.csv", "bad.csv", "--json")
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    audited = json.loads(vidgov("audit", "--json").stdout)
    assert audited["summary"]["cameras"] == 50


def test_missing_file_is_a_clear_error(vidgov: Invoke) -> None:
    result = vidgov("catalog", "import", "nope.csv")
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr


def test_export_csv_opens_in_excel_and_reimports_unchanged(vidgov: Invoke,
                                                           tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "设备编码,设备名称,行政区划,经度,纬度\n"
        "45010300001320000001,=cmd|' /C calc'!A0,450103,108.37,22.82\n"
        "45010300001320000002,@SUM(1+1),450103,108.38,22.82\n", encoding="utf-8")
    vidgov("catalog", "import", "c.csv")
    assert vidgov("catalog", "export", "--format", "csv", "--out", "out.csv").exit_code == 0
    data = (tmp_path / "out.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to show Chinese
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["设备编码"] == "\t45010300001320000001"
    assert rows[0]["设备名称"] == "'=cmd|' /C calc'!A0"
    assert rows[1]["设备名称"] == "'@SUM(1+1)"
    again = json.loads(vidgov("catalog", "import", "out.csv", "--json").stdout)
    assert again["rejected"] == 0


def test_export_xlsx_cells_are_text_never_formulas(vidgov: Invoke, tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "设备编码,设备名称\n45010300001320000001,=HYPERLINK(\"http://x\")\n", encoding="utf-8")
    vidgov("catalog", "import", "c.csv")
    vidgov("catalog", "export", "--format", "xlsx", "--out", "out.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert sheet is not None
    assert sheet["A2"].value == "45010300001320000001"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value == '=HYPERLINK("http://x")'


def test_export_geojson_keeps_cameras_without_coordinates(vidgov: Invoke,
                                                          tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "设备编码,设备名称,经度,纬度\n45010300001320000001,甲,108.37,22.82\n"
        "45010300001320000002,乙,,\n", encoding="utf-8")
    vidgov("catalog", "import", "c.csv")
    vidgov("catalog", "export", "--format", "geojson", "--out", "c.geojson")
    document = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))
    geometries = [f["geometry"] for f in document["features"]]
    assert geometries == [{"type": "Point", "coordinates": [108.37, 22.82]}, None]


def test_export_scope(vidgov: Invoke, tmp_path: Path) -> None:
    vidgov("catalog", "synth", "--cameras", "400", "--out", "g.csv")
    vidgov("catalog", "import", "g.csv")
    vidgov("catalog", "export", "--format", "csv", "--out", "nn.csv", "--where", "city=南宁市")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "nn.csv").read_text("utf-8-sig"))))
    assert rows
    assert all(r["行政区划"].strip().startswith("4501") for r in rows)


def test_bad_where_is_a_clear_error(vidgov: Invoke) -> None:
    result = vidgov("audit", "--where", "town=x")
    assert result.exit_code == 2
    assert "KEY=VALUE" in result.stderr


def test_import_loads_only_what_it_needs(vidgov: Invoke, tmp_path: Path,
                                         database_url: str) -> None:
    """What users wait for: ``catalog import`` into a migrated store loads neither alembic nor
    the export, audit and simulation services (numpy, geometry), nor the settings."""
    vidgov("catalog", "synth", "--cameras", "20", "--out", "g.csv", "--encoding", "gbk")
    assert vidgov("catalog", "import", "g.csv").exit_code == 0  # creates and migrates
    heavy = ("alembic", "vidgov.services.catalog", "vidgov.services.estate",
             "vidgov.catalog.audit", "vidgov.settings", "sqlalchemy.orm")
    script = (
        "import sys\nfrom vidgov.cli.main import run\n"
        "sys.argv = ['vidgov', 'catalog', 'import', '--json', 'g.csv']\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
        check=True, env={**os.environ, "VIDGOV_DATABASE_URL": database_url})
    assert json.loads(result.stdout)["unchanged"] == 20
    assert result.stderr.strip().splitlines()[-1] == "[]"
