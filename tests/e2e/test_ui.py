"""The web UI end to end: sign in, the cockpit map and its city filter, catalog search to a
camera, closing work orders as a maintenance unit (and being refused another unit's), the
English switch, and what a viewer is not shown."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from e2e.conftest import LiveServer, Pages, sign_in
from e2e.estate import SWEEP_AGES, state_of
from vidgov.maintenance.models import WorkOrder
from vidgov.sharing.policy import Role

pytestmark = pytest.mark.browser

NANNING = "450100"


def api(page: Page, path: str) -> Any:
    """GET an API path with the page's session cookie."""
    answer = page.request.get(path)
    assert answer.ok, f"{path}: {answer.status} {answer.text()}"
    return answer.json()


def sign_in_at(ui: Pages, username: str, path: str = "/") -> Page:
    page = ui.page
    page.goto(path)
    page.wait_for_url(re.compile(r"/login\.html"))
    sign_in(page, username)
    return page


def wait_for_cockpit(page: Page, city: str = "") -> None:
    expect(page.locator("body")).to_have_attribute("data-city", city)
    expect(page.locator("#map")).to_have_attribute("data-rendered", "1")


def test_sign_in_refuses_a_wrong_password_then_shows_the_map(ui: Pages,
                                                              live_server: LiveServer) -> None:
    page = ui.page
    page.goto("/")
    page.wait_for_url(re.compile(r"/login\.html\?next=%2F"))  # a 401 sends us to sign in
    sign_in(page, "operator", "not the password")
    error = page.locator("#login-error")
    expect(error).to_be_visible()
    expect(error).to_have_text("用户名或密码错误，或账号已停用")
    ui.shot("1-refused")

    sign_in(page, "operator")
    page.wait_for_url(f"{live_server.url}/")
    wait_for_cockpit(page)
    expect(page.locator("#me")).to_contain_text("operator")
    points = api(page, "/api/map/points")["points"]
    kpis = api(page, "/api/kpis")
    assert len(points) > 0.9 * live_server.estate.cameras  # a few records have no coordinates
    expect(page.locator("#map")).to_have_attribute("data-points", str(len(points)))
    expect(page.locator("#map canvas").first).to_be_visible()
    expect(page.locator("[data-kpi=cameras] .kpi-value")).to_have_text(str(kpis["cameras"]))
    expect(page.locator("[data-kpi=online_rate] .kpi-value")).to_have_text(
        f"{kpis['online_rate']:.1f}%")
    expect(page.locator("[data-kpi=open_orders] .kpi-value")).to_have_text(
        str(kpis["open_orders"]))
    expect(page.locator("#rates")).to_have_attribute(
        "data-groups", str(len(api(page, "/api/rates?by=city")["rows"])))
    expect(page.locator("#trend")).to_have_attribute("data-days", re.compile(r"^[1-9]"))
    ui.shot("2-cockpit")


def test_the_city_filter_drives_map_kpis_and_charts(ui: Pages, live_server: LiveServer) -> None:
    page = sign_in_at(ui, "operator")
    wait_for_cockpit(page)
    all_points = int(page.get_attribute("#map", "data-points") or 0)

    page.select_option("#city-filter", NANNING)
    wait_for_cockpit(page, NANNING)
    expect(page).to_have_url(re.compile(rf"\?city={NANNING}$"))
    kpis = api(page, f"/api/kpis?city={NANNING}")
    points = api(page, f"/api/map/points?city={NANNING}")["points"]
    counties = api(page, f"/api/rates?by=county&city={NANNING}")["rows"]
    assert 0 < len(points) < all_points
    inside = [p for p in points if 107.3 < p[0] < 109.7 and 22.2 < p[1] < 24.1]
    assert len(inside) > 0.9 * len(points)  # the rest are the catalog's misplaced records
    expect(page.locator("#map")).to_have_attribute("data-points", str(len(points)))
    expect(page.locator("#kpis")).to_have_attribute("data-cameras", str(kpis["cameras"]))
    expect(page.locator("#rates")).to_have_attribute("data-groups", str(len(counties)))
    expect(page.locator("#rates-title")).to_have_text("各区县在线率与可播放率")
    ui.shot("nanning")

    page.reload()  # the filter is in the URL
    wait_for_cockpit(page, NANNING)
    expect(page.locator("#city-filter")).to_have_value(NANNING)


def test_catalog_search_opens_a_camera_with_its_snapshot_and_history(
        ui: Pages, live_server: LiveServer) -> None:
    page = sign_in_at(ui, "operator", "/catalog.html")
    page.wait_for_url(re.compile(r"/catalog\.html$"))
    expect(page.locator("#results")).to_have_attribute("data-total", str(
        api(page, "/api/cameras?page_size=1")["total"]))
    last = len(SWEEP_AGES) - 1
    frozen = next(c for c in api(page, "/api/cameras?status=unplayable&page_size=500")["items"]
                  if "frozen" in state_of(c["device_id"], last)[2] and c["name"])

    page.fill("#q", frozen["name"])
    page.select_option("#status", "unplayable")
    page.click("#search button[type=submit]")
    expect(page).to_have_url(re.compile(r"status=unplayable"))
    link = page.locator("#results a", has_text=frozen["device_id"])
    expect(link).to_be_visible()
    expect(page.locator("#export-csv")).to_have_attribute("href", re.compile(
        r"^/api/cameras/export\?q=.+&status=unplayable&format=csv$"))
    download = page.request.get(page.get_attribute("#export-csv", "href") or "")
    assert download.ok
    assert frozen["device_id"] in download.body().decode("utf-8-sig")
    ui.shot("1-search")

    link.click()
    page.wait_for_url(re.compile(r"/camera\.html\?id="))
    expect(page.locator("body")).to_have_attribute("data-camera", frozen["device_id"])
    expect(page.locator("#camera-name")).to_have_text(frozen["name"])
    expect(page.locator("#camera-state .badge")).to_have_text("在线不可播放")
    expect(page.locator("#camera-state .tag")).to_contain_text(["画面冻结"])
    expect(page.locator("#snapshot")).to_be_visible()  # its evidence JPEG
    assert page.evaluate("document.querySelector('#snapshot').naturalWidth") > 0
    expect(page.locator("#probes tbody tr")).to_have_count(len(SWEEP_AGES))
    expect(page.locator("#orders tbody tr").first).to_contain_text("画面冻结")
    ui.shot("2-camera")


def test_a_camera_without_evidence_hides_the_snapshot(ui: Pages,
                                                      live_server: LiveServer) -> None:
    page = sign_in_at(ui, "operator", "/catalog.html?status=playable")
    page.wait_for_url(re.compile(r"/catalog\.html"))
    healthy = next(c for c in api(page, "/api/cameras?status=playable&page_size=500")["items"]
                   if not c["faults"])
    page.locator("#results tbody a", has_text=healthy["device_id"]).click()
    expect(page.locator("body")).to_have_attribute("data-camera", healthy["device_id"])
    expect(page.locator("#probes tbody tr")).to_have_count(len(SWEEP_AGES))
    assert page.request.get(f"/api/cameras/{healthy['device_id']}/snapshot").status == 404
    expect(page.locator("#snapshot-panel")).to_be_hidden()


def test_a_unit_closes_its_own_order_and_is_refused_another_units(
        ui: Pages, live_server: LiveServer) -> None:
    estate = live_server.estate
    unit = estate.user(Role.MAINTENANCE_UNIT)
    page = sign_in_at(ui, unit.username, "/orders.html")
    page.wait_for_url(re.compile(r"/orders\.html$"))
    expect(page.locator("#me")).to_contain_text(estate.unit)

    # Only its own orders are listed: the other unit's, in the same city, is not.
    listed = api(page, "/api/orders?page_size=500")
    assert listed["total"] <= 50, "the board's first page should hold every order of the unit"
    assert {o["maintenance_unit"] for o in listed["items"]} == {estate.unit}
    expect(page.locator("#board")).to_have_attribute("data-total", str(listed["total"]))
    expect(page.locator(f"button.close-order[data-order='{estate.own_order}']")).to_be_visible()
    foreign_link = f"#board a[href='/orders.html?id={estate.foreign_order}']"
    expect(page.locator(foreign_link)).to_have_count(0)
    ui.shot("1-board")

    page.click(f"button.close-order[data-order='{estate.own_order}']")
    expect(page.locator("#close-dialog")).to_be_visible()
    page.fill("#close-reason", "已更换电源适配器")
    ui.shot("2-close-dialog")
    page.click("#close-confirm")
    expect(page.locator("#notice")).to_have_text(f"工单 #{estate.own_order} 已关闭")
    expect(page.locator(f"button.close-order[data-order='{estate.own_order}']")).to_have_count(0)
    closed = api(page, f"/api/orders/{estate.own_order}")
    assert closed["status"] == "closed"
    assert closed["events"][-1]["kind"] == "closed"
    assert f"{unit.username}: 已更换电源适配器" in closed["events"][-1]["detail"]
    ui.shot("3-closed")

    # The other unit's order, asked for by number: the page shows the refusal.
    page.goto(f"/orders.html?id={estate.foreign_order}")
    refusal = page.locator("#board .error")
    expect(refusal).to_have_attribute("data-status", "404")
    expect(refusal).to_contain_text(str(estate.foreign_order))
    ui.shot("4-foreign-refused")
    answer = page.request.post(f"/api/orders/{estate.foreign_order}/close",
                               data={"reason": "不是我们的"})
    assert answer.status == 404
    assert answer.headers["content-type"].startswith("application/problem+json")
    with Session(estate.engine) as session:
        assert session.get(WorkOrder, estate.foreign_order).status != "closed"  # type: ignore[union-attr]


def test_closing_an_order_closed_meanwhile_shows_the_servers_reason(
        ui: Pages, live_server: LiveServer) -> None:
    estate = live_server.estate
    page = sign_in_at(ui, estate.user(Role.OPERATOR).username, "/orders.html?status=escalated")
    button = page.locator("button.close-order").first
    expect(button).to_be_visible()
    order_id = button.get_attribute("data-order")
    closed = page.request.post(f"/api/orders/{order_id}/close", data={"reason": "另一处已处理"})
    assert closed.ok  # someone else closes it while the board is open

    button.click()
    page.fill("#close-reason", "重复关闭")
    page.click("#close-confirm")
    refusal = page.locator("#close-error")
    expect(refusal).to_be_visible()
    expect(refusal).to_have_attribute("data-status", "422")
    expect(refusal).to_contain_text("操作被拒绝")
    expect(refusal).to_contain_text(str(order_id))
    expect(page.locator("#notice .error")).to_be_visible()
    ui.shot("refused")


def test_the_english_switch_is_remembered(ui: Pages, live_server: LiveServer) -> None:
    page = sign_in_at(ui, "operator")
    wait_for_cockpit(page)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("[data-page=cockpit]")).to_have_text("驾驶舱")

    page.click("#lang-toggle")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_for_cockpit(page)
    expect(page.locator("[data-page=cockpit]")).to_have_text("Cockpit")
    expect(page.locator("[data-page=orders]")).to_have_text("Work orders")
    expect(page.locator("[data-kpi=cameras] .kpi-label")).to_have_text("Cameras")
    expect(page.locator("#lang-toggle")).to_have_text("中文")
    expect(page.locator("#city-filter option[value='']")).to_have_text("Whole region (all cities)")
    ui.shot("1-english")

    page.goto("/orders.html")  # another page, same language
    expect(page.locator("#orders-title")).to_have_text("Work orders")
    expect(page.locator("#status-tabs [data-status=open]")).to_have_text("Open")
    ui.shot("2-english-orders")

    page.click("#lang-toggle")
    expect(page.locator("#orders-title")).to_have_text("运维工单")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_a_viewer_sees_only_the_cockpit(ui: Pages, live_server: LiveServer) -> None:
    page = sign_in_at(ui, "viewer")
    wait_for_cockpit(page)
    expect(page.locator(".pages a")).to_have_count(1)
    expect(page.locator(".pages a")).to_have_text("驾驶舱")

    page.goto("/orders.html")
    expect(page.locator("main .error")).to_contain_text("当前账号没有此功能的权限")
    assert page.request.get("/api/orders").status == 403
    ui.shot("refused")


def test_signing_out_and_back_in_returns_to_the_page(ui: Pages, live_server: LiveServer) -> None:
    page = sign_in_at(ui, "operator", "/catalog.html?q=%E5%8D%97%E5%AE%81")
    page.wait_for_url(re.compile(r"/catalog\.html\?q="))
    expect(page.locator("#q")).to_have_value("南宁")

    page.click("#logout")
    page.wait_for_url(re.compile(r"/login\.html$"))
    assert page.request.get("/api/me").status == 401
    page.goto("/audit.html")
    page.wait_for_url(re.compile(r"/login\.html\?next=%2Faudit\.html$"))


@pytest.mark.parametrize("target", ["//example.org/x", "/\\example.org/x",
                                    "https://example.org/x"])
def test_signing_in_never_leaves_the_site(ui: Pages, live_server: LiveServer,
                                          target: str) -> None:
    page = ui.page
    page.goto(f"/login.html?next={quote(target, safe='')}")
    sign_in(page, "viewer")
    page.wait_for_url(f"{live_server.url}/")
    wait_for_cockpit(page)


def test_the_map_stays_fluid_with_250000_points(ui: Pages, live_server: LiveServer) -> None:
    """The whole province's worth of points drawn by the cockpit's own map module."""
    page = sign_in_at(ui, "operator")
    wait_for_cockpit(page)
    elapsed_ms = page.evaluate("""async () => {
        const { drawMap } = await import("/js/charts/map.js");
        const points = [];
        for (let i = 0; i < 250000; i++) {
            const a = (i * 2.399963) % (2 * Math.PI), r = Math.sqrt(i / 250000) * 2.2;
            points.push([108.8 + r * Math.cos(a), 23.8 + 0.8 * r * Math.sin(a), i % 4]);
        }
        const el = document.querySelector("#map");
        const started = performance.now();
        await drawMap(el, "", points);
        await new Promise((done) => {
            const check = () => (el.dataset.rendered === "1" ? done() : setTimeout(check, 20));
            check();
        });
        return performance.now() - started;
    }""")
    expect(page.locator("#map")).to_have_attribute("data-points", "250000")
    ui.shot("250k")
    assert elapsed_ms < 8000, f"250,000 points took {elapsed_ms:.0f} ms to draw"
