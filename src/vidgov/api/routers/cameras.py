"""Catalog search, one camera, its probe history and evidence, downloads."""

from __future__ import annotations

import tempfile
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam

from vidgov.api.deps import ServicesDep, account_for
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.routers.params import PagingDep, PlacesDep
from vidgov.api.schemas import CameraDetail, CameraOut, CameraPage, ProbeOut
from vidgov.services import records
from vidgov.services.catalog import ExportFormat, write_catalog
from vidgov.services.records import CameraQuery, CameraStatus
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Action

router = APIRouter(prefix="/api", tags=["cameras"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Account, account_for(Action.CAMERA_READ)]
DeviceId = Annotated[str, PathParam(min_length=1, max_length=64)]
Search = Annotated[str | None, Query(max_length=100,
                                     description="Device ID prefix, or part of name/address")]


class DownloadFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@router.get("/cameras")
def list_cameras(account: Reader, services: ServicesDep, places: PlacesDep, paging: PagingDep,
                 q: Search = None, status: CameraStatus | None = None) -> CameraPage:
    """Search the catalog in scope: filters, text search, latest state, paged."""
    page = records.camera_page(services.engine, services.divisions, account.scope,
                               CameraQuery(places, q, status), paging.page, paging.page_size,
                               services.view.frames())
    return CameraPage(items=[CameraOut(**i) for i in page.items], total=page.total,
                      page=page.page, page_size=page.page_size)


_DOWNLOAD_TYPES = {
    DownloadFormat.CSV: "text/csv; charset=utf-8",
    DownloadFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/cameras/export", response_class=Response,
            responses={200: {"content": {t: {} for t in _DOWNLOAD_TYPES.values()}}})
def export_cameras(account: Annotated[Account, account_for(Action.CAMERA_EXPORT)],
                   services: ServicesDep, places: PlacesDep, q: Search = None,
                   status: CameraStatus | None = None,
                   format: DownloadFormat = DownloadFormat.CSV) -> Response:
    """The filtered catalog in scope as a file that opens cleanly in Excel."""
    frame = records.camera_frame(services.engine, services.divisions, account.scope,
                                 CameraQuery(places, q, status))
    with tempfile.TemporaryDirectory(prefix="vidgov-export-") as folder:
        path = Path(folder) / f"catalog.{format.value}"
        write_catalog(frame, ExportFormat(format.value), path)
        body = path.read_bytes()
    name = f"视频监控目录-{date.today().isoformat()}.{format.value}"
    return Response(body, media_type=_DOWNLOAD_TYPES[format], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/cameras/{device_id}")
def get_camera(device_id: DeviceId, account: Reader, services: ServicesDep) -> CameraDetail:
    """One camera: record, latest state, catalog findings, work orders."""
    detail = records.camera_detail(services.engine, services.divisions, account.scope,
                                   device_id, services.view.frames().findings)
    return CameraDetail(**detail)


@router.get("/cameras/{device_id}/probes")
def camera_probes(device_id: DeviceId, account: Reader, services: ServicesDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[ProbeOut]:
    """The camera's probe history, newest first."""
    return [ProbeOut(**p) for p in records.probe_history(services.engine, account.scope,
                                                         device_id, limit)]


@router.get("/cameras/{device_id}/snapshot", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def camera_snapshot(device_id: DeviceId,
                    account: Annotated[Account, account_for(Action.SNAPSHOT_READ)],
                    services: ServicesDep) -> Response:
    """The newest diagnosis evidence picture (downscaled JPEG), faces and plates blurred."""
    jpeg, code = records.latest_snapshot(services.engine, account.scope, device_id)
    return Response(services.redact(jpeg), media_type="image/jpeg",
                    headers={"X-Fault": code, "Cache-Control": "private, max-age=60"})
