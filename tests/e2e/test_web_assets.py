"""The web UI's files without a browser: one dictionary per language with the same strings,
no string used that neither has, nothing fetched from another origin, the vendor route."""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vidgov.catalog.findings import FindingCode
from vidgov.catalog.scorecard import GroupBy
from vidgov.probing.results import FaultCode
from vidgov.quality.models import QualityFault
from vidgov.services.records import OrderStatus
from vidgov.sharing.policy import Role
from vidgov.web import STATIC_DIR, VENDOR_FILES, mount_web, vendor_response

I18N = STATIC_DIR / "js" / "i18n.js"


def dictionary(language: str) -> set[str]:
    source = I18N.read_text(encoding="utf-8")
    block = re.search(rf"^const {language} = \{{\n(.*?)^\}};", source, re.M | re.S)
    assert block is not None, f"no `const {language} = {{...}};` in {I18N.name}"
    return set(re.findall(r'^\s+"([\w.]+)":', block.group(1), re.M))


def static_files(*suffixes: str) -> list[Path]:
    return sorted(p for p in STATIC_DIR.rglob("*") if p.suffix in suffixes)


def test_both_languages_have_the_same_strings() -> None:
    zh, en = dictionary("zh"), dictionary("en")
    assert len(zh) > 100
    assert zh - en == set(), "missing in English"
    assert en - zh == set(), "missing in Chinese"


def test_every_string_the_pages_name_is_in_the_dictionary() -> None:
    known = dictionary("zh")
    named: set[str] = set()
    for page in static_files(".html"):
        named |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([\w.]+)"',
                                page.read_text(encoding="utf-8")))
    for module in static_files(".js"):
        named |= set(re.findall(r'\bt\("([\w.]+)"', module.read_text(encoding="utf-8")))
    assert named, "no strings found: has the markup changed?"
    assert named - known == set()


@pytest.mark.parametrize(("prefix", "codes"), [
    ("role", Role), ("fault", FaultCode), ("fault", QualityFault), ("finding", FindingCode),
    ("order", OrderStatus), ("by", GroupBy),
])
def test_every_code_the_api_answers_has_a_label(prefix: str, codes: type[StrEnum]) -> None:
    """Roles, faults, findings and statuses are shown in words, in both languages."""
    wanted = {f"{prefix}.{code.value}" for code in codes}
    assert wanted - dictionary("zh") == set()


def test_nothing_is_fetched_from_another_origin() -> None:
    """No CDN, no online map tiles: every script, style and request stays on this origin."""
    for path in static_files(".html", ".js", ".css"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.I), path.name


def test_the_lockfile_pins_what_package_json_asks_for() -> None:
    web = STATIC_DIR.parent
    wanted = json.loads((web / "package.json").read_text())["dependencies"]
    locked = json.loads((web / "package-lock.json").read_text())["packages"]
    for name, version in wanted.items():
        assert locked[f"node_modules/{name}"]["version"] == version
        assert locked[f"node_modules/{name}"]["integrity"].startswith("sha512-")


def test_missing_npm_assets_answer_503_naming_the_setup_command(tmp_path: Path) -> None:
    answer = vendor_response("echarts.min.js", node_modules=tmp_path)
    assert answer.status_code == 503
    assert answer.media_type == "application/problem+json"
    assert b"scripts/install-web-deps.sh" in answer.body


def test_only_vendored_names_are_served(tmp_path: Path) -> None:
    assert vendor_response("../../pyproject.toml", node_modules=tmp_path).status_code == 404
    (tmp_path / "echarts" / "dist").mkdir(parents=True)
    (tmp_path / VENDOR_FILES["echarts.min.js"]).write_text("/* echarts */")
    served = vendor_response("echarts.min.js", node_modules=tmp_path)
    assert served.status_code == 200
    assert str(served.media_type).startswith("text/javascript")


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()

    @app.get("/api/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    mount_web(app)
    return TestClient(app)


@pytest.mark.parametrize("path", ["/", "/login.html", "/catalog.html", "/camera.html",
                                  "/orders.html", "/audit.html"])
def test_the_pages_are_served_with_a_content_security_policy(client: TestClient,
                                                              path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_pages_never_shadow_the_api(client: TestClient) -> None:
    assert client.get("/api/ping").json() == {"pong": "yes"}
    assert client.get("/vendor/echarts.min.js").status_code in (200, 503)
    assert client.get("/no-such-page.html").status_code == 404
