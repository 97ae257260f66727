"""``vidgov users``: accounts for the service, with a role, a regional scope and a unit."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from vidgov.cli.context import state
from vidgov.cli.output import print_json, stdout
from vidgov.domain.divisions import load_divisions
from vidgov.errors import InvalidInput
from vidgov.sharing.accounts import create_user, disable_user, list_users
from vidgov.sharing.policy import Role
from vidgov.store.db import session_scope

app = typer.Typer(help="账号 Accounts: roles, regional scope, departments.",
                  no_args_is_help=True)


@app.command("add")
def add_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    scope: Annotated[list[str] | None, typer.Option(
        help="Admin code the user may see (repeat; 450000 for the whole region).")] = None,
    department: Annotated[str | None, typer.Option(help="The user's department.")] = None,
    maintenance_unit: Annotated[str | None, typer.Option(
        help="For role maintenance_unit: the unit whose cameras and orders it handles.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (no prompt).")] = False,
) -> None:
    """添加账号 Add an account; the password is prompted for (never an argument)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("密码 password", hide_input=True, confirmation_prompt=True)
    with session_scope(state(ctx).engine()) as session:
        user = create_user(session, username, password, role, scope or [], load_divisions(),
                           department=department, maintenance_unit=maintenance_unit)
        stdout().print(f"added {user.username} ({user.role}, scope {', '.join(user.scopes)})")


@app.command("list")
def list_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """账号列表 List accounts."""
    with session_scope(state(ctx).engine()) as session:
        rows = [{"username": u.username, "role": u.role, "scopes": list(u.scopes),
                 "department": u.department, "maintenance_unit": u.maintenance_unit,
                 "disabled": u.disabled} for u in list_users(session)]
    if as_json:
        print_json(rows)
        return
    table = Table(title="账号 Accounts", title_justify="left")
    for column in ("账号", "角色", "范围", "部门", "维护单位", "状态"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["username"]), str(r["role"]), ", ".join(r["scopes"]),  # type: ignore[arg-type]
                      str(r["department"] or ""), str(r["maintenance_unit"] or ""),
                      "停用 disabled" if r["disabled"] else "启用 enabled")
    stdout().print(table)


@app.command("disable")
def disable_command(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
) -> None:
    """停用账号 Disable an account; its sessions and tokens stop working at once."""
    with session_scope(state(ctx).engine()) as session:
        user = disable_user(session, username)
    if user is None:
        raise InvalidInput(f"no user {username!r}")
    stdout().print(f"disabled {username}")
