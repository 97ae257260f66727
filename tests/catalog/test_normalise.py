"""The cell cleaning's shortcut (full rules only on cells that can change) must give exactly
what the full rules give on every cell: NFKC, then trim, fold spaces, empty tokens to null."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidgov.catalog.normalise import EMPTY_TOKENS, clean_cells, clean_code, clean_text
from vidgov.catalog.sources import LINE

#: What clerks' cells are made of, the awkward parts overweighted: every kind of space,
#: full-width forms, Excel's text markers, the empty tokens, Chinese, DMS marks.
PIECES = [
    " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2003", "\u2028",
    "\u202f", "\u3000", "'", "`", "-", "—", "４５０１", "ＮＵＬＬ", "１０８．３", "°", "″", "′",
    "①", "广西", "南宁", "a", "Z", "0", "9", ".", ",", "\"", "ﾃ", "㎞", "\ufeff", *EMPTY_TOKENS,
]
cells = st.one_of(st.none(), st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
                  st.text(max_size=8))


def _by_definition(values: list[str | None], code: bool) -> list[str | None]:
    rule = clean_code if code else clean_text
    frame = pl.DataFrame({"c": pl.Series(values, dtype=pl.String)})
    return frame.select(rule(pl.col("c").str.normalize("NFKC"))).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(st.lists(cells, min_size=1, max_size=30), st.booleans())
def test_shortcut_equals_the_full_rules_on_every_cell(values: list[str | None],
                                                       code: bool) -> None:
    frame = pl.DataFrame({LINE: list(range(2, len(values) + 2)),
                          "c0": pl.Series(values, dtype=pl.String)})
    cleaned = clean_cells(frame, [("c0", "field", code)])
    assert cleaned.columns == [LINE, "field"]
    assert cleaned[LINE].to_list() == frame[LINE].to_list()
    assert cleaned["field"].to_list() == _by_definition(values, code)


@pytest.mark.parametrize(("cell", "code", "expected"), [
    ("南宁东站", False, "南宁东站"),
    ("  南宁\u3000 东站 ", False, "南宁 东站"),
    ("ＮＵＬＬ", False, None),
    ("—", False, None),
    ("'45010000001320000001", True, "45010000001320000001"),
    ("4501 0000\t0013", True, "450100000013"),
    ("４５０１０３", True, "450103"),
    ("`", True, None),
])
def test_clerks_cells(cell: str, code: bool, expected: str | None) -> None:
    frame = pl.DataFrame({LINE: [2], "c0": [cell]})
    assert clean_cells(frame, [("c0", "x", code)])["x"].to_list() == [expected]
