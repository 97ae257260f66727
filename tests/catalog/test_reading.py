"""Cutting CSV chunks into cells: polars' reader must agree with the line-by-line way."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidgov.catalog import reading

WIDTH = 3

#: Lines of three cells and the ways they go wrong: short, long (with and without content
#: past the header's width), blank, quoted (well-formed and not), carriage returns.
LINES = [
    "a,b,c", "a,b", "a,b,c,d", "a,b,c,", "a,b,c,,", "a,b,c,,x", "", "  ", "\r", "\t",
    "a,b,c\r", "a,b\rc,d", 'ab"c"d,e,f', '"x,y",b,c', '"x""y",b,c', '"x"y,b,c', 'a,"b",c,d',
    '"",,', ",,", ",,,", "南宁,“引号”,东", '"南,宁",b,"c"\r', "a,,", " a , b , c ",
]


def _both(data: bytes, separator: str, monkeypatch: pytest.MonkeyPatch) -> tuple[
        tuple[pl.DataFrame, list[reading.StructuralReject]] | None,
        tuple[pl.DataFrame, list[reading.StructuralReject]] | None, bool]:
    used: list[bool] = []
    native = reading._native_split

    def spy(*args: object) -> pl.DataFrame | None:
        result = native(*args)  # type: ignore[arg-type]
        used.append(result is not None)
        return result

    monkeypatch.setattr(reading, "_native_split", spy)
    fast = reading._fast_csv(data, 0, WIDTH, separator, first_line=7)
    monkeypatch.setattr(reading, "_native_split", lambda *args: None)
    lines = reading._fast_csv(data, 0, WIDTH, separator, first_line=7)
    return fast, lines, any(used)


def _same(fast: tuple[pl.DataFrame, list[reading.StructuralReject]] | None,
          lines: tuple[pl.DataFrame, list[reading.StructuralReject]] | None) -> None:
    assert (fast is None) == (lines is None)
    if fast is not None and lines is not None:
        assert fast[0].equals(lines[0]), (fast[0], lines[0])
        assert fast[1] == lines[1]


@pytest.mark.parametrize("separator", [",", "\t"])
def test_polars_cuts_cells_as_the_lines_do(
    separator: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = "\n".join(line.replace(",", separator) for line in LINES).encode("utf-8")
    fast, lines, used = _both(data, separator, monkeypatch)
    assert used  # polars' reader did the work, the lines only checked it
    _same(fast, lines)
    assert fast is not None
    assert fast[0].height > 10
    assert len(fast[1]) > 3  # short and long rows


cell = st.one_of(
    st.text(alphabet='ab南 ",\r\t\n', max_size=6),
    st.sampled_from(["", '"', '""', '"a,b"', '"a""b"', "108°21'59\"", "\r"]),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=5), min_size=1, max_size=12),
       separator=st.sampled_from([",", "\t"]), crlf=st.booleans())
def test_polars_cuts_any_lines_as_the_lines_do(
    rows: list[list[str]], separator: str, crlf: bool
) -> None:
    text = ("\r\n" if crlf else "\n").join(separator.join(row) for row in rows)
    with pytest.MonkeyPatch.context() as monkeypatch:
        fast, lines, _ = _both(text.encode("utf-8"), separator, monkeypatch)
    _same(fast, lines)
