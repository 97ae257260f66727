"""The counts and events page in Chromium: charts per city and over time, counts per camera,
events with their pictures, inside the user's scope, in Chinese and in English."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import polars as pl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from e2e.conftest import LiveServer, Pages, sign_in
from e2e.estate import PASSWORD
from vidgov.analytics.events import Event, EventKind
from vidgov.analytics.pipeline import SERIES_SCHEMA
from vidgov.catalog.models import Camera
from vidgov.domain.divisions import load_divisions
from vidgov.services.analytics import record_run
from vidgov.sharing.accounts import create_user
from vidgov.sharing.policy import Role

pytestmark = pytest.mark.browser

NANNING_USER = "nanning_analyst"


@dataclass(frozen=True)
class Seeded:
    nanning: str
    guilin: str


def _picture() -> bytes:
    frame = np.full((180, 320, 3), 70, np.uint8)
    cv2.rectangle(frame, (100, 50), (220, 150), (40, 160, 240), -1)
    ok, data = cv2.imencode(".jpg", frame)
    assert ok
    return bytes(data)


def _series(camera: str, people_in: int) -> pl.DataFrame:
    rows = [{**dict.fromkeys(SERIES_SCHEMA), "camera_id": camera, "minute": m, "kind": "line",
             "region_id": "gate", "class_name": "person", "in_count": people_in + m,
             "out_count": m} for m in range(3)]
    return pl.DataFrame(rows, schema=SERIES_SCHEMA)


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> Seeded:
    """Counts and a crowd on one Nanning and one Guilin camera, two hours ago; a department
    user whose scope is Nanning."""
    engine = live_server.estate.engine
    started = datetime.now(UTC) - timedelta(hours=2)
    with Session(engine) as session, session.begin():
        nanning, guilin = (session.scalars(
            select(Camera.device_id).where(Camera.admin_code.like(f"{prefix}%"))
            .order_by(Camera.device_id).limit(1)).one() for prefix in ("4501", "4503"))
        for camera, people, peak in ((nanning, 30, 24.0), (guilin, 50, 35.0)):
            event = Event(EventKind.CROWD, camera, "square", 20.0, 80.0, peak, 20.0,
                          ("person",), (1, 2, 3), {"reason": "sustained"}, _picture())
            record_run(session, camera, started, _series(camera, people), [event])
        create_user(session, NANNING_USER, PASSWORD, Role.DEPARTMENT_USER, ["450100"],
                    load_divisions())
    return Seeded(nanning, guilin)


def open_page(ui: Pages, username: str) -> Page:
    page = ui.page
    page.goto("/analytics.html")
    page.wait_for_url(re.compile(r"/login\.html"))
    sign_in(page, username)
    page.wait_for_url(re.compile(r"/analytics\.html"))
    expect(page.locator("body")).to_have_attribute("data-loaded", "1")
    return page


def test_a_nanning_user_sees_nanning_counts_and_events_with_pictures(
        ui: Pages, seeded: Seeded) -> None:
    page = open_page(ui, NANNING_USER)
    expect(page.locator("h1")).to_have_text("客流与事件")
    expect(page.locator("#places-chart")).to_have_attribute("data-groups", "1")
    expect(page.locator("#trend-chart")).to_have_attribute("data-buckets", re.compile(r"2[45]"))
    rows = page.locator("#cameras tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("93")  # 30 + 31 + 32 people in over three minutes
    cards = page.locator("#events .event")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("人群聚集")
    expect(cards.first).to_contain_text("峰值 24（阈值 20），持续 60 秒")
    picture = cards.first.locator("img")
    expect(picture).to_have_attribute("src", re.compile(r"^/api/analytics/events/\d+/snapshot$"))
    page.wait_for_function("img => img.complete && img.naturalWidth === 320",
                           arg=picture.element_handle())
    ui.shot("nanning")


def test_the_region_sees_both_cities_and_a_city_filter_narrows_it(
        ui: Pages, seeded: Seeded) -> None:
    page = open_page(ui, "operator")
    expect(page.locator("#places-chart")).to_have_attribute("data-groups", "2")
    expect(page.locator("#events .event")).to_have_count(2)
    page.select_option("#city-filter", "450300")
    expect(page.locator("body")).to_have_attribute("data-loaded", "1")
    expect(page.locator("#events .event")).to_have_count(1)
    expect(page.locator("#events .event").first).to_contain_text("峰值 35")
    expect(page.locator("#places-title")).to_have_text("各区县通过计数")
    assert "city=450300" in page.url
    page.select_option("#class-filter", "vehicle")
    expect(page.locator("body")).to_have_attribute("data-loaded", "1")
    expect(page.locator("#cameras td.empty")).to_have_text("该时段没有计数")
    ui.shot("guilin-vehicles")


def test_in_english_and_not_offered_to_a_maintenance_unit(ui: Pages, seeded: Seeded) -> None:
    page = open_page(ui, "operator")
    page.click("#lang-toggle")
    expect(page.locator("h1")).to_have_text("Counts and events")
    expect(page.locator("body")).to_have_attribute("data-loaded", "1")
    expect(page.locator("#events .event").first).to_contain_text("Crowd")
    expect(page.locator('nav.pages a[data-page="analytics"]')).to_have_text("Counts & events")
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login\.html"))
    sign_in(page, "unit")
    page.wait_for_url(re.compile(r"/$|/index\.html"))
    expect(page.locator('nav.pages a[data-page="analytics"]')).to_have_count(0)
    page.goto("/analytics.html")
    expect(page.locator("main .error")).to_contain_text("analytics.read")
