"""The store service: kefu's only way into the database.

Every method is one transaction (all or nothing) and returns plain dataclasses.  Methods are
synchronous and thread-safe; asyncio callers run them in a worker thread.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from alembic import command
from alembic.config import Config as AlembicConfig
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, exists, func, or_, select, text, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kefu.bus import Event
from kefu.config import MIN_EXTENSION_PASSWORD, ExtensionConfig
from kefu.values import EXTENSION, EXTENSION_MAX, PHONE

from .cdr import cdr_from_events
from .credentials import default_hasher, ha1, new_token, token_digest
from .engine import WRITE_OPTION, make_engine
from .errors import Conflict, Invalid, NotFound
from .models import (AnnouncementAckRow, AnnouncementRow, ApiTokenRow, CallEventRow, CallRow,
                     ContactNoteRow, CustomerRow, ExtensionRow, UserExtensionRow, UserRow)
from .records import (CONTACT_RESULTS, CONTACT_TYPES, ROLES, Announcement, Cdr, ContactNote,
                      Customer, Extension, User)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
DEFAULT_TOKEN_TTL = 12 * 3600.0
MIN_USER_PASSWORD = 8
MAX_USERNAME = 64
MAX_DISPLAY_NAME = 128
MAX_NOTES = 4000             # customer notes and contact notes, in characters
MAX_TITLE = 200
MAX_BODY = 20_000
MAX_AUDIENCE = 1000
MAX_GROUPS = 100             # queue names (技能组) one announcement may name
MAX_GROUP_NAME = 64
MAX_RECIPIENTS = 10_000      # usernames an announcement reaches, groups resolved
MAX_CALL_ID = 128
MAX_BINDINGS = 100          # extensions one agent may be bound to
_MIGRATE_LOCK = 0x6B656675  # "kefu": pg advisory lock key serialising migrations


def _check_number(number: str) -> None:
    if not EXTENSION.is_valid(number):
        raise Invalid(f"{EXTENSION.name} {EXTENSION.problem(number)}")


def _check_sip_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_EXTENSION_PASSWORD:
        raise Invalid(f"extension password must be at least {MIN_EXTENSION_PASSWORD} characters")


def _check_display_name(name: str) -> None:
    if not isinstance(name, str) or len(name) > MAX_DISPLAY_NAME:
        raise Invalid(f"display name must be a string of at most {MAX_DISPLAY_NAME} characters")


def _check_text(field: str, value: object, max_len: int, *, required: bool = False) -> None:
    if not isinstance(value, str) or len(value) > max_len or (required and not value.strip()):
        raise Invalid(f"{field} must be a {'non-blank ' if required else ''}string of at "
                      f"most {max_len} characters")


def _check_phone(number: object) -> None:
    """Customer numbers are stored exactly as the caller ID arrives (no normalisation yet):
    E.164 with or without "+", national numbers, extensions."""
    if not PHONE.is_valid(number):
        raise Invalid(f"{PHONE.name} {PHONE.problem(number)}")


def _check_choice(field: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise Invalid(f"{field} must be one of {', '.join(choices)}, got {value!r}")


_CUSTOMER_TEXT = {"name": MAX_DISPLAY_NAME, "company": MAX_DISPLAY_NAME, "tier": 32,
                  "owner": MAX_USERNAME, "notes": MAX_NOTES}


def _check_customer_fields(fields: dict[str, object]) -> None:
    """A customer's given fields: ``number`` and the free-text ones."""
    for field, value in fields.items():
        if field == "number":
            _check_phone(value)
        else:
            _check_text(field, value, _CUSTOMER_TEXT[field])
    tier = fields.get("tier")
    if isinstance(tier, str) and tier.strip() != tier:
        raise Invalid("tier must not have outer spaces")


def _check_note_fields(agent: str, type: str, result: str, notes: str,
                       call_id: str | None) -> None:
    _check_text("agent", agent, MAX_USERNAME, required=True)
    _check_choice("type", type, CONTACT_TYPES)
    _check_choice("result", result, CONTACT_RESULTS)
    _check_text("notes", notes, MAX_NOTES)
    if call_id is not None:
        _check_text("call_id", call_id, MAX_CALL_ID, required=True)


def _missing_users(s: Session, usernames: Iterable[str]) -> list[str]:
    """Those of ``usernames`` that are no user: a typo in an owner or an audience would
    otherwise route to, or address, nobody without anyone noticing."""
    wanted = set(usernames)
    if not wanted:
        return []
    found = set(s.scalars(select(UserRow.username).where(UserRow.username.in_(wanted))))
    return sorted(wanted - found)


def _addressed(recipients: Sequence[str], username: str) -> bool:
    """The rule :meth:`Store._addressed_clause` applies in SQL."""
    return not recipients or username in recipients


def _check_names(field: str, names: object, limit: int, max_len: int) -> list[str]:
    """``names`` as a list without duplicates (order kept), or Invalid: a string would
    otherwise be taken one character at a time."""
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) > limit:
        raise Invalid(f"{field} must be a list of at most {limit} names")
    for name in names:
        _check_text(f"{field} entry", name, max_len, required=True)
    return list(dict.fromkeys(names))


def _check_bindings(role: str, extensions: object) -> list[str]:
    """The extensions to bind, without duplicates: only agents are bound (supervisors and
    admins may use any extension)."""
    numbers = _check_names("extensions", extensions, MAX_BINDINGS, EXTENSION_MAX)
    for number in numbers:
        _check_number(number)
    if numbers and role != "agent":
        raise Invalid(f"only agents are bound to extensions; a {role} may use any")
    return numbers


def _recipients(audience: list[str], groups: list[str],
                group_members: Mapping[str, Iterable[str]]) -> list[str]:
    """The usernames an announcement reaches: the audience, then each group's members.

    Invalid for a group that is no queue, and when groups are named but nobody is left:
    an empty list means every agent, the opposite of what was asked.
    """
    if unknown := [g for g in groups if g not in group_members]:
        raise Invalid(f"groups name unknown queues: {', '.join(unknown)}")
    names = list(dict.fromkeys([*audience, *(m for g in groups for m in group_members[g])]))
    if groups and not names:
        raise Invalid(f"groups {', '.join(groups)} have no members and no agent is named: "
                      "the announcement would reach nobody")
    if len(names) > MAX_RECIPIENTS:
        raise Invalid(f"the announcement would reach {len(names)} users; at most "
                      f"{MAX_RECIPIENTS}")
    return names


def _extension(row: ExtensionRow) -> Extension:
    return Extension(number=row.number, display_name=row.display_name, ha1_md5=row.ha1_md5,
                     ha1_sha256=row.ha1_sha256, enabled=row.enabled, realm=row.realm,
                     created_at=row.created_at, updated_at=row.updated_at)


def _user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, display_name=row.display_name,
                role=row.role, created_at=row.created_at)


def _cdr(row: CallRow) -> Cdr:
    return Cdr(**{name: getattr(row, name) for name in Cdr.__dataclass_fields__})


def _customer(row: CustomerRow) -> Customer:
    return Customer(**{name: getattr(row, name) for name in Customer.__dataclass_fields__})


def _note(row: ContactNoteRow) -> ContactNote:
    return ContactNote(**{name: getattr(row, name) for name in ContactNote.__dataclass_fields__})


def _announcement(row: AnnouncementRow, acked: bool = False,
                  acks: int | None = None) -> Announcement:
    return Announcement(id=row.id, title=row.title, body=row.body, author=row.author,
                        audience=tuple(row.audience or ()), created_at=row.created_at,
                        acked=acked, acks=acks, groups=tuple(row.groups or ()),
                        recipients=tuple(row.recipients or ()))


class Store:
    """Extensions, users and tokens, the call event log and CDRs, customers and their
    contact history, announcements; on SQLite or PostgreSQL.

    ``hasher`` exists for tests (cheap argon2 parameters); production uses the default.
    """

    def __init__(self, url: str, *, hasher: PasswordHasher | None = None) -> None:
        self._engine = make_engine(url)
        self._read = sessionmaker(self._engine, expire_on_commit=False)
        self._write = sessionmaker(self._engine.execution_options(**{WRITE_OPTION: True}),
                                   expire_on_commit=False)
        self._hasher = hasher or default_hasher()
        self._dummy_hash: str | None = None

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    # ------------------------------------------------------------------ lifecycle

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self._engine.execution_options(**{WRITE_OPTION: True}).begin() as conn:
            if self.dialect == "postgresql":  # two nodes starting at once take turns
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATE_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def close(self) -> None:
        self._engine.dispose()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception as exc:  # any driver error means "not reachable"
            log.warning("database ping failed: %s", exc)
            return False

    @contextmanager
    def _tx(self, write: bool = True) -> Iterator[Session]:
        maker = self._write if write else self._read
        with maker.begin() as session:
            yield session

    def _insert(self, table: Any) -> Any:
        """The dialect's INSERT, which has ``on_conflict_do_*`` on both backends."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    def _add(self, row: Any, record: Any, conflict: str) -> Any:
        """Insert ``row`` and return ``record(row)``; a unique-key clash is a Conflict."""
        try:
            with self._tx() as s:
                s.add(row)
                s.flush()
                return record(row)
        except IntegrityError:
            raise Conflict(conflict) from None

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

    # ------------------------------------------------------------------ users and tokens

    def create_user(self, username: str, password: str, role: str,
                    display_name: str = "", extensions: Sequence[str] = ()) -> User:
        """Add a web user, bound to ``extensions`` (agents only) in the same transaction;
        raises :class:`Conflict` when the username is taken, Invalid (and creates
        nothing) when an extension does not exist."""
        if not (isinstance(username, str) and 0 < len(username) <= MAX_USERNAME
                and username.strip() == username):
            raise Invalid(f"username must be 1-{MAX_USERNAME} characters without outer spaces")
        if role not in ROLES:
            raise Invalid(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if not isinstance(password, str) or len(password) < MIN_USER_PASSWORD:
            raise Invalid(f"password must be at least {MIN_USER_PASSWORD} characters")
        _check_display_name(display_name)
        numbers = _check_bindings(role, extensions)
        row = UserRow(username=username, display_name=display_name, role=role,
                      password_hash=self._hasher.hash(password), created_at=time.time())
        try:
            with self._tx() as s:
                s.add(row)
                s.flush()
                self._bind(s, row.id, numbers)
                return _user(row)
        except IntegrityError:
            raise Conflict(f"user {username} already exists") from None

    def user_extensions(self, username: str) -> list[str]:
        """The extensions bound to ``username``, sorted; NotFound for an unknown user."""
        with self._tx(write=False) as s:
            user_id = s.scalar(select(UserRow.id).where(UserRow.username == username))
            if user_id is None:
                raise NotFound(f"user {username} does not exist")
            return list(s.scalars(select(UserExtensionRow.number)
                                  .where(UserExtensionRow.user_id == user_id)
                                  .order_by(UserExtensionRow.number)))

    def set_user_extensions(self, username: str, extensions: Sequence[str]) -> list[str]:
        """Bind ``username`` (an agent) to exactly ``extensions``, replacing its bindings;
        returns them sorted.  NotFound for an unknown user, Invalid for another role or an
        extension that does not exist (nothing changes then)."""
        with self._tx() as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            if row is None:
                raise NotFound(f"user {username} does not exist")
            numbers = _check_bindings(row.role, extensions)
            s.execute(delete(UserExtensionRow).where(UserExtensionRow.user_id == row.id))
            self._bind(s, row.id, numbers)
            return sorted(numbers)

    def extension_bindings(self) -> dict[str, list[str]]:
        """username → its extensions (sorted), for the users that have any."""
        with self._tx(write=False) as s:
            rows = s.execute(select(UserRow.username, UserExtensionRow.number)
                             .join(UserExtensionRow, UserExtensionRow.user_id == UserRow.id)
                             .order_by(UserRow.username, UserExtensionRow.number))
            out: dict[str, list[str]] = {}
            for username, number in rows:
                out.setdefault(username, []).append(number)
            return out

    @staticmethod
    def _bind(s: Session, user_id: int, numbers: list[str]) -> None:
        """Insert the bindings; Invalid naming the numbers that are no extension."""
        if not numbers:
            return
        known = set(s.scalars(select(ExtensionRow.number)
                              .where(ExtensionRow.number.in_(numbers))))
        if missing := [n for n in numbers if n not in known]:
            raise Invalid(f"no extension {', '.join(missing)}")
        now = time.time()
        s.add_all([UserExtensionRow(user_id=user_id, number=n, created_at=now)
                   for n in numbers])
        s.flush()

    def list_users(self) -> list[User]:
        with self._tx(write=False) as s:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.username))]

    def get_user(self, user_id: int) -> User | None:
        with self._tx(write=False) as s:
            row = s.get(UserRow, user_id)
            return _user(row) if row else None

    def user_named(self, username: str) -> User | None:
        with self._tx(write=False) as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            return _user(row) if row else None

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password matches, else None; upgrades outdated hashes.

        The slow argon2 check runs outside any transaction, and an unknown username costs
        the same time as a wrong password, so timing does not reveal who exists.
        """
        with self._tx(write=False) as s:
            row = s.scalar(select(UserRow).where(UserRow.username == username))
            user, stored = (_user(row), row.password_hash) if row else (None, None)
        if stored is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash("kefu-no-such-user")
            stored = self._dummy_hash
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if self._hasher.check_needs_rehash(stored):
            with self._tx() as s:
                row = s.get(UserRow, user.id)
                if row is not None and row.password_hash == stored:
                    row.password_hash = self._hasher.hash(password)
        return user

    def issue_token(self, user_id: int, ttl_s: float = DEFAULT_TOKEN_TTL, *,
                    now: float | None = None) -> str:
        """A new bearer token for the user, valid ``ttl_s`` seconds from ``now``.

        Only its SHA-256 is stored.  Expired tokens of every user are purged on the way.
        """
        if ttl_s <= 0:
            raise Invalid("token lifetime must be positive")
        now = time.time() if now is None else now
        token = new_token()
        with self._tx() as s:
            if s.get(UserRow, user_id) is None:
                raise NotFound(f"user {user_id} does not exist")
            s.execute(delete(ApiTokenRow).where(ApiTokenRow.expires_at <= now))
            s.add(ApiTokenRow(token_sha256=token_digest(token), user_id=user_id,
                              created_at=now, expires_at=now + ttl_s))
        return token

    def user_for_token(self, token: str, *, now: float | None = None) -> User | None:
        """The token's user, or None when unknown, revoked or expired."""
        now = time.time() if now is None else now
        with self._tx(write=False) as s:
            row = s.scalar(
                select(UserRow).join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
                .where(ApiTokenRow.token_sha256 == token_digest(token),
                       ApiTokenRow.expires_at > now))
            return _user(row) if row else None

    def revoke_token(self, token: str) -> bool:
        """True when the token existed (expired or not) and is now gone."""
        with self._tx() as s:
            result = s.execute(delete(ApiTokenRow)
                               .where(ApiTokenRow.token_sha256 == token_digest(token)))
            return bool(result.rowcount)

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
                   offset: int = 0) -> tuple[list[Cdr], int]:
        """CDRs newest first, and how many match in all.

        ``number`` matches caller or callee; ``since <= start_ts < until``.
        """
        if limit < 1 or offset < 0:
            raise Invalid("limit must be >= 1 and offset >= 0")
        where = []
        if number:
            where.append(or_(CallRow.caller == number, CallRow.callee == number))
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

    # ------------------------------------------------------------------ customers (CRM)

    def create_customer(self, number: str, *, name: str = "", company: str = "",
                        tier: str = "", owner: str = "", notes: str = "") -> Customer:
        """Add a customer; raises :class:`Conflict` when the number is already someone's."""
        _check_customer_fields({"number": number, "name": name, "company": company,
                                "tier": tier, "owner": owner, "notes": notes})
        now = time.time()
        try:
            with self._tx() as s:
                if missing := _missing_users(s, [owner] if owner else []):
                    raise Invalid(f"owner {missing[0]} is not a user")
                row = CustomerRow(number=number, name=name, company=company, tier=tier,
                                  owner=owner, notes=notes, created_at=now, updated_at=now)
                s.add(row)
                s.flush()
                return _customer(row)
        except IntegrityError:
            raise Conflict(f"customer with number {number} already exists") from None

    def get_customer(self, customer_id: int) -> Customer | None:
        with self._tx(write=False) as s:
            row = s.get(CustomerRow, customer_id)
            return _customer(row) if row else None

    def find_customer_by_number(self, number: str) -> Customer | None:
        """The customer with exactly this number (the screen pop); anything that is not a
        valid number simply matches nobody, since caller IDs can be "anonymous"."""
        with self._tx(write=False) as s:
            row = s.scalar(select(CustomerRow).where(CustomerRow.number == number))
            return _customer(row) if row else None

    def update_customer(self, customer_id: int, *, number: str | None = None,
                        name: str | None = None, company: str | None = None,
                        tier: str | None = None, owner: str | None = None,
                        notes: str | None = None) -> Customer:
        """Change the given fields (None leaves one as it is)."""
        fields = {k: v for k, v in (("number", number), ("name", name), ("company", company),
                                    ("tier", tier), ("owner", owner), ("notes", notes))
                  if v is not None}
        _check_customer_fields(fields)
        try:
            with self._tx() as s:
                row = s.get(CustomerRow, customer_id)
                if row is None:
                    raise NotFound(f"customer {customer_id} does not exist")
                if missing := _missing_users(s, [owner] if owner else []):
                    raise Invalid(f"owner {missing[0]} is not a user")
                for key, value in fields.items():
                    setattr(row, key, value)
                row.updated_at = time.time()
                s.flush()
                return _customer(row)
        except IntegrityError:
            raise Conflict(f"customer with number {number} already exists") from None

    def add_contact_note(self, customer_id: int, *, agent: str, type: str, result: str,
                         notes: str = "", call_id: str | None = None) -> ContactNote:
        """Append a note to the customer's history; NotFound for an unknown customer."""
        _check_note_fields(agent, type, result, notes, call_id)
        with self._tx() as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            return self._append_note(s, customer_id, agent, type, result, notes, call_id)

    def add_call_note(self, call_id: str, number: str, *, agent: str, type: str,
                      result: str, notes: str = "",
                      name: str = "") -> tuple[ContactNote, Customer, bool]:
        """The wrap-up form in one transaction: the customer with ``number`` (created with
        ``name`` when unknown) gets a note on the call.  Returns the note, the customer and
        whether the customer was created.

        All or nothing: an invalid note leaves no new customer behind, and two agents
        noting the same new number at once both end up on one customer.
        """
        _check_customer_fields({"number": number, "name": name})
        _check_note_fields(agent, type, result, notes, call_id)
        now = time.time()
        with self._tx() as s:
            inserted = s.execute(
                self._insert(CustomerRow.__table__).values(
                    number=number, name=name, company="", tier="", owner="", notes="",
                    created_at=now, updated_at=now,
                ).on_conflict_do_nothing(index_elements=["number"])
                .returning(CustomerRow.__table__.c.id)).first()
            row = s.scalar(select(CustomerRow).where(CustomerRow.number == number))
            assert row is not None  # inserted now or already there
            note = self._append_note(s, row.id, agent, type, result, notes, call_id)
            return note, _customer(row), inserted is not None

    def _append_note(self, s: Session, customer_id: int, agent: str, type: str, result: str,
                     notes: str, call_id: str | None) -> ContactNote:
        row = ContactNoteRow(customer_id=customer_id, call_id=call_id, agent=agent, type=type,
                             result=result, notes=notes, created_at=time.time())
        s.add(row)
        s.flush()
        return _note(row)

    def contact_history(self, customer_id: int, limit: int = 50) -> list[ContactNote]:
        """The customer's notes, newest first; NotFound for an unknown customer (an empty
        list would not tell "no history" from "wrong id")."""
        if limit < 1:
            raise Invalid("limit must be >= 1")
        with self._tx(write=False) as s:
            if s.get(CustomerRow, customer_id) is None:
                raise NotFound(f"customer {customer_id} does not exist")
            rows = s.scalars(select(ContactNoteRow)
                             .where(ContactNoteRow.customer_id == customer_id)
                             .order_by(ContactNoteRow.created_at.desc(),
                                       ContactNoteRow.id.desc())
                             .limit(limit))
            return [_note(r) for r in rows]

    # ------------------------------------------------------------------ announcements

    def post_announcement(self, title: str, body: str, author: str,
                          audience: Sequence[str] = (), groups: Sequence[str] = (),
                          group_members: Mapping[str, Iterable[str]] | None = None
                          ) -> Announcement:
        """Publish a notice to ``audience`` (usernames) and ``groups`` (queue names, 技能组);
        both empty: every agent.

        The store does not know the queues: ``group_members`` maps every queue the caller
        knows to its members, and a group not in it is Invalid.  Groups are resolved to
        their members now, so an agent who joins a queue later does not get older notices.
        Audience names must be users; duplicates are dropped, order is kept.
        """
        _check_text("title", title, MAX_TITLE, required=True)
        _check_text("body", body, MAX_BODY)
        _check_text("author", author, MAX_USERNAME, required=True)
        names = _check_names("audience", audience, MAX_AUDIENCE, MAX_USERNAME)
        group_names = _check_names("groups", groups, MAX_GROUPS, MAX_GROUP_NAME)
        recipients = _recipients(names, group_names, group_members or {})
        with self._tx() as s:
            if missing := _missing_users(s, names):
                raise Invalid(f"audience names unknown users: {', '.join(missing)}")
            row = AnnouncementRow(title=title, body=body, author=author, audience=names,
                                  groups=group_names, recipients=recipients,
                                  created_at=time.time())
            s.add(row)
            s.flush()
            return _announcement(row, acks=0)

    def _addressed_clause(self, username: str) -> ColumnElement[bool]:
        """SQL for "the announcement is for every agent or reaches ``username``".

        JSON membership has no portable SQL: jsonb containment on PostgreSQL, json_each
        on SQLite.  :func:`_addressed` is the same rule in Python.
        """
        recipients = AnnouncementRow.recipients
        if self.dialect == "postgresql":
            doc = type_coerce(recipients, JSONB)
            return or_(func.jsonb_array_length(doc) == 0, doc.contains([username]))
        members = func.json_each(recipients).table_valued("value")
        return or_(func.json_array_length(recipients) == 0,
                   exists(select(members.c.value).where(members.c.value == username)))

    def announcements_for(self, username: str, is_staff: bool,
                          limit: int = 50) -> list[Announcement]:
        """Announcements newest first, each with whether ``username`` acknowledged it.

        An agent gets those addressed to it; staff (admins, supervisors) get all, with how
        many users acknowledged each.
        """
        if limit < 1:
            raise Invalid("limit must be >= 1")
        mine = (select(AnnouncementAckRow.announcement_id)
                .where(AnnouncementAckRow.username == username))
        stmt = (select(AnnouncementRow, AnnouncementRow.id.in_(mine).label("acked"))
                .order_by(AnnouncementRow.created_at.desc(), AnnouncementRow.id.desc())
                .limit(limit))
        if not is_staff:
            stmt = stmt.where(self._addressed_clause(username))
        with self._tx(write=False) as s:
            rows = s.execute(stmt).all()
            if not is_staff:
                return [_announcement(row, acked=bool(acked)) for row, acked in rows]
            counts = dict(s.execute(
                select(AnnouncementAckRow.announcement_id, func.count())
                .where(AnnouncementAckRow.announcement_id.in_([row.id for row, _ in rows]))
                .group_by(AnnouncementAckRow.announcement_id)).all())
            return [_announcement(row, acked=bool(acked), acks=counts.get(row.id, 0))
                    for row, acked in rows]

    def ack_announcement(self, announcement_id: int, username: str,
                         is_staff: bool = False) -> bool:
        """Record that ``username`` read the announcement; True the first time, False when
        it had already (idempotent).  NotFound when it does not exist or, for an agent, is
        not addressed to it: an agent must not learn what was sent to others.
        """
        _check_text("username", username, MAX_USERNAME, required=True)
        with self._tx() as s:
            row = s.get(AnnouncementRow, announcement_id)
            if row is None or not (is_staff or _addressed(row.recipients or (), username)):
                raise NotFound(f"announcement {announcement_id} does not exist")
            stmt = (self._insert(AnnouncementAckRow.__table__)
                    .values(announcement_id=announcement_id, username=username,
                            acked_at=time.time())
                    .on_conflict_do_nothing()
                    .returning(AnnouncementAckRow.__table__.c.username))
            return s.execute(stmt).first() is not None
