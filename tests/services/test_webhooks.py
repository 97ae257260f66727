"""Webhook delivery against a real HTTP server on loopback: signed, retried with backoff,
given up after its budget, and never a secret in the logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.test_analytics_store import (
    GATE,
    MINUTE0,
    NANNING_A,
    account,
    crowd,
    jpeg,
    load_cameras,
    record,
)
from vidgov.analytics.models import DeliveryStatus, WebhookDelivery
from vidgov.errors import InvalidInput
from vidgov.services import webhooks
from vidgov.services.records import NotFound
from vidgov.services.webhooks import RetryPolicy, UrllibPoster, deliver_due

T0 = MINUTE0 + timedelta(minutes=5)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A subscriber's endpoint: answers 500 to the first ``failures`` requests, then 204."""

    failures: int
    requests: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(failures=2)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(Received(dict(self.headers.items()), body))
            failing = len(state.requests) <= state.failures
            self.send_response(500 if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://hookuser:hook-pass@127.0.0.1:{server.server_address[1]}/vidgov"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


def _one_event_to(store: Engine, tmp_path: Path, url: str) -> tuple[int, str]:
    """A Nanning webhook at ``url`` and one crowd event owed to it: (webhook id, secret)."""
    load_cameras(store, tmp_path)
    with Session(store) as session, session.begin():
        hook, secret = webhooks.create_webhook(session, account("nn", ["450100"]), "指挥中心",
                                               url, ["crowd"])
    record(store, NANNING_A, GATE, [crowd(NANNING_A, snapshot=jpeg())], now=T0)
    return hook["id"], secret


def _delivery(store: Engine) -> WebhookDelivery:
    with Session(store) as session:
        return session.scalars(select(WebhookDelivery)).one()


def test_a_delivery_is_retried_with_backoff_then_accepted_signed(
        store: Engine, tmp_path: Path, receiver: Receiver) -> None:
    hook_id, secret = _one_event_to(store, tmp_path, receiver.url)
    factory = sessionmaker(store, expire_on_commit=False)
    policy = RetryPolicy(attempts=5, first_backoff_s=10, timeout_s=5)
    send = UrllibPoster()

    def deliver(after_s: float) -> webhooks.DeliveryReport:
        return deliver_due(factory, T0 + timedelta(seconds=after_s), send, policy,
                           base_url="https://vidgov.example.gov.cn/")

    assert deliver(0) == webhooks.DeliveryReport(retrying=1)
    first = _delivery(store)
    assert (first.attempts, first.last_status, first.status) == (1, 500, "pending")
    assert deliver(9) == webhooks.DeliveryReport()  # the 10 s backoff is not over
    assert deliver(10) == webhooks.DeliveryReport(retrying=1)  # second failure: wait 20 s
    assert deliver(29) == webhooks.DeliveryReport()
    assert deliver(30) == webhooks.DeliveryReport(delivered=1)
    assert deliver(3600) == webhooks.DeliveryReport()  # delivered once, never again
    done = _delivery(store)
    assert (done.status, done.attempts, done.last_status) == ("delivered", 3, 204)
    assert len(receiver.requests) == 3

    for attempt, request in enumerate(receiver.requests, start=1):
        # What a receiver does: recompute the HMAC over the raw body with the shared secret.
        expected = "sha256=" + hmac.new(secret.encode(), request.body,
                                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request.headers["X-Vidgov-Signature"], expected)
        assert request.headers["X-Vidgov-Delivery"] == str(done.id)
        assert request.headers["Authorization"] == "Basic " + base64.b64encode(
            b"hookuser:hook-pass").decode()
        payload = json.loads(request.body)
        assert (payload["attempt"], payload["webhook_id"]) == (attempt, hook_id)
    event = json.loads(receiver.requests[-1].body)["event"]
    assert (event["kind"], event["device_id"], event["region_id"]) == ("crowd", NANNING_A,
                                                                       "square")
    assert event["started_at"] == "2026-12-01T10:00:42.500000+00:00"
    assert event["snapshot_url"] == (f"https://vidgov.example.gov.cn/api/analytics/events/"
                                     f"{event['id']}/snapshot")
    assert b"\xff\xd8" not in receiver.requests[-1].body
    assert "snapshot_jpeg" not in event
    # A tampered body no longer matches its signature.
    tampered = receiver.requests[-1].body.replace(b"crowd", b"crown")
    assert webhooks.sign(secret, tampered) != receiver.requests[-1].headers["X-Vidgov-Signature"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: connecting is refused at once


def test_an_unreachable_address_fails_after_the_budget_and_no_secret_is_logged(
        store: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://ops:pa55-w0rd@127.0.0.1:{_closed_port()}/hook?token=t0ken-in-query"
    hook_id, secret = _one_event_to(store, tmp_path, url)
    factory = sessionmaker(store, expire_on_commit=False)
    policy = RetryPolicy(attempts=3, first_backoff_s=60, timeout_s=2)
    caplog.set_level(logging.DEBUG, logger="vidgov")
    reports = [deliver_due(factory, T0 + timedelta(minutes=m), UrllibPoster(), policy)
               for m in (0, 1, 3, 10)]
    assert reports == [webhooks.DeliveryReport(retrying=1), webhooks.DeliveryReport(retrying=1),
                       webhooks.DeliveryReport(failed=1), webhooks.DeliveryReport()]
    failed = _delivery(store)
    assert (failed.status, failed.attempts, failed.last_status) == ("failed", 3, None)
    assert failed.last_error is not None
    assert "refused" in failed.last_error.lower()
    assert "delivery" in caplog.text
    assert "failed after 3 attempts" in caplog.text
    with Session(store) as session:
        listed = webhooks.list_webhooks(session, account("nn", ["450100"]))
        deliveries = webhooks.list_deliveries(session, account("nn", ["450100"]), hook_id,
                                              DeliveryStatus.FAILED)
    assert listed[0]["url"].startswith("http://***@127.0.0.1:")
    assert [d["status"] for d in deliveries] == ["failed"]
    shown = caplog.text + listed[0]["url"] + json.dumps(deliveries)
    for leak in (secret, "pa55-w0rd", "t0ken-in-query"):
        assert leak not in shown


def test_webhooks_are_seen_and_changed_only_inside_their_scope(
        store: Engine, tmp_path: Path) -> None:
    hook_id, _ = _one_event_to(store, tmp_path, "http://127.0.0.1:9/hook")
    nanning, guilin, region = (account("nn", ["450100"]), account("gl", ["450300"]),
                               account("admin", ["450000"]))
    with Session(store) as session, session.begin():
        assert webhooks.list_webhooks(session, guilin) == []
        assert [h["id"] for h in webhooks.list_webhooks(session, region)] == [hook_id]
        with pytest.raises(NotFound):
            webhooks.update_webhook(session, guilin, hook_id, enabled=False)
        changed = webhooks.update_webhook(session, nanning, hook_id, event_kinds=["stopped"],
                                          enabled=False)
        assert (changed["event_kinds"], changed["enabled"]) == (["stopped"], False)
        with pytest.raises(InvalidInput, match="unknown event kinds"):
            webhooks.update_webhook(session, nanning, hook_id, event_kinds=["party"])
        with pytest.raises(InvalidInput, match="not an http"):
            webhooks.create_webhook(session, nanning, "x", "ftp://127.0.0.1/x", [])
    # A disabled webhook is not sent to, even when a delivery is owed.
    factory = sessionmaker(store, expire_on_commit=False)
    assert deliver_due(factory, T0, UrllibPoster()) == webhooks.DeliveryReport()
    with Session(store) as session, session.begin():
        webhooks.delete_webhook(session, nanning, hook_id)
        assert webhooks.list_webhooks(session, region) == []
        assert session.scalars(select(WebhookDelivery)).all() == []
