"""The mixed-encoding check against a line-by-line reading of the same bytes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidgov.catalog.decoding import utf8_text
from vidgov.errors import UnreadableCatalog

#: Text a catalog line may hold: ASCII, common and rare Chinese, full-width punctuation.
_CHARACTERS = st.sampled_from(list("0123456789,.-abcXYZ 广西南宁朝阳路口东站区县镇村𡌶，（）·"))
_LINE = st.tuples(st.text(_CHARACTERS, max_size=30), st.sampled_from(["gb18030", "utf-8"]))


def _first_lines(lines: list[bytes]) -> tuple[int | None, int | None]:
    """The first line (1-based) that is UTF-8 with Chinese, and the first that is not UTF-8."""
    utf8 = other = None
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            other = other or number
            continue
        if utf8 is None and any("\u4e00" <= ch <= "\u9fff" for ch in text):
            utf8 = number
    return utf8, other


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, min_size=1, max_size=12), st.booleans())
def test_mixed_lines_are_named_as_a_line_by_line_reading_names_them(
    lines: list[tuple[str, str]], final_newline: bool
) -> None:
    encoded = [text.encode(encoding) for text, encoding in lines]
    raw = b"\n".join(encoded) + (b"\n" if final_newline else b"")
    utf8, other = _first_lines(encoded)
    if other is None:
        assert utf8_text("c.csv", raw) == raw  # all UTF-8: taken as it is
    elif utf8 is not None:
        with pytest.raises(UnreadableCatalog, match="mixed encodings") as raised:
            utf8_text("c.csv", raw)
        named = re.search(r"line (\d+) is UTF-8 but line (\d+) is not", str(raised.value))
        assert named is not None
        # A UTF-8 line before the first GBK one: named is the first with any non-ASCII text.
        assert int(named[2]) == other
        assert int(named[1]) == utf8 if utf8 > other else int(named[1]) <= utf8
    else:
        try:
            expected = raw.decode("gb18030").encode("utf-8")
        except UnicodeDecodeError:
            with pytest.raises(UnreadableCatalog, match="neither UTF-8 nor GBK"):
                utf8_text("c.csv", raw)
        else:
            assert utf8_text("c.csv", raw) == expected


def test_a_gbk_line_that_holds_no_never_utf8_byte_is_still_named() -> None:
    """广场 in GBK (B9 E3 B3 A1) has none of the bytes UTF-8 never uses, yet is not UTF-8."""
    assert not set("广场".encode("gbk")) & {0xC0, 0xC1, *range(0xF5, 0x100)}
    raw = b"device_id,name\n" + "4501,广场\n".encode("gbk") + "4502,南宁\n".encode()
    with pytest.raises(UnreadableCatalog, match="line 3 is UTF-8 but line 2 is not"):
        utf8_text("c.csv", raw)
