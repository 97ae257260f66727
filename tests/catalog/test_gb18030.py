"""GB18030 reads the same through the C library's converter and through Python's codec, and
what the exporter writes reads back as it was."""

from __future__ import annotations

import platform

import pytest

from vidgov.catalog import gb18030

#: Every character GB18030 can encode in the Basic Multilingual Plane, and some beyond it;
#: not the six private-use characters that read back as the CJK characters they stood for.
EVERY_CHARACTER = "".join(
    [chr(c) for c in range(0x10000)
     if not 0xD800 <= c <= 0xDFFF and chr(c) not in gb18030._PRIVATE_TO_CJK]
    + ["\U00020087", "\U000215d7", "\U000241fe", "\U0002130c", "\U0001f600", "\U0010ffff"])


def _python(data: bytes) -> bytes | None:
    try:
        return b"".join(gb18030._python_to_utf8(data))
    except UnicodeDecodeError:
        return None


def _converter() -> gb18030._Iconv:
    converter = gb18030._c_converter()
    assert converter is not None, "glibc's converter should be there and agree"
    return converter


#: The C converter is glibc's: elsewhere Python's codec does it all (tested everywhere).
glibc_only = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="no glibc here")


@glibc_only
def test_every_two_byte_code_reads_the_same_both_ways() -> None:
    converter = _converter()
    for lead in range(0x81, 0x100):
        for trail in range(0x100):
            data = bytes([lead, trail])
            assert converter.convert(data) == _python(data), data.hex()


def test_every_character_written_by_the_exporter_reads_back_the_same_both_ways() -> None:
    data = gb18030.encode(EVERY_CHARACTER)
    expected = EVERY_CHARACTER.encode("utf-8")
    assert gb18030.to_utf8(data) == expected
    assert _python(data) == expected


@glibc_only
def test_the_c_converter_reads_all_but_the_swapped_characters_itself() -> None:
    # The C library refuses the four-byte codes the 2022 edition gave the swapped private
    # characters, so those go through Python's codec; everything else it reads itself.
    ordinary = "".join(ch for ch in EVERY_CHARACTER if ch not in gb18030._SWAPPED)
    assert _converter().convert(gb18030.encode(ordinary)) == ordinary.encode("utf-8")


def test_the_editions_disagreement_is_read_the_later_way() -> None:
    """A6D9 is the vertical comma (U+FE10), FE59 龴 (U+9FB4), A8BC ḿ; FE51 the CJK character
    U+20087, whatever wrote it."""
    data = bytes.fromhex("a6d9 fe59 a8bc fe51 0a")
    assert gb18030.to_utf8(data).decode() == "\ufe10\u9fb4\u1e3f\U00020087\n"
    assert _python(data) == gb18030.to_utf8(data)
    # Python's codec alone would give private-use characters.
    assert data.decode("gb18030") == "\ue78d\ue81e\ue7c7\ue816\n"


def test_an_old_private_use_character_is_written_as_the_later_edition_codes_it() -> None:
    assert gb18030.encode("\ue78d\u9fb4") == bytes.fromhex("84318236 fe59")
    assert gb18030.to_utf8(gb18030.encode("\ue78d\u9fb4")).decode() == "\ue78d\u9fb4"
    # FE51 stood for U+20087 in a private-use slot: read back as the character itself.
    assert gb18030.to_utf8(gb18030.encode("\ue816")).decode() == "\U00020087"


@pytest.mark.parametrize(("data", "start"), [
    (b"abc\n\x81\n", 4),  # a lead byte and then a line end
    (b"x" * 300_000 + b"\n\xff\n", 300_001),  # past the first slice Python's codec reads
    ("南宁".encode("gb18030") + b"\x80", 4),
])
def test_bytes_that_are_not_gb18030_raise_with_their_offset(data: bytes, start: int) -> None:
    with pytest.raises(UnicodeDecodeError) as raised:
        gb18030.to_utf8(data)
    assert raised.value.start == start
    if platform.libc_ver()[0] == "glibc":
        assert _converter().convert(data) is None
