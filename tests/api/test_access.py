"""Every route × every role: allowed exactly when the role holds the route's declared action."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.conftest import Estate, headers_for
from vidgov.api.app import check_declared_actions, declared_action
from vidgov.api.deps import Requires
from vidgov.errors import ConfigurationError
from vidgov.sharing.policy import ROLE_ACTIONS, Action, Role

DOCS = Path(__file__).parents[2] / "docs" / "api.md"


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    return [(method, route.path, route) for route in app.routes
            if isinstance(route, APIRoute) and route.path.startswith("/api/")
            for method in sorted(route.methods or ())]


def _url(path: str, estate: Estate) -> str:
    return (path.replace("{device_id}", estate.failing_nanning)
            .replace("{order_id}", "999999"))  # POST close: authorised first, then 404


def test_every_api_route_declares_an_action_or_is_public(client: TestClient) -> None:
    undeclared = [f"{m} {p}" for m, p, r in api_routes(client.app)  # type: ignore[arg-type]
                  if declared_action(r) == ""]
    assert undeclared == []


def test_a_route_without_a_declared_action_stops_the_app_from_being_built() -> None:
    app = FastAPI()

    @app.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    with pytest.raises(ConfigurationError, match="/api/forgotten"):
        check_declared_actions(app)


@pytest.mark.parametrize("role", list(Role))
def test_route_by_role_matrix(client: TestClient, estate: Estate, role: Role) -> None:
    headers = headers_for(client, role.value)
    wrong: list[str] = []
    for method, path, route in api_routes(client.app):  # type: ignore[arg-type]
        action = declared_action(route)
        if action is None:
            continue  # public: signing in and out
        body = {"reason": "matrix"} if method == "POST" else None
        answer = client.request(method, _url(path, estate), headers=headers, json=body)
        allowed = action in ROLE_ACTIONS[role]
        if allowed and answer.status_code in (401, 403):
            wrong.append(f"{method} {path}: {role} refused ({answer.status_code})")
        if not allowed and answer.status_code != 403:
            wrong.append(f"{method} {path}: {role} not refused ({answer.status_code})")
        if not allowed:
            assert str(action) in answer.json()["detail"]
    assert wrong == []


def test_without_credentials_every_protected_route_answers_401(
        client: TestClient, estate: Estate) -> None:
    for method, path, route in api_routes(client.app):  # type: ignore[arg-type]
        if declared_action(route) is None:
            continue
        answer = client.request(method, _url(path, estate),
                                headers={"Authorization": "Bearer not-a-token"},
                                json={"reason": "x"} if method == "POST" else None)
        assert answer.status_code == 401, f"{method} {path}"
        assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_documented_role_table_is_the_policy() -> None:
    rows = re.findall(r"^\| `([a-z.]+)`[^|]*\|(.*)\|$", DOCS.read_text(encoding="utf-8"),
                      re.MULTILINE)
    documented = {Action(action): [cell.strip() == "✓" for cell in cells.split("|")]
                  for action, cells in rows if action in {a.value for a in Action}}
    assert set(documented) == set(Action)
    for action, marks in documented.items():
        assert marks == [action in ROLE_ACTIONS[role] for role in Role], action


def test_requires_names_its_action() -> None:
    assert Requires(Action.ORDER_CLOSE).action is Action.ORDER_CLOSE
