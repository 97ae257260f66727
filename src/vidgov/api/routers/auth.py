"""Signing in and out: a session cookie for the browser, bearer tokens for scripts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from sqlalchemy.orm import Session

from vidgov.api.deps import PUBLIC, SESSION_COOKIE, ServicesDep, current_account
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.schemas import Credentials, MeOut, TokenOut
from vidgov.sharing.accounts import (
    Account,
    CredentialKind,
    account_of,
    authenticate,
    issue_credential,
    revoke_credential,
)
from vidgov.sharing.policy import ROLE_ACTIONS

router = APIRouter(prefix="/api", tags=["auth"], responses=PROBLEM_RESPONSES)

BAD_LOGIN = "wrong username or password, or the account is disabled"


@router.post("/auth/token", dependencies=[Depends(PUBLIC)])
def token(username: Annotated[str, Form(min_length=1, max_length=64)],
          password: Annotated[str, Form(min_length=1, max_length=256)],
          services: ServicesDep,
          grant_type: Annotated[str, Form(pattern="^password$")] = "password") -> TokenOut:
    """A bearer token for scripts (the OAuth2 password form: username, password)."""
    ttl = services.settings.token_ttl_s
    with Session(services.engine) as session, session.begin():
        user = authenticate(session, username, password)
        if user is None:
            raise HTTPException(401, BAD_LOGIN, headers={"WWW-Authenticate": "Bearer"})
        secret = issue_credential(session, user, CredentialKind.BEARER, ttl)
    return TokenOut(access_token=secret, expires_in=ttl)


@router.post("/auth/login", dependencies=[Depends(PUBLIC)])
def login(body: Credentials, response: Response, services: ServicesDep) -> MeOut:
    """Sign a browser in: an HttpOnly session cookie."""
    ttl = services.settings.session_ttl_s
    with Session(services.engine) as session, session.begin():
        user = authenticate(session, body.username, body.password)
        if user is None:
            raise HTTPException(401, BAD_LOGIN)
        secret = issue_credential(session, user, CredentialKind.SESSION, ttl)
        account = account_of(user, services.divisions)
    response.set_cookie(SESSION_COOKIE, secret, max_age=ttl, httponly=True,
                        samesite="strict", secure=services.settings.cookie_secure, path="/")
    return me_of(account, services)


@router.post("/auth/logout", status_code=204, dependencies=[Depends(PUBLIC)])
def logout(request: Request, services: ServicesDep) -> Response:
    """End the browser session (and forget the cookie)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with Session(services.engine) as session, session.begin():
            revoke_credential(session, secret)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", dependencies=[Depends(PUBLIC)])
def me(account: Annotated[Account, Depends(current_account)], services: ServicesDep) -> MeOut:
    """Who is signed in, their scope and the actions their role holds."""
    return me_of(account, services)


def me_of(account: Account, services: ServicesDep) -> MeOut:
    names = []
    for code in account.scopes:
        division = services.divisions.get(code)
        names.append(division.name if division else code)
    return MeOut(username=account.username, role=account.role.value,
                 department=account.department, maintenance_unit=account.maintenance_unit,
                 scopes=list(account.scopes), scope_names=names,
                 actions=sorted(a.value for a in ROLE_ACTIONS[account.role]))
