"""The web UI in a real browser: the real app on a loopback port, Debian's Chromium driving it.

The server is ``create_app`` under uvicorn in a background thread (127.0.0.1, port 0, the
bound port read back) over a throwaway SQLite store seeded by :mod:`e2e.estate`. Playwright
drives the system Chromium (``/usr/bin/chromium`` from scripts/install-system-deps.sh): its
own browser download is not used. When Chromium or the npm assets are missing the tests
fail and say how to install them; they are never skipped.

Screenshots go to ``$VIDGOV_TEST_ARTIFACTS`` (default: a pytest temporary folder).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from e2e.estate import PASSWORD, Estate, build_estate
from support.chromium import CHROMIUM_ARGS
from vidgov.api.app import create_app
from vidgov.settings import Settings
from vidgov.store.db import open_store
from vidgov.web import NODE_MODULES, SETUP_COMMAND, VENDOR_FILES

TIMEOUT_MS = 15_000


def chromium_path() -> str:
    """The system Chromium; a clear failure (not a skip) when it is not installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("the browser tests need Debian's Chromium: run "
                "`bash scripts/install-system-deps.sh` (it installs the `chromium` package)",
                pytrace=False)


def require_web_assets() -> None:
    missing = [n for n, rel in VENDOR_FILES.items() if not (NODE_MODULES / rel).is_file()]
    if missing:
        pytest.fail(f"the web UI's npm assets are missing ({', '.join(missing)}): "
                    f"run {SETUP_COMMAND}", pytrace=False)


@dataclass(frozen=True)
class LiveServer:
    url: str
    estate: Estate


class _ThreadedServer:
    """uvicorn in a daemon thread, stopped by flagging ``should_exit``."""

    def __init__(self, app: object) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",  # type: ignore[arg-type]
                                access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="e2e-uvicorn", daemon=True)

    def start(self, timeout_s: float = 30.0) -> int:
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        sockets: list[socket.socket] = [s for srv in self.server.servers for s in srv.sockets]
        port: int = sockets[0].getsockname()[1]
        return port

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("VIDGOV_TEST_ARTIFACTS")
    folder = Path(given) if given else tmp_path_factory.mktemp("e2e-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    require_web_assets()
    folder = tmp_path_factory.mktemp("e2e-store")
    url = f"sqlite:///{folder / 'vidgov.db'}"
    engine = open_store(url)
    estate = build_estate(engine, folder)
    server = _ThreadedServer(create_app(Settings(database_url=url, cockpit_ttl_s=0)))
    port = server.start()
    yield LiveServer(f"http://127.0.0.1:{port}", estate)
    server.stop()
    engine.dispose()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in the
    # main thread while it is open, and every later test that calls asyncio.run would fail.
    expect.set_options(timeout=TIMEOUT_MS)  # a loaded CI machine draws maps slowly
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    """A fresh browser profile per test: no cookies, no remembered language."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 960},
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    ctx.close()


@dataclass
class Pages:
    """The test's page, its console errors, and screenshots named after the test."""

    page: Page
    artifacts: Path
    test_name: str
    errors: list[str]

    def shot(self, step: str) -> Path:
        path = self.artifacts / f"{self.test_name}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def ui(context: BrowserContext, artifacts: Path, request: pytest.FixtureRequest
       ) -> Iterator[Pages]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    pages = Pages(page, artifacts, name, errors)
    yield pages
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        pages.shot("failed")
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so the ``ui`` fixture can screenshot failures."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
