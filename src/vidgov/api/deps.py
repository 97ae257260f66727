"""What handlers receive: the services of this process and the signed-in account.

Every route declares its action with ``Depends(Requires(Action.X))`` (or is marked
:data:`PUBLIC`); ``create_app`` refuses any ``/api`` route that declares neither, so deny by
default is checked when the app is built, not hoped for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from vidgov.domain.divisions import Divisions
from vidgov.domain.geo import Boundaries
from vidgov.services.privacy import JpegRedactor
from vidgov.services.read_model import EstateView
from vidgov.settings import Settings
from vidgov.sharing.accounts import Account, CredentialKind, account_of, resolve_credential
from vidgov.sharing.policy import Action, decide

SESSION_COOKIE = "vidgov_session"


@dataclass
class Services:
    """The composition root's products, built once per process by ``create_app``."""

    settings: Settings
    engine: Engine
    divisions: Divisions
    boundaries: Boundaries
    view: EstateView
    redact: JpegRedactor = field(default_factory=JpegRedactor)  # pictures on their way out


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def bearer_secret(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() or None if scheme.lower() == "bearer" else None


def optional_account(request: Request, services: ServicesDep) -> Account | None:
    """The account behind the bearer token or the session cookie, if any is live."""
    found: tuple[str, CredentialKind] | None = None
    if (secret := bearer_secret(request)) is not None:
        found = (secret, CredentialKind.BEARER)
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        found = (cookie, CredentialKind.SESSION)
    if found is None:
        return None
    with Session(services.engine) as session:
        user = resolve_credential(session, *found)
        account = account_of(user, services.divisions) if user is not None else None
    if account is not None:
        request.state.username = account.username  # for the access log
    return account


def current_account(account: Annotated[Account | None, Depends(optional_account)]
                    ) -> Account:
    if account is None:
        raise HTTPException(401, "not signed in, or the session/token has expired",
                            headers={"WWW-Authenticate": "Bearer"})
    return account


class Requires:
    """The action a route performs; refuses a role that does not hold it (403 with why)."""

    def __init__(self, action: Action) -> None:
        self.action = action

    def __call__(self, account: Annotated[Account, Depends(current_account)]) -> Account:
        decision = decide(account.role, self.action)
        if not decision.allowed:
            raise HTTPException(403, decision.reason)
        return account


class Public:
    """Marks a route anyone may call (signing in); still an explicit declaration."""

    action = None

    def __call__(self) -> None:
        return None


PUBLIC = Public()


def account_for(action: Action) -> Any:
    """``Annotated[Account, account_for(Action.X)]``: the account, checked for ``action``."""
    return Depends(Requires(action))
