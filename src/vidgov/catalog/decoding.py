"""Decoding a CSV into UTF-8 whatever Chinese office software saved it as; never a guess.

UTF-8 (with or without BOM), UTF-16 with BOM, and GB18030 (the superset of GBK that Windows
Excel writes). A file with UTF-8 lines and GBK lines mixed would come out half garbled either
way, so it is refused naming the first line of each kind.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

from vidgov.catalog import gb18030
from vidgov.errors import UnreadableCatalog


def utf8_text(name: str, raw: bytes) -> bytes:
    """The CSV as UTF-8 bytes, whatever Chinese office software saved it as; never a guess.

    UTF-8 is tried first (a GBK file is almost never valid UTF-8), then GB18030, the superset
    of GBK that Windows Excel writes. A file with UTF-8 lines and GBK lines mixed would come
    out half garbled either way, so it is refused with the first line of each kind.
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                       (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                text = raw[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                raise UnreadableCatalog(
                    f"{name}: starts with a {codec} BOM but line "
                    f"{_line_at(raw, exc.start + len(bom))} is not {codec}") from exc
            return _no_nul(name, text.encode("utf-8"))
    _no_nul(name, raw)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse_utf8_then_other(name, raw, exc.start)
    else:
        return raw
    _refuse_other_then_utf8(name, raw)
    try:
        return gb18030.to_utf8(raw)
    except UnicodeDecodeError as exc:
        raise UnreadableCatalog(
            f"{name}: line {_line_at(raw, exc.start)} is neither UTF-8 nor GBK/GB18030 "
            "text (a binary file?)") from exc


def chunk_encoding(name: str, raw: bytes, probe_bytes: int) -> str | None:
    """``utf-8`` or ``gb18030`` when the file can be decoded a line-aligned chunk at a time
    (after :func:`bom_length` bytes: Excel's "CSV UTF-8" starts with a BOM).

    Decided on the first ``probe_bytes``, so that a big UTF-8 file is not decoded once more
    before its first chunk: :func:`utf8_chunk` checks each chunk, and one that is not UTF-8
    after all sends the caller back to reading the file whole. None for UTF-16 (decoded
    whole: rare, and it has no byte-wise newlines). Raises :class:`UnreadableCatalog` as
    :func:`utf8_text` would for the checks that need the whole file (NUL bytes, UTF-8 lines
    before the first GBK byte, a BOM that lies).
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None
    _no_nul(name, raw)
    begin = bom_length(raw)
    try:
        # Incremental, so a character cut at the end of the probe is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(
            raw[begin:begin + probe_bytes], final=begin + probe_bytes >= len(raw))
    except UnicodeDecodeError as exc:
        if begin:
            raise UnreadableCatalog(f"{name}: starts with a utf-8 BOM but is not utf-8") from exc
        _refuse_utf8_then_other(name, raw, exc.start)
        return "gb18030"
    return "utf-8"


def bom_length(raw: bytes) -> int:
    """The bytes of a UTF-8 BOM at the start of ``raw`` (0 or 3), skipped when chunking."""
    return len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0


def utf8_chunk(name: str, chunk: bytes, encoding: str) -> bytes:
    """One chunk (whole lines) of a file as UTF-8, for the ``encoding`` :func:`chunk_encoding`
    chose; raises :class:`UnicodeDecodeError` or :class:`UnreadableCatalog` (mixed lines).

    A newline byte is never inside a GBK/GB18030 character, so chunks cut after a newline
    decode exactly as the whole file would. Line numbers in a raised message are relative to
    the chunk: the caller re-reads the whole file to report the error.
    """
    if encoding == "utf-8":
        chunk.decode("utf-8")  # the file was only probed
        return chunk
    _refuse_other_then_utf8(name, chunk)
    return gb18030.to_utf8(chunk)


def _line_at(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _refuse_utf8_then_other(name: str, raw: bytes, bad: int) -> None:
    """UTF-8 Chinese before the first byte that is not UTF-8: two encodings in one file."""
    prefix = raw[:bad].decode("utf-8")
    if sum(1 for ch in prefix if "\u4e00" <= ch <= "\u9fff") >= 2:
        first = next(i for i, ch in enumerate(prefix) if not ch.isascii())
        raise UnreadableCatalog(
            f"{name}: mixed encodings: line {prefix.count(chr(10), 0, first) + 1} is UTF-8 but "
            f"line {_line_at(raw, bad)} is not; save the whole file in one encoding")


#: Bytes that never occur in UTF-8. A tenth of GBK's second bytes are among them, so a line
#: of GBK Chinese almost always holds one, and only the few lines without any can be UTF-8.
_NEVER_UTF8: Final = frozenset((0xC0, 0xC1, *range(0xF5, 0x100)))
#: Deleting these leaves of each line only its never-UTF-8 bytes (and the newline).
_NOT_MARKS: Final = bytes(b for b in range(256) if b != 0x0A and b not in _NEVER_UTF8)
_CHINESE: Final = re.compile("[\u4e00-\u9fff]")


def _refuse_other_then_utf8(name: str, raw: bytes) -> None:
    """A UTF-8 line (Chinese, no invalid byte) in a file that is otherwise not UTF-8.

    Only the lines without a never-UTF-8 byte are decoded to see: found by one pass of
    ``bytes.translate`` (C, a gigabyte a second; in slices, so that other threads get the
    GIL between them), where reading every line as UTF-8 cost five times as much.
    """
    marks = b"".join(raw[start:start + gb18030.SLICE_BYTES].translate(None, _NOT_MARKS)
                     for start in range(0, len(raw), gb18030.SLICE_BYTES)).split(b"\n")
    if raw.endswith(b"\n"):
        marks.pop()  # the empty "line" after the last line end
    maybe = [index for index, left in enumerate(marks) if not left]
    if not maybe:
        return
    lines = raw.split(b"\n")
    utf8 = other = None
    for index in maybe:
        try:
            text = lines[index].decode("utf-8")
        except UnicodeDecodeError:
            other = index if other is None else other
            continue
        if utf8 is None and _CHINESE.search(text):
            utf8 = index
    if utf8 is None:
        return
    surely_other = next((index for index, left in enumerate(marks) if left), None)
    others = [index for index in (other, surely_other) if index is not None]
    # None only in a chunk that is all UTF-8 (the file's other chunks are not): the caller
    # reads the file whole then, which finds both kinds.
    where = f"line {min(others) + 1} is not" if others else "other lines are not"
    raise UnreadableCatalog(
        f"{name}: mixed encodings: line {utf8 + 1} is UTF-8 but {where}; "
        "save the whole file in one encoding")


def _no_nul(name: str, data: bytes) -> bytes:
    position = data.find(b"\x00")
    if position >= 0:
        raise UnreadableCatalog(
            f"{name}: line {_line_at(data, position)} contains NUL bytes: not a text CSV")
    return data


