"""What people get from the API: lists, one camera, evidence, orders, downloads, errors."""

from __future__ import annotations

import io
import time

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.conftest import LVTONG, Estate, headers_for
from vidgov.api.app import create_app
from vidgov.settings import Settings


def test_cameras_filter_by_status_and_search(client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "region_admin")
    unplayable = client.get("/api/cameras", headers=headers,
                            params={"status": "unplayable"}).json()["items"]
    assert [c["device_id"] for c in unplayable] == [estate.failing_nanning]
    assert unplayable[0]["faults"] == ["frozen"]
    offline = client.get("/api/cameras", headers=headers, params={"status": "offline"}).json()
    assert offline["total"] == 2
    page = client.get("/api/cameras", headers=headers, params={"page_size": 5, "page": 2}).json()
    assert (page["total"], len(page["items"]), page["page"]) == (20, 5, 2)
    found = client.get("/api/cameras", headers=headers, params={"q": "解放东路"}).json()
    assert found["total"] == len(estate.guilin_ids)


def test_one_camera_with_state_orders_history_and_snapshot(client: TestClient,
                                                           estate: Estate) -> None:
    headers = headers_for(client, "operator")
    camera = client.get(f"/api/cameras/{estate.failing_nanning}", headers=headers).json()
    assert (camera["city"], camera["county"], camera["playable"]) == ("南宁市", "青秀区", False)
    assert [o["fault"] for o in camera["orders"]] == ["frozen"]
    assert camera["maintenance_unit"] == LVTONG
    probes = client.get(f"/api/cameras/{estate.failing_nanning}/probes",
                        headers=headers).json()
    assert len(probes) == 2
    assert probes[0]["probed_at"] > probes[1]["probed_at"]
    snapshot = client.get(f"/api/cameras/{estate.failing_nanning}/snapshot", headers=headers)
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert snapshot.content[:2] == b"\xff\xd8"
    assert snapshot.headers["x-fault"] == "frozen"
    healthy = estate.nanning_ids[1]
    assert client.get(f"/api/cameras/{healthy}/snapshot", headers=headers).status_code == 404


def test_a_unit_closes_its_order_and_the_history_says_who(client: TestClient,
                                                          estate: Estate) -> None:
    headers = headers_for(client, "maintenance_unit")
    order = estate.order_of(estate.failing_nanning)
    closed = client.post(f"/api/orders/{order}/close", headers=headers,
                         json={"reason": "已重启编码器"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["events"][-1]["detail"] == "maintenance_unit: 已重启编码器"
    again = client.post(f"/api/orders/{order}/close", headers=headers, json={"reason": "x"})
    assert again.status_code == 422
    assert "already closed" in again.json()["detail"]


def test_kpis_and_rates_add_up(client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "region_admin")
    kpis = client.get("/api/kpis", headers=headers).json()
    assert kpis["cameras"] == 20
    assert kpis["online"] == 18
    assert kpis["playable"] == 17
    assert kpis["online_rate"] == 90.0
    assert kpis["playable_rate"] == 85.0
    rows = client.get("/api/rates", headers=headers, params={"by": "city"}).json()["rows"]
    assert {r["city"]: r["cameras"] for r in rows} == {"南宁市": 12, "桂林市": 8}
    nanning = client.get("/api/kpis", headers=headers, params={"city": "南宁市"}).json()
    assert nanning["cameras"] == 12
    trend = client.get("/api/rates/trend", headers=headers, params={"days": 366}).json()["rows"]
    assert trend
    assert trend[-1]["probes"] == 40
    regions = client.get("/api/map/regions", headers=headers).json()["rows"]
    assert {r["name"] for r in regions} == {"南宁市", "桂林市"}
    geo = client.get("/api/geo/boundaries", headers=headers, params={"level": "county"})
    assert len(geo.json()["features"]) == 111


def test_xlsx_download_opens_and_keeps_ids_as_text(client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "operator")
    answer = client.get("/api/cameras/export", headers=headers, params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(ids) == sorted(estate.nanning_ids)  # type: ignore[type-var]


def test_bad_parameters_are_problems_not_tracebacks(client: TestClient) -> None:
    headers = headers_for(client, "operator")
    for params in ({"city": "火星市"}, {"page_size": 10_000}, {"status": "sleepy"},
                   {"admin_code": "abc"}):
        answer = client.get("/api/cameras", headers=headers, params=params)
        assert answer.status_code == 422, params
        problem = answer.json()
        assert problem["status"] == 422
        assert problem["detail"]
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_metrics_count_requests_and_report_the_estate(client: TestClient) -> None:
    client.get("/api/kpis", headers=headers_for(client, "viewer"))
    text = client.get("/metrics").text
    assert 'vidgov_http_request_duration_seconds_count{method="GET",route="/api/kpis"' in text
    assert 'vidgov_cameras_latest_probe{outcome="offline"} 2.0' in text
    assert "vidgov_sweep_duration_seconds_count 2.0" in text


def test_the_read_model_is_built_at_start_up_and_health_says_so(estate: Estate) -> None:
    url = estate.engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(database_url=url, cockpit_ttl_s=60))) as warm:
        deadline = time.monotonic() + 30
        while (state := warm.get("/healthz").json()["read_model"]) != "ready":
            assert state == "warming"
            assert time.monotonic() < deadline, "the read model was never built"
            time.sleep(0.05)
    with TestClient(create_app(Settings(database_url=url, cockpit_ttl_s=0))) as cold:
        assert cold.get("/healthz").json() == {"status": "ok", "read_model": "off"}
