"""``vidgov audit``: findings per camera and scorecards per city, county, department, unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from vidgov.catalog.exporter import write_xlsx
from vidgov.catalog.scorecard import GroupBy
from vidgov.cli.context import state
from vidgov.cli.output import frame_table, print_json, stages, stderr, stdout
from vidgov.services.catalog import AuditReport, audit_catalog

SCORECARD_HEADERS = {
    "city": "市 city", "county": "县区 county", "department": "部门 department",
    "maintenance_unit": "维护单位 maintenance unit", "cameras": "设备数 cameras",
    "findings": "问题数 findings", "completeness_pct": "完整率% complete",
    "validity_pct": "合格率% valid", "score": "得分 score",
}
SHEET_NAMES = {GroupBy.CITY: "市级评分", GroupBy.COUNTY: "县级评分",
               GroupBy.DEPARTMENT: "部门评分", GroupBy.MAINTENANCE_UNIT: "维护单位评分"}
FINDING_HEADERS = {
    "device_id": "设备编码", "code": "问题代码", "description": "问题说明", "severity": "类别",
    "field": "字段", "value": "当前值", "detail": "详情", "suggestion": "建议修复",
    "city": "市", "county": "县区",
}


def audit_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Findings and scorecards as JSON.")]
    = False,
    xlsx: Annotated[Path | None, typer.Option(
        "--xlsx", help="Write a workbook: findings with repairs, one sheet per scorecard.")]
    = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="Scope: city=南宁市, county=青秀区, department=…, maintenance_unit=…, "
        "admin_code=4501* (repeatable).")] = None,
    by: Annotated[list[GroupBy] | None, typer.Option(
        "--by", help="Scorecards to print (default city).")] = None,
    today: Annotated[str | None, typer.Option(
        help="Audit as of this date (YYYY-MM-DD); default today.")] = None,
) -> None:
    """数据校验 Audit the catalog: completeness, validity, consistency, duplicates."""
    as_of = date.fromisoformat(today) if today else date.today()
    engine = state(ctx).engine()
    with stages(1, quiet=as_json) as progress:
        progress.start("auditing")
        report = audit_catalog(engine, where or [], as_of)
        progress.done()
    if xlsx is not None:
        _write_workbook(report, xlsx)
        stderr().print(f"wrote {report.findings.height:,} findings to {xlsx}")
    if as_json:
        print_json({
            "summary": report.summary,
            "findings": report.findings.to_dicts(),
            "scorecards": {by.value: card.to_dicts() for by, card in report.scorecards.items()},
        })
        return
    print_report(report, by or [GroupBy.CITY])


def print_report(report: AuditReport, groups: list[GroupBy]) -> None:
    console = stdout()
    s = report.summary
    console.print(
        f"[bold]设备 cameras {s['cameras']:,}[/] · 问题 findings {s['findings']:,} "
        f"（涉及 {s['cameras_with_findings']:,} 台）· 完整率 {s['completeness_pct']}% · "
        f"合格率 {s['validity_pct']}% · 得分 score {s['score']}")
    by_code = (
        report.findings.group_by("code", "description").len("count")
        .sort("count", descending=True)
    )
    console.print(frame_table(by_code, "问题分布 Findings by code",
                              {"code": "代码 code", "description": "说明", "count": "数量"}))
    for group in groups:
        console.print(frame_table(
            report.scorecards[group], f"{SHEET_NAMES[group]} Scorecard by {group.value}",
            SCORECARD_HEADERS, limit=30))


def _write_workbook(report: AuditReport, path: Path) -> None:
    findings = report.findings.select(list(FINDING_HEADERS)).rename(FINDING_HEADERS)
    sheets: dict[str, pl.DataFrame] = {"问题清单": findings}
    for group, card in report.scorecards.items():
        sheets[SHEET_NAMES[group]] = card.rename(
            {k: v for k, v in SCORECARD_HEADERS.items() if k in card.columns})
    write_xlsx(sheets, path)
