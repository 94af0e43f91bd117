"""The ``kefu`` command: init, serve, migrate, user add, user bind, ivr publish,
recordings verify|archive|retain, events-schema.

Exit codes: 0 done, 1 the operation failed (file exists, user exists, database down),
2 bad usage or configuration — so scripts and service managers can tell them apart.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import logging
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from kefu import __version__
from kefu.config import ConfigError, Settings, load_settings
from kefu.config_template import starter_config

DEFAULT_CONFIG = Path("kefu.toml")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Fail(Exception):
    """Stop the command: print ``kefu: <message>`` and exit with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _config_path(args: argparse.Namespace) -> Path | None:
    """``--config``, else ``KEFU_CONFIG`` (read by load_settings), else ./kefu.toml if any."""
    if args.config is not None:
        return Path(args.config)
    if os.environ.get("KEFU_CONFIG") or not DEFAULT_CONFIG.exists():
        return None
    return DEFAULT_CONFIG


def _settings(args: argparse.Namespace) -> Settings:
    try:
        from kefu.acd.strategies import strategy_names   # acd below cli, above config
        return load_settings(_config_path(args), strategies=strategy_names())
    except ConfigError as exc:
        raise _Fail(f"config error: {exc}", 2) from None


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level, logging.INFO), format=LOG_FORMAT)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # chatty at INFO


def _open_store(settings: Settings):  # type: ignore[no-untyped-def]
    """The configured store, migrated; database trouble becomes a one-line failure."""
    from sqlalchemy.exc import SQLAlchemyError

    from kefu.store import Store

    try:
        store = Store(settings.db_url)
        store.migrate()
    except SQLAlchemyError as exc:
        raise _Fail(f"database error: {exc.__class__.__name__}: {exc.args[0] if exc.args else exc}")
    return store


def _safe_url(url: str) -> str:
    from kefu.store.engine import normalise_url

    return normalise_url(url).render_as_string(hide_password=True)


# ------------------------------------------------------------------ commands

def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.config or os.environ.get("KEFU_CONFIG") or DEFAULT_CONFIG)
    if path.exists() and not args.force:
        raise _Fail(f"{path} exists; use --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600: the file holds SIP passwords
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(starter_config(demo=args.demo))
    os.chmod(path, 0o600)
    print(f"kefu: wrote {path}")
    print(f"next: kefu user add admin --role admin --config {path}; kefu serve --config {path}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings.log_level)
    app = importlib.import_module("kefu.app")   # lazily: the PBX stack is heavy
    app.run(settings)
    return 0


def cmd_events_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of every event (``docs/events.schema.json`` is its output)."""
    from kefu.events import schema_text

    sys.stdout.write(schema_text())
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings.log_level)
    store = _open_store(settings)
    store.close()
    print(f"kefu: database {_safe_url(settings.db_url)} is up to date")
    return 0


def _ask_password() -> str:
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise _Fail("passwords do not match")
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings.log_level)
    password = args.password if args.password is not None else _ask_password()
    extensions = args.extension or []
    with _user_store(settings, extensions) as users:
        user = users.create_user(args.username, password, args.role, args.display_name,
                                extensions)
    bound = f", extensions {', '.join(sorted(set(extensions)))}" if extensions else ""
    print(f"kefu: created user {user.username} ({user.role}){bound}")
    return 0


def cmd_user_bind(args: argparse.Namespace) -> int:
    settings = _settings(args)
    _setup_logging(settings.log_level)
    with _user_store(settings, args.extensions) as users:
        numbers = users.set_user_extensions(args.username, args.extensions)
    print(f"kefu: {args.username} may use extensions {', '.join(numbers) or '(none)'}")
    return 0


@contextmanager
def _user_store(settings: Settings, extensions: Sequence[str]) -> Iterator[Any]:
    """The users service for a user command; the config's extensions are created first
    when some are to be bound (as ``serve`` does), and store errors become exit codes."""
    from kefu.store import Conflict, Invalid, NotFound
    from kefu.users.service import Users

    store = _open_store(settings)
    try:
        if extensions:
            store.seed_extensions(settings.extensions, settings.sip.realm)
        yield Users(store.db, settings.users)
    except (Conflict, NotFound) as exc:
        raise _Fail(str(exc)) from None
    except Invalid as exc:
        raise _Fail(str(exc), 2) from None
    finally:
        store.close()


def cmd_ivr_publish(args: argparse.Namespace) -> int:
    """Publish a flow kept in a file (git, the demo): its draft is created or replaced,
    then published.  A flow with problems is refused before anything is written, each
    problem naming its node (exit 2), so a script never leaves a half-saved draft."""
    settings = _settings(args)
    _setup_logging(settings.log_level)
    from kefu.ivr.service import FlowRefused, Flows
    from kefu.store import Conflict, Invalid, NotFound

    path = Path(args.file)
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Fail(f"cannot read {path}: {exc}", 2) from None
    name = _flow_name(source, path)
    store = _open_store(settings)
    try:
        flows = Flows(store.db)
        problems = flows.validate(name, source)
        if problems:
            raise FlowRefused(name, problems)
        flows.save_draft(name, source, args.author)
        version = flows.publish(name, args.author)
    except FlowRefused as exc:
        raise _Fail(f"{path}: flow {name} not published:\n  " + "\n  ".join(exc.problems),
                    2) from None
    except Invalid as exc:
        raise _Fail(f"{path}: {exc}", 2) from None
    except (Conflict, NotFound) as exc:
        raise _Fail(str(exc)) from None
    finally:
        store.close()
    print(f"kefu: published flow {name} version {version.number}")
    return 0


def _flow_name(source: str, path: Path) -> str:
    """The flow's own ``name``; the file's stem when the text has none (then the check
    says what is wrong with the text)."""
    from kefu.ivr.flowcheck import FlowError, parse

    try:
        data = parse(source)
    except FlowError:
        return path.stem
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else path.stem


@contextmanager
def _lifecycle(args: argparse.Namespace) -> Iterator[Any]:
    """The recordings' file jobs over the configured store and directories."""
    from kefu.recordings.lifecycle import Lifecycle
    from kefu.recordings.service import Recordings

    settings = _settings(args)
    _setup_logging(settings.log_level)
    store = _open_store(settings)
    try:
        yield Lifecycle(Recordings(store.db), settings.recordings, settings.recordings_dir,
                        settings.archive_dir)
    finally:
        store.close()


def _bar(items: Any, total: int | None, what: str) -> Any:
    """A tqdm progress bar on stderr (none when stderr is not a terminal)."""
    from tqdm import tqdm

    return tqdm(items, total=total, desc=what, unit="file", disable=None, file=sys.stderr)


def cmd_recordings_verify(args: argparse.Namespace) -> int:
    """Re-hash every recording; exit 1 when a hash differs, a file is missing or a file
    has no metadata."""
    with _lifecycle(args) as life:
        problems = life.verify(progress=_bar)
    for line in problems.lines():
        print(line)
    print(f"kefu: {problems.checked} recordings checked, "
          f"{len(list(problems.lines())) or 'no'} problems")
    return 1 if problems else 0


def cmd_recordings_archive(args: argparse.Namespace) -> int:
    with _lifecycle(args) as life:
        if not life.settings.archive_after_days:
            print("kefu: recordings.archive_after_days is 0: nothing is archived")
            return 0
        moved = life.archive(args.user, progress=_bar)
    print(f"kefu: {moved} recordings moved to {life.archive_dir}")
    return 0


def cmd_recordings_retain(args: argparse.Namespace) -> int:
    with _lifecycle(args) as life:
        deleted = life.retain(args.user, progress=_bar)
    print(f"kefu: {deleted} recordings deleted by retention")
    return 0


@contextmanager
def _crm(args: argparse.Namespace) -> Iterator[Any]:
    """The CRM service over the configured store."""
    from kefu.crm.service import Crm
    from kefu.users.service import Users

    settings = _settings(args)
    _setup_logging(settings.log_level)
    store = _open_store(settings)
    try:
        yield Crm(store.db, Users(store.db, settings.users), settings.crm)
    finally:
        store.close()


def cmd_customers_import(args: argparse.Namespace) -> int:
    """Import a CSV or .xlsx file of customers as the API does (a re-import updates by
    number); a progress bar, then the rows refused with their reasons (exit 1 if any)."""
    from tqdm import tqdm

    from kefu.store import Invalid

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _Fail(f"cannot read {path}: {exc}", 2) from None
    with _crm(args) as crm:
        try:
            job_id = crm.start_import(args.user, path.name, data)
        except Invalid as exc:
            raise _Fail(f"{path}: {exc}", 2) from None
        job = crm.import_job(job_id)
        with tqdm(total=job.total, desc="import", unit="row", disable=None,
                  file=sys.stderr) as bar:
            while job.state == "running":
                time.sleep(0.2)
                job = crm.import_job(job_id)
                bar.update(job.done - bar.n)
    for e in job.errors:
        print(f"{path.name}: row {e.row}{f' ({e.column})' if e.column else ''}: {e.message}")
    print(f"kefu: import {job.state}: {job.created} created, {job.updated} updated, "
          f"{job.failed} refused")
    return 0 if job.state == "done" and not job.failed else 1


def cmd_customers_export(args: argparse.Namespace) -> int:
    fmt = "xlsx" if args.file.endswith(".xlsx") else "csv"
    with _crm(args) as crm:
        data, count = crm.export(args.user, fmt)
    Path(args.file).write_bytes(data)
    print(f"kefu: {count} customers written to {args.file}")
    return 0


# ------------------------------------------------------------------ parser

def build_parser() -> argparse.ArgumentParser:
    from kefu.users.service import ROLES

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", "-c", metavar="PATH",
                        help="config file (default: $KEFU_CONFIG, else ./kefu.toml if present)")

    parser = argparse.ArgumentParser(prog="kefu", description="kefu contact centre / SIP PBX")
    parser.add_argument("--version", action="version", version=f"kefu {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("init", parents=[common], help="write a starter config file")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.add_argument("--demo", action="store_true",
                   help="guessable demo passwords (demo1001pw…) instead of random ones")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", parents=[common], help="run the PBX and the HTTP API")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("events-schema",
                       help="print the JSON Schema of the events (docs/events.schema.json)")
    p.set_defaults(func=cmd_events_schema)

    users = sub.add_parser("user", help="manage web users")
    users_sub = users.add_subparsers(dest="user_command", metavar="ACTION")
    p = users_sub.add_parser("add", parents=[common], help="create a web user")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=ROLES)
    p.add_argument("--password", help="(default: prompt; a command line is visible to ps)")
    p.add_argument("--display-name", default="")
    p.add_argument("--extension", action="append", metavar="NUMBER",
                   help="agents: an extension it may log in on (repeat for more)")
    p.set_defaults(func=cmd_user_add)
    p = users_sub.add_parser("bind", parents=[common],
                             help="set the extensions an agent may log in on")
    p.add_argument("username")
    p.add_argument("extensions", nargs="*", metavar="NUMBER",
                   help="all of them (replaces the old list; none: unbind)")
    p.set_defaults(func=cmd_user_bind)
    users.set_defaults(func=lambda _a: _usage(users))

    ivr = sub.add_parser("ivr", help="IVR call flows")
    ivr_sub = ivr.add_subparsers(dest="ivr_command", metavar="ACTION")
    p = ivr_sub.add_parser("publish", parents=[common],
                           help="publish a flow from a YAML (or JSON) file")
    p.add_argument("file", metavar="FILE.yaml")
    p.add_argument("--author", default="cli", help="recorded with the version (default: cli)")
    p.set_defaults(func=cmd_ivr_publish)
    ivr.set_defaults(func=lambda _a: _usage(ivr))

    cust = sub.add_parser("customers", help="customers: import and export (CSV or .xlsx)")
    cust_sub = cust.add_subparsers(dest="customers_command", metavar="ACTION")
    p = cust_sub.add_parser("import", parents=[common],
                            help="import customers from a CSV or .xlsx file (a re-import "
                                 "updates by number; refused rows listed, exit 1)")
    p.add_argument("file")
    p.add_argument("--user", default="system", help="the name audited (default: system)")
    p.set_defaults(func=cmd_customers_import)
    p = cust_sub.add_parser("export", parents=[common],
                            help="write every customer to a .csv or .xlsx file")
    p.add_argument("file", help="the file to write; .xlsx: Excel, else CSV")
    p.add_argument("--user", default="system", help="the name audited (default: system)")
    p.set_defaults(func=cmd_customers_export)
    cust.set_defaults(func=lambda _a: _usage(cust))

    recs = sub.add_parser("recordings", help="recordings' files: integrity, archive, retention")
    recs_sub = recs.add_subparsers(dest="recordings_command", metavar="ACTION")
    p = recs_sub.add_parser("verify", parents=[common],
                            help="re-hash every recording; list mismatches, missing and "
                                 "unknown files (exit 1 if any)")
    p.set_defaults(func=cmd_recordings_verify)
    for name, func, what in (("archive", cmd_recordings_archive,
                              "move recordings older than recordings.archive_after_days to "
                              "the archive tier"),
                             ("retain", cmd_recordings_retain,
                              "delete recordings past their retention (recordings.retain_days, "
                              "[[recordings.retention]])")):
        p = recs_sub.add_parser(name, parents=[common], help=what + " (resumable)")
        p.add_argument("--user", default="system",
                       help="the name audited for each file (default: system)")
        p.set_defaults(func=func)
    recs.set_defaults(func=lambda _a: _usage(recs))
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        return _usage(parser)
    try:
        return func(args)
    except _Fail as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
