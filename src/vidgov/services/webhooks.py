"""Webhooks: telling subscribers about events, signed, with retries.

An event's deliveries are written to the outbox (``webhook_delivery``) in the same transaction
as the event (:func:`vidgov.services.analytics.record_run`), so an event is never announced
that was not stored, nor stored and forgotten. :func:`deliver_due`, called by a worker loop,
works the outbox off: it claims what is due, POSTs outside any transaction, then records each
outcome. A failed attempt is retried with exponential backoff until the policy's budget of
attempts is spent; then the delivery is ``failed`` and stays visible to its owner.

The body is the event as JSON, without the picture: a subscriber fetches that through the API
(``snapshot_url``) with its own credentials, so the picture stays behind the scope check. Each
body is signed with the webhook's secret: ``X-Vidgov-Signature: sha256=<hex HMAC-SHA256 of the
body>``; ``X-Vidgov-Delivery`` names the delivery so a receiver can drop repeats.

HTTP is done with the standard library's ``urllib`` rather than an HTTP client package: one
POST with a timeout is all we need, and nothing more has to be installed. Proxies from the
environment and redirects are both switched off: a webhook goes exactly where its owner said.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from vidgov.analytics.events import EventKind
from vidgov.analytics.models import DeliveryStatus, Webhook, WebhookDelivery
from vidgov.domain.urls import redact_url
from vidgov.errors import InvalidInput
from vidgov.services.analytics import iso, utc
from vidgov.services.events import event_detail
from vidgov.services.records import NotFound
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Scope

log = logging.getLogger("vidgov.webhooks")

SIGNATURE_HEADER = "X-Vidgov-Signature"
DELIVERY_HEADER = "X-Vidgov-Delivery"
EVENT_HEADER = "X-Vidgov-Event"
MAX_URL_LENGTH = 2000


# --- sending -------------------------------------------------------------------------


class Poster(Protocol):
    """One HTTP POST; the status it was answered with. Raises :class:`OSError` when no answer
    came (refused, timed out, name not found)."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
        ...


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is answered as it is: a failed delivery, not a trip elsewhere


class UrllibPoster:
    """:class:`Poster` over ``urllib``: no proxies from the environment, no redirects."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                   _NoRedirect())

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout_s: float) -> int:
        url, sent = _credentials_as_header(url, headers)
        request = urllib.request.Request(url, data=body, headers=sent, method="POST")
        try:
            with self._opener.open(request, timeout=timeout_s) as answer:
                answer.read(65536)
                status: int = answer.status
                return status
        except urllib.error.HTTPError as exc:  # answered, with a status that is not 2xx
            exc.close()
            return exc.code


def _credentials_as_header(url: str, headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """``http://user:pass@host/x`` → ``http://host/x`` and HTTP Basic: urllib would take the
    credentials for part of the host name."""
    parts = urlsplit(url)
    sent = dict(headers)
    if parts.username is None:
        return url, sent
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    sent["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl(), sent


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: ``attempts`` in all, waiting ``first_backoff_s`` after the first
    failure and twice as long after each next one, never more than ``max_backoff_s``."""

    attempts: int = 6
    first_backoff_s: float = 30.0
    max_backoff_s: float = 3600.0
    timeout_s: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.first_backoff_s <= 0 or self.timeout_s <= 0:
            raise InvalidInput(f"a retry policy needs attempts ≥ 1 and positive times, "
                               f"got {self}")

    def backoff(self, attempts_made: int) -> timedelta:
        """The wait after the ``attempts_made``-th failed attempt (1, 2, …)."""
        return timedelta(seconds=min(self.first_backoff_s * 2 ** (attempts_made - 1),
                                     self.max_backoff_s))


@dataclass(frozen=True)
class DeliveryReport:
    """What one :func:`deliver_due` call did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def safe_url(url: str) -> str:
    """A webhook address fit for logs and lists: no credentials, no query (tokens hide there)."""
    try:
        parts = urlsplit(redact_url(url))
    except ValueError:
        return "(an address that cannot be parsed)"
    return parts._replace(query="***" if parts.query else "", fragment="").geturl()


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    webhook_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    attempts_made: int


def deliver_due(session_factory: Callable[[], Session], now: datetime, client: Poster,
                policy: RetryPolicy | None = None, limit: int = 100,
                base_url: str = "") -> DeliveryReport:
    """Send every delivery due at ``now`` (at most ``limit``), record how each went.

    Safe to run from several workers: a delivery is claimed (its next attempt pushed past
    the send's timeout) before it is sent, and a worker sends only what it claimed. No
    transaction is open while sending.
    """
    policy = policy or RetryPolicy()
    moment = utc(now)
    jobs = _claim(session_factory, moment, policy, limit, base_url)
    if not jobs:
        return DeliveryReport()
    with ThreadPoolExecutor(max_workers=min(8, len(jobs)),
                            thread_name_prefix="vidgov-webhook") as pool:
        outcomes = list(pool.map(lambda job: _send(client, job, policy.timeout_s), jobs))
    return _settle(session_factory, moment, policy, jobs, outcomes)


def _claim(session_factory: Callable[[], Session], moment: datetime, policy: RetryPolicy,
           limit: int, base_url: str) -> list[_Job]:
    lease = moment + timedelta(seconds=policy.timeout_s * 2 + 30)
    jobs: list[_Job] = []
    with session_factory() as session, session.begin():
        due = session.execute(
            select(WebhookDelivery, Webhook)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING.value,
                   WebhookDelivery.next_attempt_at <= moment, Webhook.enabled.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)).all()
        for delivery, hook in due:
            claimed = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery.id,
                       WebhookDelivery.next_attempt_at == delivery.next_attempt_at,
                       WebhookDelivery.status == DeliveryStatus.PENDING.value)
                .values(next_attempt_at=lease).execution_options(synchronize_session=False))
            if getattr(claimed, "rowcount", 0) != 1:
                continue  # another worker took it
            event = event_detail(session, None, Scope.everything(), delivery.event_id)
            if event["snapshot_url"] is not None:
                event["snapshot_url"] = base_url.rstrip("/") + event["snapshot_url"]
            payload = {"delivery_id": delivery.id, "webhook_id": hook.id,
                       "attempt": delivery.attempts + 1, "sent_at": iso(moment),
                       "event": event}
            body = json.dumps(payload, ensure_ascii=False, sort_keys=True,
                              separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json; charset=utf-8",
                       "User-Agent": "vidgov-webhook/1", SIGNATURE_HEADER: sign(hook.secret, body),
                       DELIVERY_HEADER: str(delivery.id), EVENT_HEADER: str(event["kind"])}
            jobs.append(_Job(delivery.id, hook.id, hook.url, body, headers, delivery.attempts))
    return jobs


@dataclass(frozen=True)
class _Outcome:
    status: int | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _send(client: Poster, job: _Job, timeout_s: float) -> _Outcome:
    shown = safe_url(job.url)
    try:
        status = client.post(job.url, job.body, job.headers, timeout_s)
    except (OSError, ValueError) as exc:  # ValueError: an address urllib cannot use
        reason = getattr(exc, "reason", exc)
        error = f"{type(exc).__name__}: {reason}".replace(job.url, shown)[:500]
        log.info("webhook %d delivery %d to %s: no answer (%s)", job.webhook_id,
                 job.delivery_id, shown, error)
        return _Outcome(None, error)
    log.info("webhook %d delivery %d to %s: HTTP %d", job.webhook_id, job.delivery_id,
             shown, status)
    return _Outcome(status, None if 200 <= status < 300 else f"HTTP {status}")


def _settle(session_factory: Callable[[], Session], moment: datetime, policy: RetryPolicy,
            jobs: Sequence[_Job], outcomes: Sequence[_Outcome]) -> DeliveryReport:
    delivered = retrying = failed = 0
    with session_factory() as session, session.begin():
        for job, outcome in zip(jobs, outcomes, strict=True):
            row = session.get_one(WebhookDelivery, job.delivery_id)
            row.attempts = job.attempts_made + 1
            row.last_status, row.last_error = outcome.status, outcome.error
            if outcome.ok:
                row.status, row.delivered_at = DeliveryStatus.DELIVERED.value, moment
                delivered += 1
            elif row.attempts >= policy.attempts:
                row.status = DeliveryStatus.FAILED.value
                failed += 1
                log.warning("webhook %d delivery %d failed after %d attempts: %s",
                            job.webhook_id, job.delivery_id, row.attempts, outcome.error)
            else:
                row.next_attempt_at = moment + policy.backoff(row.attempts)
                retrying += 1
    return DeliveryReport(delivered, retrying, failed)


# --- managing webhooks ---------------------------------------------------------------


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        usable = False
    if not usable or any(c.isspace() for c in url):
        raise InvalidInput(f"webhook address {safe_url(url)!r} is not an http(s) URL with a host")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"webhook address is longer than {MAX_URL_LENGTH} characters")
    return url


def _check_kinds(kinds: Sequence[str]) -> list[str]:
    known = {k.value for k in EventKind}
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise InvalidInput(f"unknown event kinds {unknown}: use {', '.join(sorted(known))}")
    return sorted(set(kinds))


def _webhook_json(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "name": hook.name, "url": safe_url(hook.url),
            "event_kinds": list(hook.event_kinds), "scopes": list(hook.scopes),
            "department": hook.department, "enabled": hook.enabled,
            "created_by": hook.created_by, "created_at": iso(hook.created_at)}


def _visible(account: Account, hook: Webhook) -> bool:
    """A webhook is the business of accounts whose scope covers its own."""
    unit = account.scope.maintenance_unit
    return account.scope.covers(hook.scopes) and (unit is None or unit == hook.maintenance_unit)


def create_webhook(session: Session, account: Account, name: str, url: str,
                   event_kinds: Sequence[str], now: datetime | None = None
                   ) -> tuple[dict[str, Any], str]:
    """A webhook with the creating account's scope; returns it and its secret (shown once)."""
    if not name.strip():
        raise InvalidInput("a webhook needs a name")
    secret = secrets.token_urlsafe(32)
    hook = Webhook(name=name.strip(), url=_check_url(url), event_kinds=_check_kinds(event_kinds),
                   scopes=list(account.scopes),
                   scope_prefixes=(list(account.scope.prefixes)
                                   if account.scope.prefixes is not None else None),
                   maintenance_unit=account.scope.maintenance_unit,
                   department=account.department, secret=secret, enabled=True,
                   created_by=account.username, created_at=utc(now or datetime.now(UTC)))
    session.add(hook)
    session.flush()
    return _webhook_json(hook), secret


def list_webhooks(session: Session, account: Account) -> list[dict[str, Any]]:
    hooks = session.scalars(select(Webhook).order_by(Webhook.id))
    return [_webhook_json(h) for h in hooks if _visible(account, h)]


def _get(session: Session, account: Account, webhook_id: int) -> Webhook:
    hook = session.get(Webhook, webhook_id)
    if hook is None or not _visible(account, hook):
        raise NotFound(f"no webhook {webhook_id}")
    return hook


def get_webhook(session: Session, account: Account, webhook_id: int) -> dict[str, Any]:
    return _webhook_json(_get(session, account, webhook_id))


def update_webhook(session: Session, account: Account, webhook_id: int,
                   name: str | None = None, url: str | None = None,
                   event_kinds: Sequence[str] | None = None, enabled: bool | None = None
                   ) -> dict[str, Any]:
    hook = _get(session, account, webhook_id)
    if name is not None:
        if not name.strip():
            raise InvalidInput("a webhook needs a name")
        hook.name = name.strip()
    if url is not None:
        hook.url = _check_url(url)
    if event_kinds is not None:
        hook.event_kinds = _check_kinds(event_kinds)
    if enabled is not None:
        hook.enabled = enabled
    session.flush()
    return _webhook_json(hook)


def delete_webhook(session: Session, account: Account, webhook_id: int) -> None:
    """Remove a webhook and its deliveries (its events stay)."""
    hook = _get(session, account, webhook_id)
    session.query(WebhookDelivery).filter(WebhookDelivery.webhook_id == hook.id).delete()
    session.delete(hook)
    session.flush()


def list_deliveries(session: Session, account: Account, webhook_id: int,
                    status: DeliveryStatus | None = None, limit: int = 100
                    ) -> list[dict[str, Any]]:
    """A webhook's deliveries, newest first: what was sent, how often, how it ended."""
    hook = _get(session, account, webhook_id)
    statement = (select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
                 .order_by(WebhookDelivery.id.desc()).limit(limit))
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status.value)
    return [{"id": d.id, "event_id": d.event_id, "status": d.status, "attempts": d.attempts,
             "next_attempt_at": iso(d.next_attempt_at), "last_status": d.last_status,
             "last_error": d.last_error, "delivered_at": iso(d.delivered_at),
             "created_at": iso(d.created_at)} for d in session.scalars(statement)]


def deliver_until(engine: Engine, stop: threading.Event, *, every_s: float = 5.0,
                  client: Poster | None = None, base_url: str = "") -> None:
    """The worker's delivery loop: send what is due every ``every_s`` seconds until ``stop``.

    A failing round (the store away for a moment) is logged and tried again next round: the
    outbox keeps every delivery, so nothing is lost while the loop waits.
    """
    poster = client or UrllibPoster()
    while not stop.is_set():
        try:
            report = deliver_due(lambda: Session(engine), datetime.now(UTC), poster,
                                 base_url=base_url)
            if report != DeliveryReport():
                log.info("webhook deliveries: %s", report)
        except Exception:
            log.exception("webhook delivery round failed; retrying in %.0f s", every_s)
        stop.wait(every_s)
