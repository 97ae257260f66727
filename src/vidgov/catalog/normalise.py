"""Turning what clerks type into typed values, for a whole column at a time.

Full-width digits, stray spaces, "NULL"/"无"/"-" for empty, coordinates in decimal or
degree-minute-second form, dates written three ways, point classes in Chinese numerals. Every
rule is a polars expression over a column, so 250,000 rows normalise in a fraction of a second.
A value that cannot be parsed is not dropped: it stays verbatim in ``raw_values`` for the audit
to report and the clerk to fix.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from vidgov.catalog.fields import FIELDS, Kind
from vidgov.catalog.reading import LINE, SourceTable

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
_DATE = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_COMPACT_DATE = r"^(\d{4})(\d{2})(\d{2})$"


#: Characters NFKC leaves alone: ASCII and the CJK unified ideographs. Only cells holding
#: anything else (full-width forms, ideographic space, ″, circled digits…) are normalised,
#: which spares the NFKC cost on the mostly-ASCII columns (IDs, URLs, dates, coordinates).
_NFKC_STABLE = r"^[\x00-\x7f\u4e00-\u9fff]*$"


def nfkc(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """NFKC-normalise ``columns``, touching only the cells that can change."""
    replaced = []
    for name in columns:
        series = frame.get_column(name)
        unstable = ~series.str.contains(_NFKC_STABLE).fill_null(True)
        if unstable.any():
            indices = unstable.arg_true()
            series = series.scatter(indices, series.gather(indices).str.normalize("NFKC"))
            replaced.append(series)
    return frame.with_columns(replaced) if replaced else frame


def clean_text(column: pl.Expr) -> pl.Expr:
    """Trim, collapse inner whitespace runs, and the empty tokens to null (after NFKC)."""
    text = column.str.replace_all(r"\s+", " ").str.strip_chars()
    return pl.when(text.is_in(EMPTY_TOKENS)).then(None).otherwise(text)


def clean_code(column: pl.Expr) -> pl.Expr:
    """Like :func:`clean_text`, but codes lose every space and Excel's text markers (' and tab)."""
    text = clean_text(column).str.replace_all(r"\s", "").str.strip_chars_start("'`")
    return pl.when(text == "").then(None).otherwise(text)


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
    """
    used = [f"c{p}" for p in (*table.fields.values(), *table.unknown)]
    frame = nfkc(table.frame, used)
    exprs: list[pl.Expr] = [pl.col(LINE)]
    failures: list[pl.Expr] = []
    for f in FIELDS:
        position = table.fields.get(f.name)
        if position is None:
            exprs.append(pl.lit(None, dtype=_dtype(f.kind)).alias(f.name))
            continue
        source = pl.col(f"c{position}")
        if f.kind is Kind.CODE:
            cleaned = clean_code(source)
            exprs.append(cleaned.alias(f.name))
            continue
        cleaned = clean_text(source)
        if f.kind is Kind.TEXT:
            value = cleaned
        elif f.kind is Kind.COORDINATE:
            value = parse_coordinate(cleaned)
        elif f.kind is Kind.DATE:
            value = parse_date(cleaned)
        elif f.name == "secrecy":
            value = parse_words(cleaned, SECRECY_WORDS)
        else:
            value = parse_words(cleaned, POINT_CLASS_WORDS)
        exprs.append(value.alias(f.name))
        if f.kind is not Kind.TEXT:
            failures.append(
                pl.when(cleaned.is_not_null() & value.is_null()).then(cleaned).alias(f.name))
    # Lazy, so the cleaned text each parser starts from is computed once (CSE).
    return frame.lazy().select(
        *exprs, _json_object(failures).alias("raw_values"), _extra(table).alias("extra")
    ).collect()


def _dtype(kind: Kind) -> pl.DataType:
    return {
        Kind.COORDINATE: pl.Float64(), Kind.FLOAT: pl.Float64(), Kind.INT: pl.Int64(),
        Kind.DATE: pl.Date(),
    }.get(kind, pl.String())


def _json_object(members: list[pl.Expr]) -> pl.Expr:
    """A JSON object of the non-null members, or null when all are null."""
    if not members:
        return pl.lit(None, dtype=pl.String)
    pieces = [
        pl.when(m.is_not_null()).then(
            pl.concat_str(pl.lit(_json_key(m)), _json_string(m)))
        for m in members
    ]
    body = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    return pl.when(pl.any_horizontal(m.is_not_null() for m in members)).then(
        pl.concat_str(pl.lit("{"), body, pl.lit("}")))


def _json_key(member: pl.Expr) -> str:
    name = member.meta.output_name()
    return f"{_quote(name)}:"


def _quote(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _json_string(value: pl.Expr) -> pl.Expr:
    escaped = (
        value.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
        .str.replace_all(r"[\x00-\x1f]", " ")
    )
    return pl.concat_str(pl.lit('"'), escaped, pl.lit('"'))


def _extra(table: SourceTable) -> pl.Expr:
    members = [
        clean_text(pl.col(f"c{position}")).alias(header)
        for position, header in table.unknown.items()
    ]
    return _json_object(members)
