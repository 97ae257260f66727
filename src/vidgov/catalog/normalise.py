"""Turning what clerks type into typed values, for a whole column at a time.

Full-width digits, stray spaces, "NULL"/"无"/"-" for empty, coordinates in decimal or
degree-minute-second form, dates written three ways, point classes in Chinese numerals. Every
rule is a polars expression over a column, so 250,000 rows normalise in a fraction of a second.
A value that cannot be parsed is not dropped: it stays verbatim in ``raw_values`` for the audit
to report and the clerk to fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Final

import polars as pl

from vidgov.catalog.fields import FIELDS, Kind
from vidgov.catalog.sources import LINE, SourceTable

#: Cells that mean "nothing here" in Chinese catalogs (compared after NFKC and trimming).
EMPTY_TOKENS: Final[tuple[str, ...]] = (
    "", "null", "NULL", "Null", "none", "None", "NONE", "nan", "NaN", "N/A", "n/a", "NA",
    "无", "暂无", "空", "-", "--", "---", "—", "——", "/", "\\", "#N/A",
)

POINT_CLASS_WORDS: Final[dict[str, int]] = {
    word: value
    for value, numeral in ((1, "一"), (2, "二"), (3, "三"), (4, "四"), (5, "五"))
    for word in (str(value), numeral, f"{numeral}类", f"{numeral}类点", f"{value}类",
                 f"{value}类点", f"{numeral}类点位")
}
SECRECY_WORDS: Final[dict[str, int]] = {
    "0": 0, "1": 1, "不涉密": 0, "非涉密": 0, "涉密": 1, "否": 0, "是": 1, "公开": 0,
}

_DECIMAL = r"[+-]?\d+(?:\.\d+)?"
_HEMISPHERE = r"(?:[EeNn]|东经|北纬)?"
#: 108°21'59.55", 108度21分59.55秒, 108°21′59.55″ (NFKC turns ″ into ′′), E108°21'59.55"
_DMS = (
    rf"^{_HEMISPHERE}\s*(\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′’分])?\s*"
    rf"(?:(\d+(?:\.\d+)?)\s*(?:\"|″|”|′′|''|’’|秒))?\s*{_HEMISPHERE}$"
)
_DECIMAL_DEGREES = rf"^{_HEMISPHERE}\s*({_DECIMAL})\s*°?\s*{_HEMISPHERE}$"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DATE = rf"^(\d{{4}})\s*[-/.年]\s*(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})\s*日?{_TIME}$"
_COMPACT_DATE = r"^(\d{4})(\d{2})(\d{2})$"


#: A character that NFKC or the whitespace rules may change: anything but printable ASCII
#: (the space excluded) and the CJK unified ideographs. Most cells of a catalog hold none
#: (IDs, URLs, dates, coordinates, Chinese names), and for those cleaning is only the
#: empty-token test; the others (a space, full-width forms, ″, circled digits…) get NFKC
#: and the whole rule. Same result as the whole rule on every cell, at a third of the cost.
_ROUGH = r"[^!-~\u4e00-\u9fff]"


def clean_text(column: pl.Expr) -> pl.Expr:
    """Trim, collapse inner whitespace runs, and the empty tokens to null (after NFKC)."""
    text = column.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.is_in(EMPTY_TOKENS)).then(None).otherwise(text)


def clean_code(column: pl.Expr) -> pl.Expr:
    """Like :func:`clean_text`, but codes lose every space and Excel's text markers (' and tab)."""
    return _strip_markers(clean_text(column).str.replace_all(r"\s", ""))


def _strip_markers(code: pl.Expr) -> pl.Expr:
    text = code.str.strip_chars_start("'`")
    return pl.when(text == "").then(None).otherwise(text)


def _light(column: pl.Expr, code: bool) -> pl.Expr:
    """The rules for a cell without :data:`_ROUGH` characters (nothing to trim or fold)."""
    text = pl.when(column.is_in(EMPTY_TOKENS)).then(None).otherwise(column)
    return _strip_markers(text) if code else text


def clean_cells(frame: pl.DataFrame, sources: list[tuple[str, str, bool]]) -> pl.DataFrame:
    """``__line`` and, for each ``(column, name, is_code)``, the column NFKC-normalised and
    cleaned by :func:`clean_code` or :func:`clean_text`, under ``name``.

    The full rules run only on the cells holding a :data:`_ROUGH` character; the others
    can only be an empty token (or, for codes, carry a text marker). Lazy, so each rule's
    intermediate text is computed once: the eager engine repeats common subexpressions.
    The rough cells of all columns go through their rule together (one for codes, one for
    text): a query a column costs more in setting up than the few cells it cleans.
    """
    light = frame.lazy().select(
        pl.col(LINE), *(_light(pl.col(column), code).alias(name) for column, name, code in sources))
    rough = frame.lazy().select(
        pl.col(column).str.contains(_ROUGH).fill_null(False).alias(name)
        for column, name, _ in sources)
    cleaned, flags = pl.collect_all([light, rough])
    redone = []
    for code in (False, True):
        places = [(column, name, flags.get_column(name).arg_true())
                  for column, name, is_code in sources if is_code is code]
        places = [(column, name, where) for column, name, where in places if where.len()]
        if not places:
            continue
        cells = pl.concat([frame.get_column(column).gather(where) for column, _, where in places])
        rule = clean_code if code else clean_text
        fixed = cells.str.normalize("NFKC").to_frame("cell").lazy().select(
            rule(pl.col("cell"))).collect().to_series()
        redone.extend(_scatter_parts(cleaned, fixed, [(name, where) for _, name, where in places]))
    return cleaned.with_columns(redone) if redone else cleaned


def _scatter_parts(
    frame: pl.DataFrame, values: pl.Series, places: list[tuple[str, pl.Series]]
) -> list[pl.Series]:
    """``frame``'s columns with ``values`` (the parts for each place, one after another) put
    at each place's row indices."""
    columns, offset = [], 0
    for name, where in places:
        part = values.slice(offset, where.len()).rename(name)
        columns.append(frame.get_column(name).scatter(where, part))
        offset += where.len()
    return columns


def parse_coordinate(text: pl.Expr) -> pl.Expr:
    """Decimal degrees from decimal or DMS text; null where it cannot be read."""
    decimal = text.str.extract(_DECIMAL_DEGREES, 1).cast(pl.Float64, strict=False)
    parts = text.str.extract_groups(_DMS)
    degrees = parts.struct.field("1").cast(pl.Float64, strict=False)
    minutes = parts.struct.field("2").cast(pl.Float64, strict=False).fill_null(0.0)
    seconds = parts.struct.field("3").cast(pl.Float64, strict=False).fill_null(0.0)
    dms = pl.when((minutes < 60) & (seconds < 60)).then(
        degrees + minutes / 60 + seconds / 3600)
    return pl.coalesce(decimal, dms)


def parse_date(text: pl.Expr) -> pl.Expr:
    """A date from 2019-05-12, 2019/5/12, 2019.5.12, 2019年5月12日 or 20190512."""
    full = text.str.extract_groups(_DATE)
    compact = text.str.extract_groups(_COMPACT_DATE)
    year = pl.coalesce(full.struct.field("1"), compact.struct.field("1"))
    month = pl.coalesce(full.struct.field("2"), compact.struct.field("2")).str.zfill(2)
    day = pl.coalesce(full.struct.field("3"), compact.struct.field("3")).str.zfill(2)
    iso = pl.concat_str([year, month, day], separator="-")
    return iso.str.to_date("%Y-%m-%d", strict=False)


def parse_words(text: pl.Expr, words: dict[str, int]) -> pl.Expr:
    """An integer from a small vocabulary (一类/二类, 涉密/不涉密) or plain digits."""
    from_words = text.replace_strict(words, default=None, return_dtype=pl.Int64)
    return pl.coalesce(from_words, text.cast(pl.Int64, strict=False))


def normalise(table: SourceTable) -> pl.DataFrame:
    """The table's rows as typed field columns plus ``__line``, ``raw_values`` and ``extra``.

    ``raw_values`` is a JSON object of the cells that were present but unreadable (keyed by
    field), ``extra`` a JSON object of the columns we do not know (keyed by their header);
    both are null when there is nothing to keep.

    Three passes, each over whole columns: clean the text; parse it with the fast common
    form (a plain decimal, an ISO date); re-parse only the few cells the fast form missed
    with the slow patterns (DMS, Chinese dates). Unreadable cells are rare, so their JSON is
    built for those rows only.
    """
    present = [f for f in FIELDS if f.name in table.fields]
    cleaned = clean_cells(table.frame, [
        *((f"c{table.fields[f.name]}", f.name, f.kind is Kind.CODE) for f in present),
        *((f"c{p}", f"__extra_{p}", False) for p in table.unknown),
    ])
    typed = cleaned.with_columns(
        _fast_parse(f.name, f.kind).alias(f.name) for f in present if f.kind in _PARSED)
    for kind, parser in _SLOW_PARSERS.items():
        typed = _reparse_misses(typed, cleaned, [f.name for f in present if f.kind is kind],
                                parser)
    missing = [pl.lit(None, dtype=_dtype(f.kind)).alias(f.name)
               for f in FIELDS if f.name not in table.fields]
    raw_values = _raw_values(typed, cleaned, [f.name for f in present if f.kind in _PARSED])
    return typed.with_columns(*missing, raw_values, _extra(typed, table)).select(
        LINE, *(f.name for f in FIELDS), "raw_values", "extra")


_PARSED: Final = (Kind.COORDINATE, Kind.DATE, Kind.INT)


def _fast_parse(name: str, kind: Kind) -> pl.Expr:
    column = pl.col(name)
    if kind is Kind.COORDINATE:
        return column.cast(pl.Float64, strict=False)
    if kind is Kind.DATE:
        return column.str.to_date("%Y-%m-%d", strict=False)
    return parse_words(column, SECRECY_WORDS if name == "secrecy" else POINT_CLASS_WORDS)


_SLOW_PARSERS: Final[dict[Kind, Callable[[pl.Expr], pl.Expr]]] = {
    Kind.COORDINATE: parse_coordinate, Kind.DATE: parse_date}


def _reparse_misses(
    typed: pl.DataFrame, cleaned: pl.DataFrame, names: list[str],
    parser: Callable[[pl.Expr], pl.Expr],
) -> pl.DataFrame:
    """``typed`` with the cells of ``names`` that the fast form missed parsed by ``parser``,
    all columns' misses in one query (longitude and latitude share theirs)."""
    places = [(name, (typed[name].is_null() & cleaned[name].is_not_null()).arg_true())
              for name in names]
    places = [(name, where) for name, where in places if where.len()]
    if not places:
        return typed
    cells = pl.concat([cleaned.get_column(name).gather(where) for name, where in places])
    parsed = cells.to_frame("cell").select(parser(pl.col("cell"))).to_series()
    return typed.with_columns(_scatter_parts(typed, parsed, places))


def _raw_values(typed: pl.DataFrame, cleaned: pl.DataFrame, names: list[str]) -> pl.Series:
    """JSON of the cells that were there but could not be read, keyed by field."""
    raw = pl.Series("raw_values", [None] * typed.height, dtype=pl.String)
    if not names:
        return raw
    failed_cells = typed.select(
        (pl.col(n).is_null() & cleaned[n].is_not_null()).alias(n) for n in names)
    failed = failed_cells.select(pl.any_horizontal(pl.all())).to_series()
    if not failed.any():
        return raw
    indices = failed.arg_true()
    documents = []
    for flags, values in zip(failed_cells.filter(failed).iter_rows(named=True),
                             cleaned.select(names).filter(failed).iter_rows(named=True),
                             strict=True):
        kept = {n: values[n] for n in names if flags[n]}
        documents.append(json.dumps(kept, ensure_ascii=False, separators=(",", ":")))
    return raw.scatter(indices, pl.Series(documents, dtype=pl.String))


def _extra(typed: pl.DataFrame, table: SourceTable) -> pl.Expr:
    if not table.unknown:
        return pl.lit(None, dtype=pl.String).alias("extra")
    unknown = [pl.col(f"__extra_{p}").alias(h) for p, h in table.unknown.items()]
    return (
        pl.when(pl.any_horizontal(u.is_not_null() for u in unknown))
        .then(pl.struct(unknown).struct.json_encode())
        .alias("extra")
    )


def _dtype(kind: Kind) -> pl.DataType:
    return {
        Kind.COORDINATE: pl.Float64(), Kind.FLOAT: pl.Float64(), Kind.INT: pl.Int64(),
        Kind.DATE: pl.Date(),
    }.get(kind, pl.String())
