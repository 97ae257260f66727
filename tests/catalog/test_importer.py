"""Importing the files clerks really send: encodings, formats, headers, rejects, upserts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from vidgov.catalog.importer import import_catalog
from vidgov.catalog.models import Camera
from vidgov.catalog.store import read_cameras
from vidgov.errors import UnreadableCatalog

from .builders import csv_text, make_camera, write_csv_file


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(Camera)) or 0)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_every_encoding_reads_the_same_record(store: Engine, tmp_path: Path,
                                               encoding: str) -> None:
    path = write_csv_file(tmp_path / "c.csv", [make_camera(1)], encoding=encoding)
    report = import_catalog(store, [path])
    assert report.counts() == {"read": 1, "inserted": 1, "updated": 0, "unchanged": 0,
                               "rejected": 0}
    stored = read_cameras(store).row(0, named=True)
    assert stored["name"] == "民族大道与竹溪大道交叉口东向西1"
    assert stored["maintenance_unit"] == "中国电信股份有限公司南宁分公司"
    assert stored["install_date"] == date(2019, 5, 12)
    assert stored["point_class"] == 1


@pytest.mark.parametrize("headers", ["zh", "en", "synonyms"])
@pytest.mark.parametrize("separator", [",", "\t"])
def test_header_languages_and_separators(sqlite_engine: Engine, tmp_path: Path, headers: str,
                                         separator: str) -> None:
    path = write_csv_file(tmp_path / "c.csv", [make_camera(1), make_camera(2)],
                          headers=headers, separator=separator)
    assert import_catalog(sqlite_engine, [path]).inserted == 2
    assert read_cameras(sqlite_engine)["longitude"].to_list() == [108.366643, 108.366743]


def test_title_row_above_header_is_skipped_and_lines_still_count(
        sqlite_engine: Engine, tmp_path: Path) -> None:
    records = [make_camera(1), make_camera(2, device_id="")]
    path = write_csv_file(tmp_path / "c.csv", records, title="广西视频监控资源目录（2024年5月）")
    report = import_catalog(sqlite_engine, [path])
    assert [(r.line, r.reason) for r in report.rejects] == [(4, "missing_device_id")]


def test_xlsx_with_numbers_dates_and_a_notes_sheet(store: Engine, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "填表说明"
    notes.append(["请按国标填写"])
    sheet = workbook.create_sheet("目录")
    sheet.append(["设备编码", "设备名称", "行政区划", "经度", "纬度", "安装日期", "监控点位类型"])
    sheet.append(["45010300001320000001", "五象广场北入口", 450103, 108.366543, 22.816,
                  date(2019, 5, 12), 2])
    sheet.append([4.5010300001320003e19, "科学计数法", 450103, 108.3, 22.8, None, 1])
    path = tmp_path / "c.xlsx"
    workbook.save(path)
    report = import_catalog(store, [path])
    assert (report.inserted, report.rejected) == (2, 0)
    assert report.skipped_sheets == ["c.xlsx [填表说明] (1 non-empty rows)"]
    stored = read_cameras(store).sort("name")
    assert stored["admin_code"].to_list() == ["450103", "450103"]
    assert stored.filter(pl.col("name") == "五象广场北入口")["install_date"].item() == date(
        2019, 5, 12)
    assert stored.filter(pl.col("name") == "科学计数法")["device_id"].item() == (
        "4.501030000132E+19")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("108.366543", 108.366543),
        (" １０８.３６６５４３ ", 108.366543),
        ("108°21'59.55\"", 108 + 21 / 60 + 59.55 / 3600),
        ("108°21′59.55″", 108 + 21 / 60 + 59.55 / 3600),
        ("108度21分59.55秒", 108 + 21 / 60 + 59.55 / 3600),
        ("E108.366543", 108.366543),
        ("东经108.366543", 108.366543),
        ("108°22'", 108 + 22 / 60),
    ],
)
def test_coordinates_in_the_forms_people_type(sqlite_engine: Engine, tmp_path: Path,
                                              cell: str, expected: float) -> None:
    path = write_csv_file(tmp_path / "c.csv", [make_camera(1, longitude=cell)])
    import_catalog(sqlite_engine, [path])
    assert read_cameras(sqlite_engine)["longitude"].item() == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("empty", ["", "NULL", "null", "无", "-", "  ", "——", "Ｎ/Ａ"])
def test_empty_tokens_become_empty(sqlite_engine: Engine, tmp_path: Path, empty: str) -> None:
    path = write_csv_file(tmp_path / "c.csv", [make_camera(1, maintenance_unit=empty)])
    import_catalog(sqlite_engine, [path])
    assert read_cameras(sqlite_engine)["maintenance_unit"].item() is None


def test_full_width_and_stray_spaces_are_normalised(sqlite_engine: Engine,
                                                    tmp_path: Path) -> None:
    record = make_camera(1, name="  五象广场　北入口（东） ", admin_code="４５０１０３ ",
                         device_id=" 45010300001320000001\t")
    import_catalog(sqlite_engine, [write_csv_file(tmp_path / "c.csv", [record])])
    row = read_cameras(sqlite_engine).row(0, named=True)
    assert (row["device_id"], row["name"], row["admin_code"]) == (
        "45010300001320000001", "五象广场 北入口(东)", "450103")


@pytest.mark.parametrize(
    ("point_class", "date_cell", "secrecy", "expected"),
    [
        ("二类点", "2019年5月12日", "不涉密", (2, date(2019, 5, 12), 0)),
        ("3", "2019/5/2", "涉密", (3, date(2019, 5, 2), 1)),
        ("一", "20190512", "1", (1, date(2019, 5, 12), 1)),
        ("三类", "2019.05.12 08:00:00", "否", (3, date(2019, 5, 12), 0)),
    ],
)
def test_classes_dates_and_secrecy_in_their_written_forms(
        sqlite_engine: Engine, tmp_path: Path, point_class: str, date_cell: str,
        secrecy: str, expected: tuple[int, date, int]) -> None:
    record = make_camera(1, point_class=point_class, install_date=date_cell, secrecy=secrecy)
    import_catalog(sqlite_engine, [write_csv_file(tmp_path / "c.csv", [record])])
    row = read_cameras(sqlite_engine).row(0, named=True)
    assert (row["point_class"], row["install_date"], row["secrecy"]) == expected
    assert row["raw_values"] is None


def test_unreadable_values_are_kept_verbatim_not_dropped(sqlite_engine: Engine,
                                                         tmp_path: Path) -> None:
    record = make_camera(1, longitude="108.3.6", install_date="去年", point_class="特级")
    import_catalog(sqlite_engine, [write_csv_file(tmp_path / "c.csv", [record])])
    row = read_cameras(sqlite_engine).row(0, named=True)
    assert row["longitude"] is None
    assert row["raw_values"] == (
        '{"longitude":"108.3.6","point_class":"特级","install_date":"去年"}')


def test_unknown_columns_are_kept_in_extra(sqlite_engine: Engine, tmp_path: Path) -> None:
    text = csv_text([make_camera(1)]).splitlines()
    text[0] += ",备注"
    text[1] += ",立杆编号A-12"
    path = tmp_path / "c.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    import_catalog(sqlite_engine, [path])
    assert read_cameras(sqlite_engine)["extra"].item() == '{"备注":"立杆编号A-12"}'


def test_rejects_missing_and_duplicate_ids_and_keeps_the_first(store: Engine,
                                                                tmp_path: Path) -> None:
    records = [make_camera(1), make_camera(2, device_id=""), make_camera(1, name="后来者"),
               make_camera(3)]
    report = import_catalog(store, [write_csv_file(tmp_path / "c.csv", records)])
    assert report.counts() == {"read": 4, "inserted": 2, "updated": 0, "unchanged": 0,
                               "rejected": 2}
    assert [(r.line, r.reason) for r in report.rejects] == [
        (3, "missing_device_id"), (4, "duplicate_device_id")]
    assert "line 2" in report.rejects[1].detail
    assert report.rejects[1].cells["设备名称"] == "后来者"
    assert read_cameras(store).filter(pl.col("device_id") == "45010300001320000001")[
        "name"].item() == "民族大道与竹溪大道交叉口东向西1"


def test_duplicates_across_files_of_one_import_are_rejected(sqlite_engine: Engine,
                                                            tmp_path: Path) -> None:
    first = write_csv_file(tmp_path / "a.csv", [make_camera(1)])
    second = write_csv_file(tmp_path / "b.csv", [make_camera(1), make_camera(2)])
    report = import_catalog(sqlite_engine, [first, second])
    assert (report.inserted, [(r.file, r.line, r.reason) for r in report.rejects]) == (
        2, [("b.csv", 2, "duplicate_device_id")])


def test_malformed_ids_are_stored_as_written(store: Engine, tmp_path: Path) -> None:
    records = [make_camera(1, device_id="4.50103000013200E+19"),
               make_camera(2, device_id="4501030000132000001"),
               make_camera(3, device_id="45010300O01320000003")]
    report = import_catalog(store, [write_csv_file(tmp_path / "c.csv", records)])
    assert report.inserted == 3
    assert sorted(read_cameras(store)["device_id"]) == [
        "4.50103000013200E+19", "4501030000132000001", "45010300O01320000003"]


def test_rows_of_the_wrong_width_are_rejected_with_their_line(sqlite_engine: Engine,
                                                              tmp_path: Path) -> None:
    lines = csv_text([make_camera(1), make_camera(2), make_camera(3)]).splitlines()
    lines[2] = ",".join(lines[2].split(",")[:5])
    lines[3] += ",多出来的,两格"
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_catalog(sqlite_engine, [path])
    assert report.inserted == 1
    assert [(r.line, r.reason) for r in report.rejects] == [
        (3, "wrong_field_count"), (4, "wrong_field_count")]


def test_quoted_line_breaks_keep_line_numbers_exact(sqlite_engine: Engine,
                                                    tmp_path: Path) -> None:
    records = [make_camera(1, address="第一行\n第二行"), make_camera(2, device_id="")]
    report = import_catalog(sqlite_engine, [write_csv_file(tmp_path / "c.csv", records)])
    assert [(r.line, r.reason) for r in report.rejects] == [(4, "missing_device_id")]
    assert read_cameras(sqlite_engine)["address"].item() == "第一行 第二行"


def test_reimport_counts_updated_and_unchanged(store: Engine, tmp_path: Path) -> None:
    path = write_csv_file(tmp_path / "c.csv", [make_camera(1), make_camera(2)])
    import_catalog(store, [path])
    again = write_csv_file(tmp_path / "c2.csv",
                           [make_camera(1), make_camera(2, maintenance_unit="新运维公司"),
                            make_camera(3)])
    report = import_catalog(store, [again])
    assert report.counts() == {"read": 3, "inserted": 1, "updated": 1, "unchanged": 1,
                               "rejected": 0}
    assert read_cameras(store)["maintenance_unit"].to_list() == [
        "中国电信股份有限公司南宁分公司", "新运维公司", "中国电信股份有限公司南宁分公司"]
    assert _count(store) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"just,some,words\n1,2,3\n", "no recognisable catalog header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL"),
        ("设备编码,设备名称\n".encode() + "4501,南宁\n".encode("gbk"), "mixed encodings"),
        (b"PK\x03\x04garbage-zip", "not a readable XLSX"),
    ],
)
def test_unreadable_files_fail_whole_and_change_nothing(
        store: Engine, tmp_path: Path, content: bytes, message: str) -> None:
    import_catalog(store, [write_csv_file(tmp_path / "ok.csv", [make_camera(1)])])
    before = read_cameras(store)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    good = write_csv_file(tmp_path / "good.csv", [make_camera(2)])
    with pytest.raises(UnreadableCatalog, match=message):
        import_catalog(store, [good, bad])
    assert read_cameras(store).equals(before)


def test_a_failure_while_writing_rolls_back_everything(sqlite_engine: Engine,
                                                       tmp_path: Path) -> None:
    import_catalog(sqlite_engine, [write_csv_file(tmp_path / "a.csv", [make_camera(1)])])
    before = read_cameras(sqlite_engine)
    with sqlite_engine.begin() as connection:  # a trigger that fails mid-import
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON camera WHEN NEW.name LIKE '%3' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    records = [make_camera(1, name="改名"), make_camera(2), make_camera(3)]
    with pytest.raises(Exception, match="refused"):
        import_catalog(sqlite_engine, [write_csv_file(tmp_path / "b.csv", records)])
    assert read_cameras(sqlite_engine).equals(before)


def test_a_failure_during_a_first_import_leaves_the_store_empty(sqlite_engine: Engine,
                                                                 tmp_path: Path) -> None:
    """The first import into an empty store inserts without matching: it is just as atomic."""
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON camera WHEN NEW.name LIKE '%3' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    records = [make_camera(1), make_camera(2), make_camera(3)]
    with pytest.raises(Exception, match="refused"):
        import_catalog(sqlite_engine, [write_csv_file(tmp_path / "a.csv", records)])
    assert read_cameras(sqlite_engine).height == 0


def test_windows_line_ends_and_a_short_last_row(sqlite_engine: Engine, tmp_path: Path) -> None:
    text = csv_text([make_camera(1), make_camera(2)]).replace("\n", "\r\n")
    text += "45010300001320000009,只有两格"  # cut off, no line end
    path = tmp_path / "c.csv"
    path.write_bytes(text.encode("gbk"))
    report = import_catalog(sqlite_engine, [path])
    assert report.inserted == 2
    assert [(r.line, r.reason) for r in report.rejects] == [(4, "wrong_field_count")]
    assert read_cameras(sqlite_engine)["secrecy"].to_list() == [0, 0]


@pytest.mark.parametrize("gbk_first", [True, False])
def test_mixed_encodings_are_refused_naming_both_lines(sqlite_engine: Engine, tmp_path: Path,
                                                       gbk_first: bool) -> None:
    lines = csv_text([make_camera(1), make_camera(2), make_camera(3)]).splitlines()
    encodings = ["gbk", "gbk", "utf-8", "gbk"] if gbk_first else ["utf-8", "utf-8", "gbk",
                                                                   "utf-8"]
    path = tmp_path / "c.csv"
    path.write_bytes(b"".join((line + "\n").encode(e) for line, e in zip(lines, encodings,
                                                                           strict=True)))
    expected = "line 3 is UTF-8 but line 1" if gbk_first else "line 1 is UTF-8 but line 3"
    with pytest.raises(UnreadableCatalog, match=f"mixed encodings: {expected}"):
        import_catalog(sqlite_engine, [path])
    assert _count(sqlite_engine) == 0
