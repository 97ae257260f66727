"""``vidgov catalog``: synthesise, import and export camera catalogs.

Each command imports the services it uses when it runs: the export and synthesis services
pull in numpy, the audit's geometry and the estate simulator, which ``import`` (the command
people wait for) does not need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from vidgov.catalog.exporter import Encoding, ExportFormat, Headers
from vidgov.catalog.importer import ImportReport, import_catalog
from vidgov.catalog.rejects import write_rejects
from vidgov.cli.context import state
from vidgov.cli.output import print_json, stages, stderr, stdout
from vidgov.errors import InvalidInput

app = typer.Typer(help="资源目录 Camera catalog: synthesise, import, export.",
                  no_args_is_help=True)


@app.command("synth")
def synth_command(
    cameras: Annotated[int, typer.Option("--cameras", min=1, help="How many cameras.")],
    out: Annotated[Path, typer.Option("--out", help="The catalog file to write.")],
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same estate.")] = 1,
    truth: Annotated[Path | None, typer.Option(
        "--truth", help="CSV device_id,code of every injected defect.")] = None,
    rate: Annotated[list[str] | None, typer.Option(
        "--rate", help="Defect rate CODE=P, e.g. missing_name=0.02 (repeatable).")] = None,
    encoding: Annotated[Encoding, typer.Option(help="File encoding.")] = Encoding.UTF8_BOM,
    headers: Annotated[Headers, typer.Option(help="Header language.")] = Headers.ZH,
) -> None:
    """合成广西视频监控目录 A realistic synthetic Guangxi camera estate with known defects."""
    from vidgov.services.estate import write_estate

    with stages(2) as progress:
        progress.start(f"synthesising {cameras:,} cameras")
        written = write_estate(cameras, seed, rate or [], out, truth, encoding, headers)
        progress.done()
    stderr().print(f"wrote {written.records:,} cameras to {out}"
                   + (f", {written.defects:,} injected defects to {truth}" if truth else ""))


@app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="CSV (UTF-8/GBK) or XLSX catalog files.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print counts as JSON.")] = False,
    rejects: Annotated[Path | None, typer.Option(
        "--rejects", help="Where to list rejected rows (CSV); default "
        "<first file>.rejects.csv in the current folder.")] = None,
) -> None:
    """导入资源目录 Import catalog files; re-import updates by device ID, nothing is lost."""
    with stages(1, quiet=as_json) as progress:
        progress.start(f"importing {len(files)} file(s)")
        # The store is opened (created, migrated) once the files are being read.
        report = import_catalog(state(ctx).engine, files)
        progress.done()
    for sheet in report.skipped_sheets:
        stderr().print(f"[yellow]not imported, no catalog header: {escape(sheet)}[/]")
    rejects_path = rejects or Path(f"{files[0].stem}.rejects.csv")
    if report.rejects or rejects is not None:
        write_rejects(report.rejects, rejects_path)
    if as_json:
        print_json(report.counts())
    else:
        _print_import(report, rejects_path)


def _print_import(report: ImportReport, rejects_path: Path) -> None:
    counts = report.counts()
    stdout().print(
        "读取 read {read:,} · 新增 inserted {inserted:,} · 更新 updated {updated:,} · "
        "未变 unchanged {unchanged:,} · 拒收 rejected {rejected:,}".format(**counts))
    if report.rejects:
        reasons: dict[str, int] = {}
        for reject in report.rejects:
            reasons[reject.reason] = reasons.get(reject.reason, 0) + 1
        listed = ", ".join(f"{reason} {n:,}" for reason, n in sorted(reasons.items()))
        stderr().print(f"[yellow]rejected rows ({listed}) are listed in {rejects_path}[/]")


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv, xlsx or geojson.")],
    out: Annotated[Path | None, typer.Option("--out", help="Default catalog.<format>.")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="Scope, e.g. city=南宁市 (repeatable).")] = None,
    headers: Annotated[Headers, typer.Option(help="Header language.")] = Headers.ZH,
    encoding: Annotated[Encoding, typer.Option(help="CSV encoding.")] = Encoding.UTF8_BOM,
) -> None:
    """导出资源目录 Export the catalog (CSV opens cleanly in Excel)."""
    from vidgov.services.catalog import export_catalog

    path = out or Path(f"catalog.{fmt.value}")
    if path.is_dir():
        raise InvalidInput(f"--out {path} is a folder; give a file name")
    count = export_catalog(state(ctx).engine(), fmt, path, where or [], headers, encoding)
    stderr().print(f"exported {count:,} cameras to {path}")
