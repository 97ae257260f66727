"""Who may do what, and over which cameras: permissions as data, every decision with a reason.

Roles hold actions (``ROLE_ACTIONS``); a route declares the one action it performs and the
request is refused unless the user's role holds it (deny by default). What a user may *see*
is a :class:`Scope`: admin-code prefixes (and, for a maintenance unit, its own unit), turned
into a condition that the queries themselves apply, so rows outside the scope are never
read, counted or exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import polars as pl
from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import Mapped

from vidgov.catalog.models import Camera
from vidgov.domain.divisions import Divisions, Level
from vidgov.errors import InvalidInput


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    MAINTENANCE_UNIT = "maintenance_unit"
    DEPARTMENT_USER = "department_user"
    AUDITOR = "auditor"
    VIEWER = "viewer"


class Action(StrEnum):
    COCKPIT_READ = "cockpit.read"
    CAMERA_READ = "camera.read"
    CAMERA_EXPORT = "camera.export"
    SNAPSHOT_READ = "snapshot.read"
    FINDING_READ = "finding.read"
    ORDER_READ = "order.read"
    ORDER_CLOSE = "order.close"
    SWEEP_READ = "sweep.read"
    USER_READ = "user.read"
    ANALYTICS_READ = "analytics.read"
    SUBSCRIPTION_MANAGE = "subscription.manage"
    WEBHOOK_MANAGE = "webhook.manage"


_A = Action
_READ_ALL = frozenset({_A.COCKPIT_READ, _A.CAMERA_READ, _A.CAMERA_EXPORT, _A.SNAPSHOT_READ,
                       _A.FINDING_READ, _A.ORDER_READ, _A.SWEEP_READ})

#: The whole permission model. docs/api.md shows it as a table; a test keeps the two equal.
ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.OPERATOR: _READ_ALL | {_A.ORDER_CLOSE, _A.ANALYTICS_READ, _A.SUBSCRIPTION_MANAGE,
                                _A.WEBHOOK_MANAGE},
    Role.MAINTENANCE_UNIT: frozenset({_A.COCKPIT_READ, _A.CAMERA_READ, _A.CAMERA_EXPORT,
                                      _A.SNAPSHOT_READ, _A.FINDING_READ, _A.ORDER_READ,
                                      _A.ORDER_CLOSE}),
    Role.DEPARTMENT_USER: frozenset({_A.COCKPIT_READ, _A.CAMERA_READ, _A.CAMERA_EXPORT,
                                     _A.SNAPSHOT_READ, _A.ANALYTICS_READ,
                                     _A.SUBSCRIPTION_MANAGE, _A.WEBHOOK_MANAGE}),
    Role.AUDITOR: _READ_ALL | {_A.USER_READ, _A.ANALYTICS_READ},
    Role.VIEWER: frozenset({_A.COCKPIT_READ}),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def decide(role: Role, action: Action) -> Decision:
    if action in ROLE_ACTIONS[role]:
        return Decision(True, f"role {role.value} holds {action.value}")
    return Decision(False, f"role {role.value} does not hold {action.value}")


@dataclass(frozen=True)
class Scope:
    """The cameras a user may see.

    ``prefixes`` None means the whole catalog (a region-level scope: records whose admin
    code is missing or foreign belong to nobody else, and someone must be able to fix them);
    otherwise a camera is in scope when its admin code starts with one of them.
    ``maintenance_unit`` narrows it further to one unit's cameras.
    """

    prefixes: tuple[str, ...] | None
    maintenance_unit: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    def camera_condition(self) -> ColumnElement[bool]:
        """The scope as a WHERE condition on :class:`Camera` (index-friendly ranges)."""
        condition: ColumnElement[bool] = true()
        if self.prefixes is not None:
            condition = or_(false(), *(prefix_range(Camera.admin_code, p)
                                       for p in self.prefixes))
        if self.maintenance_unit is not None:
            condition = and_(condition, Camera.maintenance_unit == self.maintenance_unit)
        return condition

    def frame_condition(self) -> pl.Expr:
        """The same scope over a frame with ``admin_code`` and ``maintenance_unit`` columns."""
        condition = pl.lit(True)
        if self.prefixes is not None:
            condition = pl.lit(False)
            for prefix in self.prefixes:
                condition = condition | pl.col("admin_code").str.starts_with(prefix).fill_null(
                    False)
        if self.maintenance_unit is not None:
            condition = condition & (pl.col("maintenance_unit") == self.maintenance_unit
                                     ).fill_null(False)
        return condition

    def covers(self, codes: Sequence[str]) -> bool:
        """Whether every one of another account's scope codes lies inside this scope: an
        auditor of a city sees the city's accounts, not the region's nor another city's."""
        if self.prefixes is None:
            return True
        return bool(codes) and all(code.startswith(self.prefixes) for code in codes)

    def admits(self, admin_code: str | None, maintenance_unit: str | None) -> bool:
        if self.maintenance_unit is not None and maintenance_unit != self.maintenance_unit:
            return False
        if self.prefixes is None:
            return True
        return admin_code is not None and admin_code.startswith(self.prefixes)


def prefix_range(column: Mapped[str | None], prefix: str) -> ColumnElement[bool]:
    """``column LIKE 'prefix%'`` as a range both SQLite and PostgreSQL serve from an index."""
    if not prefix:
        return column.is_not(None)
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return and_(column >= prefix, column < upper)


def scope_prefix(code: str, divisions: Divisions) -> str | None:
    """The admin-code prefix a scope code covers; None for the whole region."""
    division = divisions.get(code)
    if division is None:
        raise InvalidInput(f"scope {code!r} is not a Guangxi administrative division code")
    if division.level is Level.REGION:
        return None
    if division.level is Level.CITY:
        return division.code[:4]
    return division.code


def scope_of(scopes: Sequence[str], maintenance_unit: str | None, role: Role,
             divisions: Divisions) -> Scope:
    """A user's scope from their stored scope codes (no codes: nothing at all)."""
    prefixes = [scope_prefix(code, divisions) for code in scopes]
    unit = maintenance_unit if role is Role.MAINTENANCE_UNIT else None
    if any(p is None for p in prefixes):
        return Scope(None, unit)
    return Scope(tuple(sorted({p for p in prefixes if p is not None})), unit)
