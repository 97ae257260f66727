"""A user outside a region cannot reach its cameras by any route, export or search."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from api.conftest import LANTIAN, LIJIANG, LVTONG, Estate, headers_for


def _all_device_ids(client: TestClient, headers: dict[str, str], **params: str) -> set[str]:
    answer = client.get("/api/cameras", headers=headers, params={"page_size": 500, **params})
    assert answer.status_code == 200, answer.text
    return {item["device_id"] for item in answer.json()["items"]}


def test_a_nanning_operator_sees_nanning_only(client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "operator")
    assert _all_device_ids(client, headers) == set(estate.nanning_ids)
    assert _all_device_ids(client, headers, city="桂林市") == set()
    assert _all_device_ids(client, headers, q=estate.guilin_ids[0]) == set()
    assert _all_device_ids(client, headers, q="解放东路") == set()
    kpis = client.get("/api/kpis", headers=headers).json()
    assert kpis["cameras"] == len(estate.nanning_ids)


def test_a_camera_outside_the_scope_is_not_found_by_any_route(
        client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "operator")
    guilin = estate.guilin_ids[0]
    for path in (f"/api/cameras/{guilin}", f"/api/cameras/{guilin}/probes",
                 f"/api/cameras/{guilin}/snapshot"):
        assert client.get(path, headers=headers).status_code == 404, path
    order = estate.order_of(estate.failing_guilin)
    assert client.get(f"/api/orders/{order}", headers=headers).status_code == 404
    assert client.post(f"/api/orders/{order}/close", headers=headers,
                       json={"reason": "x"}).status_code == 404
    assert client.get("/api/orders", headers=headers,
                      params={"device_id": guilin}).json()["total"] == 0
    # ... and the region-wide admin does find it
    admin = headers_for(client, "region_admin")
    assert client.get(f"/api/cameras/{guilin}", headers=admin).status_code == 200


def test_exports_counts_and_charts_keep_to_the_scope(client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "operator")
    answer = client.get("/api/cameras/export", headers=headers, params={"format": "csv"})
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    exported = {row[0].strip() for row in rows[1:]}
    assert exported == set(estate.nanning_ids)
    rates = client.get("/api/rates", headers=headers, params={"by": "city"}).json()["rows"]
    assert [r["city"] for r in rates] == ["南宁市"]
    points = client.get("/api/map/points", headers=headers).json()["points"]
    assert len(points) == len(estate.nanning_ids)
    assert all(p[0] < 109 for p in points)  # none in Guilin (lon ~110.3)
    findings = client.get("/api/findings", headers=headers,
                          params={"page_size": 500}).json()["items"]
    assert not {f["device_id"] for f in findings} & set(estate.guilin_ids)
    units = {r["maintenance_unit"] for r in client.get(
        "/api/scorecards", headers=headers,
        params={"by": "maintenance_unit"}).json()["rows"]}
    assert LIJIANG not in units


def test_a_maintenance_unit_sees_and_closes_only_its_own(client: TestClient,
                                                         estate: Estate) -> None:
    lvtong = headers_for(client, "maintenance_unit")
    orders = client.get("/api/orders", headers=lvtong).json()["items"]
    assert orders
    assert {o["maintenance_unit"] for o in orders} == {LVTONG}
    assert {c["maintenance_unit"] for c in client.get(
        "/api/cameras", headers=lvtong, params={"page_size": 500}).json()["items"]} == {LVTONG}
    theirs = estate.order_of(estate.failing_lantian)
    refused = client.post(f"/api/orders/{theirs}/close", headers=lvtong, json={"reason": "x"})
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
    lantian = headers_for(client, "lantian")
    assert {o["maintenance_unit"] for o in client.get(
        "/api/orders", headers=lantian).json()["items"]} == {LANTIAN}


def test_the_guilin_operator_never_counts_nanning(client: TestClient, estate: Estate) -> None:
    headers = headers_for(client, "guilin_operator")
    assert client.get("/api/kpis", headers=headers).json()["cameras"] == len(estate.guilin_ids)
    assert client.get(f"/api/cameras/{estate.nanning_ids[0]}", headers=headers
                      ).status_code == 404


def test_an_auditor_lists_the_accounts_of_its_own_region_only(client: TestClient) -> None:
    def usernames(who: str) -> set[str]:
        answer = client.get("/api/users", headers=headers_for(client, who),
                            params={"page_size": 500})
        assert answer.status_code == 200, answer.text
        return {u["username"] for u in answer.json()["items"]}

    nanning = usernames("auditor")
    assert {"auditor", "operator", "lantian"} <= nanning
    assert not {"region_admin", "guilin_operator"} & nanning
    assert {"region_admin", "guilin_operator"} <= usernames("region_admin")
