"""GB18030 (the superset of GBK that Windows Excel writes) to UTF-8 and back, at C speed.

Decoding a province's catalog is the biggest single piece of an import's work: Python's codec
took 0.65 CPU seconds for a 250,000-row file (83 MB) and holds the GIL while it runs, so the
import's other threads wait. The C library's converter (glibc's ``iconv``, reached through
ctypes: no extension to build) does it in half that time without the GIL.

The two disagree on 26 rare characters: Python's codec follows GB18030-2000, glibc the later
editions (2005 moved ḿ out of the Private Use Area; 2022 moved ten vertical punctuation forms
and eight CJK components; glibc also gives six more CJK characters their Unicode code points).
A file must read the same whatever the machine, so the later mapping is the one: Python's
codec, used where the C converter is missing, fails or disagrees, has its results mapped to
it, and :func:`encode` writes it, so an exported catalog reads back as it was.
"""

from __future__ import annotations

import ctypes
import functools
import re
from collections.abc import Iterator
from typing import Final

#: Characters whose GB18030 bytes Python's codec (2000 edition) reads as the one and the
#: later editions as the other. Each pair is swapped both ways: decoding, and encoding so that
#: Python's codec writes the bytes the later editions give the character.
_SWAPPED: Final[dict[str, str]] = {
    "\ue78d": "\ufe10", "\ue78e": "\ufe12", "\ue78f": "\ufe11", "\ue790": "\ufe13",
    "\ue791": "\ufe14", "\ue792": "\ufe15", "\ue793": "\ufe16", "\ue794": "\ufe17",
    "\ue795": "\ufe18", "\ue796": "\ufe19",  # A6D9-A6F3: vertical punctuation forms
    "\ue7c7": "\u1e3f",  # A8BC: ḿ
    "\ue81e": "\u9fb4", "\ue826": "\u9fb5", "\ue82b": "\u9fb6", "\ue82c": "\u9fb7",
    "\ue832": "\u9fb8", "\ue843": "\u9fb9", "\ue854": "\u9fba", "\ue864": "\u9fbb",
}
#: Two-byte codes (FE51, FE52, FE53, FE6C, FE76, FE91) that Python's codec reads as Private
#: Use characters and glibc as CJK characters which also have four-byte codes of their own:
#: mapped one way only, when decoding.
_PRIVATE_TO_CJK: Final[dict[str, str]] = {
    "\ue816": "\U00020087", "\ue817": "\U00020089", "\ue818": "\U000200cc",
    "\ue831": "\U000215d7", "\ue83b": "\U0002298f", "\ue855": "\U000241fe",
}
_DECODED: Final = str.maketrans(
    {**_SWAPPED, **{new: old for old, new in _SWAPPED.items()}, **_PRIVATE_TO_CJK})
_ENCODED: Final = str.maketrans({**_SWAPPED, **{new: old for old, new in _SWAPPED.items()}})
_DECODED_ANY: Final = re.compile(f"[{''.join(chr(c) for c in _DECODED)}]")
_ENCODED_ANY: Final = re.compile(f"[{''.join(chr(c) for c in _ENCODED)}]")

#: Python's byte and text methods hold the GIL for a whole call (its codec, an 8 MB chunk:
#: 60 ms), and the import's other threads need it for every polars call they start: a slice
#: of this size holds it about 2 ms. Also the slices of the mixed-encoding check.
SLICE_BYTES: Final = 1 << 18


def to_utf8(data: bytes) -> bytes:
    """``data`` (whole lines of GB18030 text) as UTF-8; raises :class:`UnicodeDecodeError`
    (Python's, with the offset of the first bad byte) for bytes that are not GB18030."""
    converter = _c_converter()
    if converter is not None:
        converted = converter.convert(data)
        if converted is not None:
            return converted
    return b"".join(_python_to_utf8(data))


def encode(text: str) -> bytes:
    """``text`` as GB18030 bytes that :func:`to_utf8` reads back as ``text`` (but for the six
    private-use characters of :data:`_PRIVATE_TO_CJK`, read back as the characters they
    stood for)."""
    if _ENCODED_ANY.search(text):
        text = text.translate(_ENCODED)
    return text.encode("gb18030")


def _python_to_utf8(data: bytes) -> Iterator[bytes]:
    """Python's codec a slice of whole lines at a time, mapped to the later editions."""
    start = 0
    while start < len(data):
        cut = data.find(b"\n", start + SLICE_BYTES)
        end = len(data) if cut < 0 else cut + 1
        try:
            text = data[start:end].decode("gb18030")
        except UnicodeDecodeError as exc:  # offsets into ``data``, not the slice
            raise UnicodeDecodeError(exc.encoding, data, exc.start + start, exc.end + start,
                                     exc.reason) from None
        if _DECODED_ANY.search(text):
            text = text.translate(_DECODED)
        yield text.encode("utf-8")
        start = end


class _Iconv:
    """glibc's iconv, through ctypes (which releases the GIL for each call)."""

    def __init__(self, libc: ctypes.CDLL) -> None:
        self._open, self._convert, self._close = libc.iconv_open, libc.iconv, libc.iconv_close
        self._open.restype, self._open.argtypes = ctypes.c_void_p, [ctypes.c_char_p] * 2
        self._convert.restype = ctypes.c_size_t
        self._convert.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
        self._close.argtypes = [ctypes.c_void_p]

    def convert(self, data: bytes) -> bytes | None:
        """``data`` as UTF-8, or None where glibc refuses it (the caller asks Python's
        codec then, for the result or the exact error)."""
        handle = self._open(b"UTF-8", b"GB18030")
        if handle in (None, _FAILED):
            return None
        try:
            # At most 1.5 bytes of UTF-8 per byte of GB18030 (two bytes give three at most).
            size = len(data) * 3 // 2 + 4
            out = bytearray(size)
            window = (ctypes.c_char * size).from_buffer(out)
            source, source_left = ctypes.c_char_p(data), ctypes.c_size_t(len(data))
            target = ctypes.c_void_p(ctypes.addressof(window))
            target_left = ctypes.c_size_t(size)
            result = self._convert(handle, ctypes.byref(source), ctypes.byref(source_left),
                                   ctypes.byref(target), ctypes.byref(target_left))
            if result == _FAILED or source_left.value:
                return None
            return bytes(memoryview(out)[:size - target_left.value])
        finally:
            self._close(handle)


#: What iconv returns for "failed", as ctypes gives it back (an unsigned -1).
_FAILED: Final = ctypes.c_size_t(-1).value


@functools.cache
def _c_converter() -> _Iconv | None:
    """glibc's converter where it is there and reads every character the way this module
    does (checked once, on the characters the editions disagree on); else None."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    if not all(hasattr(libc, name) for name in (
            "gnu_get_libc_version", "iconv_open", "iconv", "iconv_close")):
        return None  # another C library's iconv: not checked, not used
    converter = _Iconv(libc)
    # The two-byte codes the editions read differently (in Python's codec's own bytes),
    # ḿ's four-byte code, and ordinary text.
    probe = "".join([*_SWAPPED, *_PRIVATE_TO_CJK, "\u1e3f", _ORDINARY]).encode("gb18030")
    if converter.convert(probe) != b"".join(_python_to_utf8(probe)):
        return None
    return converter


_ORDINARY: Final = "设备编码,南宁市青秀区民族大道100号,𡌶村,ＡＢＣ,108.3\n"
