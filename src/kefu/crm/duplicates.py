"""Customers who may be one person: the same number, the same e-mail, or a similar name
(rapidfuzz's ratio at least ``[crm] duplicate_name_ratio``) in the same company.

Numbers and e-mails are found by indexed joins; names are compared only within a
company (the ``company, name`` index), never across the whole table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rapidfuzz import fuzz, utils
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from .models import CustomerEmailRow, CustomerNumberRow, CustomerRow
from .repo import to_customers
from .records import Customer, Duplicate


def _similar(a: str, b: str, threshold: float) -> bool:
    """Alike once case, punctuation and outer spaces are set aside."""
    return bool(a.strip()) and bool(b.strip()) and \
        fuzz.ratio(a, b, processor=utils.default_process) >= threshold


def candidates(s: Session, row: CustomerRow, threshold: float) -> list[Duplicate]:
    """The customers who may be ``row``'s duplicates, oldest first, with the reasons."""
    reasons: dict[int, set[str]] = defaultdict(set)
    for owner, column, reason in (
            (CustomerNumberRow.customer_id, CustomerNumberRow.number, "number"),
            (CustomerEmailRow.customer_id, CustomerEmailRow.email, "email")):
        mine = select(column).where(owner == row.id)
        for cid in s.scalars(select(owner).where(column.in_(mine), owner != row.id)):
            reasons[cid].add(reason)
    if row.company.strip() and row.name.strip():
        for cid, name in s.execute(select(CustomerRow.id, CustomerRow.name).where(
                CustomerRow.company == row.company, CustomerRow.id != row.id)):
            if _similar(row.name, name, threshold):
                reasons[cid].add("name")
    found = to_customers(s, list(s.scalars(select(CustomerRow).where(
        CustomerRow.id.in_(list(reasons))).order_by(CustomerRow.id))))
    return [Duplicate(c, tuple(sorted(reasons[c.id]))) for c in found]


def _pairs(s: Session, threshold: float) -> Iterable[tuple[int, int, str]]:
    tables: tuple[tuple[type[CustomerNumberRow] | type[CustomerEmailRow], str], ...] = (
        (CustomerNumberRow, "number"), (CustomerEmailRow, "email"))
    for table, reason in tables:
        a, b = aliased(table), aliased(table)
        yield from ((x, y, reason) for x, y in s.execute(
            select(a.customer_id, b.customer_id)
            .join(b, getattr(a, reason) == getattr(b, reason))
            .where(a.customer_id < b.customer_id).distinct()))
    shared = (select(CustomerRow.company).where(CustomerRow.company != "")
              .group_by(CustomerRow.company).having(func.count() > 1))
    by_company: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for cid, company, name in s.execute(select(CustomerRow.id, CustomerRow.company,
                                               CustomerRow.name)
                                        .where(CustomerRow.company.in_(shared))
                                        .order_by(CustomerRow.company, CustomerRow.id)):
        by_company[company].append((cid, name))
    for people in by_company.values():
        for i, (x, xname) in enumerate(people):
            for y, yname in people[i + 1:]:
                if _similar(xname, yname, threshold):
                    yield x, y, "name"


def groups(s: Session, threshold: float, limit: int) -> list[tuple[list[Customer], tuple[str, ...]]]:
    """Every set of customers linked by a shared number or e-mail or a similar name (a
    chain of links is one group), the oldest member's group first, at most ``limit``."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    why: dict[int, set[str]] = defaultdict(set)
    links = list(_pairs(s, threshold))
    for x, y, _ in links:
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    for x, _, reason in links:
        why[root(x)].add(reason)
    members: dict[int, list[int]] = defaultdict(list)
    for x in parent:
        members[root(x)].append(x)
    chosen = sorted(members)[:limit]
    ids = [cid for r in chosen for cid in members[r]]
    customers = {c.id: c for c in to_customers(s, list(s.scalars(
        select(CustomerRow).where(CustomerRow.id.in_(ids)))))}
    return [([customers[cid] for cid in sorted(members[r])], tuple(sorted(why[r])))
            for r in chosen]
