"""The store service: extensions, the call event log and CDRs.

Every method is one transaction (all or nothing) and returns plain dataclasses.  Methods are
synchronous and thread-safe; asyncio callers run them in a worker thread.

The business domains (users, customers, announcements) are slices of their own
(``kefu.users``, ``kefu.crm``, ``kefu.announcements``) over the same :class:`Database`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from typing import Iterable, Sequence

from sqlalchemy import delete, exists, func, or_, select

from kefu.bus import Event
from kefu.config import MIN_EXTENSION_PASSWORD, ExtensionConfig

from .cdr import cdr_from_events
from .checks import check_display_name as _check_display_name
from .checks import check_number as _check_number
from .credentials import ha1
from .db import MIGRATIONS_DIR, Database
from .errors import Invalid, NotFound
from .models import CallEventRow, CallRow, ExtensionRow
from .records import Cdr, Extension

__all__ = ["MIGRATIONS_DIR", "Store"]

log = logging.getLogger(__name__)


def _check_sip_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_EXTENSION_PASSWORD:
        raise Invalid(f"extension password must be at least {MIN_EXTENSION_PASSWORD} characters")


def _extension(row: ExtensionRow) -> Extension:
    return Extension(number=row.number, display_name=row.display_name, ha1_md5=row.ha1_md5,
                     ha1_sha256=row.ha1_sha256, enabled=row.enabled, realm=row.realm,
                     created_at=row.created_at, updated_at=row.updated_at)


def _cdr(row: CallRow) -> Cdr:
    return Cdr(**{name: getattr(row, name) for name in Cdr.__dataclass_fields__})


class Store:
    """Extensions, the call event log and CDRs; on SQLite or PostgreSQL.

    ``db`` is the shared :class:`Database`; the slices' services are built on it
    (``Users(store.db)``).
    """

    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self._engine = self.db.engine
        self._tx = self.db.tx
        self._insert = self.db.insert
        self._add = self.db.add

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.db.dialect

    # ------------------------------------------------------------------ lifecycle

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        self.db.migrate()

    def close(self) -> None:
        self.db.close()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        return self.db.ping()

    # ------------------------------------------------------------------ extensions

    def create_extension(self, number: str, password: str, display_name: str,
                         realm: str) -> Extension:
        """Add an extension; raises :class:`Conflict` when the number exists."""
        _check_number(number)
        _check_sip_password(password)
        _check_display_name(display_name)
        now = time.time()
        row = ExtensionRow(number=number, display_name=display_name, realm=realm,
                           ha1_md5=ha1(number, realm, password, "MD5"),
                           ha1_sha256=ha1(number, realm, password, "SHA-256"),
                           enabled=True, created_at=now, updated_at=now)
        return self._add(row, _extension, f"extension {number} already exists")

    def get_extension(self, number: str) -> Extension | None:
        with self._tx(write=False) as s:
            row = s.scalar(select(ExtensionRow).where(ExtensionRow.number == number))
            return _extension(row) if row else None

    def list_extensions(self) -> list[Extension]:
        with self._tx(write=False) as s:
            rows = s.scalars(select(ExtensionRow).order_by(ExtensionRow.number))
            return [_extension(r) for r in rows]

    def update_extension(self, number: str, *, password: str | None = None,
                         display_name: str | None = None, enabled: bool | None = None,
                         realm: str | None = None) -> Extension:
        """Change the given fields; a new password needs the ``realm`` for its HA1s."""
        if password is not None:
            _check_sip_password(password)
            if not realm:
                raise Invalid("a new extension password needs the digest realm")
        if display_name is not None:
            _check_display_name(display_name)
        with self._tx() as s:
            row = s.scalar(select(ExtensionRow).where(ExtensionRow.number == number))
            if row is None:
                raise NotFound(f"extension {number} does not exist")
            if password is not None and realm:
                row.realm = realm
                row.ha1_md5 = ha1(number, realm, password, "MD5")
                row.ha1_sha256 = ha1(number, realm, password, "SHA-256")
            if display_name is not None:
                row.display_name = display_name
            if enabled is not None:
                row.enabled = bool(enabled)
            row.updated_at = time.time()
            s.flush()
            return _extension(row)

    def delete_extension(self, number: str) -> bool:
        """True when an extension was deleted, False when there was none."""
        with self._tx() as s:
            result = s.execute(delete(ExtensionRow).where(ExtensionRow.number == number))
            return bool(result.rowcount)

    def seed_extensions(self, configs: Iterable[ExtensionConfig], realm: str) -> list[str]:
        """Create the configured extensions that are missing; returns the numbers created.

        Existing extensions are never overwritten: once created, the web API owns them.
        """
        configs = list(configs)
        for cfg in configs:
            _check_number(cfg.number)
            _check_sip_password(cfg.password)
            _check_display_name(cfg.display_name)
        now = time.time()
        created: list[str] = []
        with self._tx() as s:
            for cfg in configs:
                stmt = self._insert(ExtensionRow.__table__).values(
                    number=cfg.number, display_name=cfg.display_name, realm=realm,
                    ha1_md5=ha1(cfg.number, realm, cfg.password, "MD5"),
                    ha1_sha256=ha1(cfg.number, realm, cfg.password, "SHA-256"),
                    enabled=True, created_at=now, updated_at=now,
                ).on_conflict_do_nothing(index_elements=["number"]).returning(
                    ExtensionRow.__table__.c.number)
                # rowcount is -1 with RETURNING on psycopg; a returned row means inserted
                if s.execute(stmt).first() is not None:
                    created.append(cfg.number)
        if created:
            log.info("created extensions from config: %s", ", ".join(created))
        return created

    # ------------------------------------------------------------------ event log

    def append_event(self, event: Event) -> int:
        """Append one event to the log; returns its sequence number."""
        return self.append_events([event])[0]

    def append_events(self, events: Sequence[Event]) -> list[int]:
        """Append events in order, in one transaction (all or none); their sequence numbers.

        The event log writer batches whatever queued up meanwhile: under a burst of calls
        one commit per event would cost more than the events themselves.
        """
        rows = []
        for event in events:
            try:
                json.dumps(event.data)
            except (TypeError, ValueError) as exc:
                raise Invalid(f"event data is not JSON: {exc}") from None
            rows.append(CallEventRow(ts=float(event.ts), call_id=event.call_id,
                                     type=event.type, data=dict(event.data)))
        with self._tx() as s:
            s.add_all(rows)
            s.flush()
            return [row.id for row in rows]

    def events_for_call(self, call_id: str) -> list[Event]:
        """The call's events in the order they were appended."""
        with self._tx(write=False) as s:
            rows = s.scalars(select(CallEventRow).where(CallEventRow.call_id == call_id)
                             .order_by(CallEventRow.id))
            return [Event(type=r.type, call_id=r.call_id, data=dict(r.data or {}), ts=r.ts)
                    for r in rows]

    def events_since(self, since: float, prefix: str = "") -> list[Event]:
        """Events logged at or after ``since`` whose type starts with ``prefix``, in the
        order they were appended (the ACD replays today's ``queue.`` events at start)."""
        with self._tx(write=False) as s:
            query = select(CallEventRow).where(CallEventRow.ts >= since)
            if prefix:
                query = query.where(CallEventRow.type.startswith(prefix, autoescape=True))
            rows = s.scalars(query.order_by(CallEventRow.id))
            return [Event(type=r.type, call_id=r.call_id, data=dict(r.data or {}), ts=r.ts)
                    for r in rows]

    # ------------------------------------------------------------------ CDRs

    def derive_cdr(self, call_id: str) -> Cdr | None:
        """Rebuild the call's CDR from its events and save it; None without ``call.started``.

        Idempotent: call it after every event of interest, or again after a crash.
        """
        events = self.events_for_call(call_id)
        if not any(e.type == "call.started" for e in events):
            return None
        cdr = cdr_from_events(events)
        values = asdict(cdr)
        stmt = self._insert(CallRow.__table__).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["call_id"],
            set_={k: v for k, v in values.items() if k != "call_id"})
        with self._tx() as s:
            s.execute(stmt)
        return cdr

    def calls_without_cdr(self) -> list[str]:
        """Calls that started but have no finished CDR: in progress, or cut off by a crash
        (no ``call.ended``, or killed between it and its CDR); oldest first."""
        finished = exists().where(CallRow.call_id == CallEventRow.call_id,
                                  CallRow.end_ts.is_not(None))
        with self._tx(write=False) as s:
            return list(s.scalars(select(CallEventRow.call_id)
                                  .where(CallEventRow.type == "call.started",
                                         CallEventRow.call_id.is_not(None), ~finished)
                                  .order_by(CallEventRow.id)))

    def get_call(self, call_id: str) -> Cdr | None:
        with self._tx(write=False) as s:
            row = s.get(CallRow, call_id)
            return _cdr(row) if row else None

    def list_calls(self, number: str | None = None, since: float | None = None,
                   until: float | None = None, limit: int = 50,
                   offset: int = 0, agent: str | None = None,
                   extensions: Sequence[str] = ()) -> tuple[list[Cdr], int]:
        """CDRs newest first, and how many match in all.

        ``number`` matches caller or callee; ``since <= start_ts < until``.  ``agent``: the
        calls that agent took from a queue (its ``queue.connect``) or that one of its
        ``extensions`` placed or took directly (the event log names no agent on those).
        """
        if limit < 1 or offset < 0:
            raise Invalid("limit must be >= 1 and offset >= 0")
        where = []
        if number:
            where.append(or_(CallRow.caller == number, CallRow.callee == number))
        if agent is not None:
            took = (select(CallEventRow.call_id)
                    .where(CallEventRow.type == "queue.connect",
                           CallEventRow.data["agent"].as_string() == agent))
            if since is not None:      # a call is connected after it starts: the ts index
                took = took.where(CallEventRow.ts >= since)
            own = [CallRow.caller.in_(extensions), CallRow.callee.in_(extensions)] if extensions else []
            where.append(or_(CallRow.call_id.in_(took), *own))
        if since is not None:
            where.append(CallRow.start_ts >= since)
        if until is not None:
            where.append(CallRow.start_ts < until)
        with self._tx(write=False) as s:
            total = s.scalar(select(func.count()).select_from(CallRow).where(*where)) or 0
            rows = s.scalars(select(CallRow).where(*where)
                             .order_by(CallRow.start_ts.desc(), CallRow.call_id.desc())
                             .limit(limit).offset(offset))
            return [_cdr(r) for r in rows], int(total)
