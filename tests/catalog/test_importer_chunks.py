"""Reading a CSV in chunks must give exactly what reading it whole gives."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from vidgov.catalog import importer
from vidgov.catalog.importer import ImportReport, import_catalog
from vidgov.errors import UnreadableCatalog
from vidgov.store.db import open_store

HEADER = "设备编码,设备名称,经度,备注\n"
ROWS = [
    "45010000001320000001,南宁东站,108.41,\n",
    "45010000001320000002,\"朝阳路口, 东\",\"108°21'59.55\"\"\",x\n",
    ",无编码,108.1,\n",
    "45010000001320000001,重复,108.2,\n",
    "45010000001320000003,短行\n",
    "\n",
    "45010000001320000004,末行,108.3,y\n",
]


ENCODINGS = ["gb18030", "utf-8", "utf-8-sig"]  # utf-8-sig: Excel's "CSV UTF-8", with a BOM


def _import(tmp_path: Path, name: str, text: str, chunk_bytes: int,
            monkeypatch: pytest.MonkeyPatch,
            encoding: str = "gb18030") -> tuple[ImportReport, Engine]:
    monkeypatch.setattr(importer, "CHUNK_BYTES", chunk_bytes)
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    engine = open_store(f"sqlite:///{tmp_path / (name + '.db')}")
    return import_catalog(engine, [path]), engine


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("extra", ["", "45010000001320000005,\"跨行\n单元格\",108.4,\n"],
                         ids=["line per row", "quoted line break (read whole)"])
def test_chunked_import_equals_whole_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, encoding: str
) -> None:
    text = HEADER + "".join(ROWS * 3) + extra
    whole, _ = _import(tmp_path, "whole.csv", text, 1 << 30, monkeypatch, encoding)
    chunked, _ = _import(tmp_path, "chunked.csv", text, 64, monkeypatch, encoding)
    assert chunked.counts() == whole.counts()
    assert [(r.line, r.reason, r.detail.replace("chunked", "whole"), r.cells)
            for r in chunked.rejects] == [
        (r.line, r.reason, r.detail, r.cells) for r in whole.rejects]
    assert whole.rejected > 0
    assert whole.inserted > 0


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_small_chunks_are_really_read_in_chunks(tmp_path: Path, encoding: str) -> None:
    """Guards the test above: with 64-byte chunks a plain file is not read whole."""
    from vidgov.catalog.reading import stream_catalog

    path = tmp_path / "c.csv"
    path.write_bytes((HEADER + "".join(ROWS * 3)).encode(encoding))
    tables = [t for f in stream_catalog(path, 64) for t in f.tables]
    assert len(tables) > 2
    assert tables[0].header[0] == "设备编码"  # the BOM is not part of the first header cell


def test_a_bom_that_lies_is_reported_as_when_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "CHUNK_BYTES", 64)
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "".join(ROWS * 3)).encode("gb18030"))
    engine = open_store(f"sqlite:///{tmp_path / 'bad.db'}")
    with pytest.raises(UnreadableCatalog, match=r"bad.csv: starts with a utf-8 BOM but line 1 "):
        import_catalog(engine, [path])


@pytest.mark.parametrize(("first", "then", "named"), [
    ("utf-8", "gb18030", "line 16 is not"),
    # A later chunk that is all UTF-8 has no GBK line of its own to name.
    ("gb18030", "utf-8", "line 16 is UTF-8 but line 1 is not"),
])
def test_a_file_whose_encoding_changes_after_the_first_chunk_fails_as_when_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first: str, then: str, named: str
) -> None:
    """The encoding is probed on the first chunk; a later chunk in another encoding must
    still be refused, with the message a whole-file read gives."""
    path = tmp_path / "mixed.csv"
    path.write_bytes((HEADER + "".join(ROWS * 2)).encode(first) + "".join(ROWS).encode(then))
    engine = open_store(f"sqlite:///{tmp_path / 'mixed.db'}")
    messages = []
    for chunk_bytes in (1 << 30, 64):
        monkeypatch.setattr(importer, "CHUNK_BYTES", chunk_bytes)
        with pytest.raises(UnreadableCatalog, match="mixed encodings") as raised:
            import_catalog(engine, [path])
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    assert named in messages[1]


def test_a_store_opener_is_called_once_even_when_the_import_goes_round_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI hands over a function that opens the store, so that opening it overlaps
    reading; the second round (a quoted line break: the file is read whole) reuses it."""
    monkeypatch.setattr(importer, "CHUNK_BYTES", 64)
    path = tmp_path / "c.csv"
    path.write_bytes((HEADER + "".join(ROWS) + "45010000001320000005,\"跨行\n单元格\",108.4,\n")
                     .encode("gb18030"))
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    opened: list[Engine] = []

    def open_engine() -> Engine:
        opened.append(engine)
        return engine

    report = import_catalog(open_engine, [path])
    assert len(opened) == 1
    assert report.inserted == 4
