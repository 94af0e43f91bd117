"""The composition root: builds every service from the settings and runs them.

Order matters: the store (migrated, seeded) first, then the bus and event log, the
media engine, the switch and the SIP server, and the HTTP API last.  The media clock
starts only when nothing heavy is left to run on the loop (:func:`go_live`): a lazy
import or a certificate made after it would stall it.  Shutdown runs the other way
round so that no event is lost and every port is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
import re
import resource
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from starlette.routing import NoMatchFound

from kefu import __version__
from kefu.bus import Event, LocalBus, set_check
from kefu.config import QueueConfig, Settings
from kefu.acd.service import Acd
from kefu.calls.control import CallControl
from kefu.calls.call import Call
from kefu.calls.destinations import Destination
from kefu.calls.dialplan import DialPlan, Route
from kefu.acd.figures import day_start
from kefu.calls.protocol import Calls
from kefu.calls.switch import Switch
from kefu.eventlog import EventLog
from kefu.events import check_from_env
from kefu.media import MediaEngine
from kefu.media.recorder import repair_wav
from kefu.media.webrtc import restrict_ice
from kefu.sip.server import SipServer
from kefu.sip.trunks import Trunks
from kefu.announcements.service import Announcements
from kefu.qa.service import Qa
from kefu.recordings.ingest import Ingest
from kefu.recordings.lifecycle import Lifecycle
from kefu.recordings.listen import PhoneListen
from kefu.recordings.access import Denied
from kefu.recordings.service import Recording, Recordings
from kefu.crm.history import CallHistory
from kefu.reports.service import Outside, Reports
from kefu.reports.summary import Days, Summaries
from kefu.crm.service import Crm
from kefu.followups.service import Followups
from kefu.kb.guides import Guides
from kefu.kb.service import Kb
from kefu.mail import Mailer as SmtpMailer
from kefu.reports.filters import zone
from kefu.reports.schedule import ReportSchedules
from kefu.acd.clock import LoopClock
from kefu.crm.records import Customer
from kefu.ivr.asr import Hearing, shipped_engines
from kefu.ivr.calls import IvrCalls
from kefu.ivr.delivery import Mailer
from kefu.ivr.readout import read
from kefu.ivr.retrieve import Retrieve
from kefu.ivr.steps import Item
from kefu.ivr.lookup import Lookups
from kefu.ivr.promptset import PromptSet
from kefu.ivr.service import Ivr
from kefu.ivr.sounds import Sounds
from kefu.ivr.taking import Desk, Waiting
from kefu.ivr.tts import VOICES, EspeakNg, TtsCache
from kefu.store import Store
from kefu.tickets.service import Tickets
from kefu.store.errors import Invalid, NotFound
from kefu.store.reconcile import reconcile
from kefu.users.service import Users

log = logging.getLogger(__name__)


class Directory:
    """Extension look-ups for SIP auth and routing, cached until an extension changes.

    Read from the sippy thread and the asyncio loop; a dict swap is atomic enough.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[str, Any] = {}

    def __call__(self, number: str):
        if number not in self._cache:
            self._cache[number] = self.store.get_extension(number)
        return self._cache[number]

    def invalidate(self, _event: Event | None = None) -> None:
        self._cache = {}


@dataclass
class Kefu:
    """Every running service, for the CLI and for tests that run kefu in-process."""

    settings: Settings
    store: Store
    users: Users
    crm: Crm
    announcements: Announcements
    bus: LocalBus
    eventlog: EventLog
    media: MediaEngine
    sip: SipServer
    switch: Switch
    directory: Directory
    acd: Acd
    ivr: Ivr | None = None
    ivr_calls: IvrCalls | None = None
    ivr_lookups: Lookups | None = None     # the flows' look-ups: engines and HTTP client
    recordings: Recordings | None = None   # recordings' metadata (the recordings slice)
    recordings_ingest: Ingest | None = None   # the recordings' rows from the event log
    recordings_files: ThreadPoolExecutor | None = None   # compression and hashing on close
    qa: Qa | None = None                   # quality inspection over the recordings
    tickets: Tickets | None = None         # tickets (工单) and their SLA watch
    followups: Followups | None = None     # callbacks and return visits (回访)
    reports: Reports | None = None         # the reports (系统报表)
    summaries: Summaries | None = None     # their summary tables, folded from the event log
    report_schedules: ReportSchedules | None = None   # reports mailed on a timetable
    kb: Kb | None = None                   # the knowledge base (知识库)
    kb_trees: Guides | None = None         # its guided question trees (问题推测)
    rounds: list[asyncio.Task] = field(default_factory=list)   # every(): background work

    def status(self) -> dict:
        return {
            "sip": {"registrations": self.sip.locations.count(),
                    "bad_requests": self.sip.bad_requests + self.sip.bad_messages,
                    "trunks": self.sip.trunks.status() if self.sip.trunks else {},
                    "guard": self.sip.guard.status()},
            "calls": {"active": self.switch.active_calls()},
            "acd": {"waiting": len(self.acd.waiting),
                    "agents_logged_in": sum(a.logged_in for a in self.acd.agents.values())},
            "media": {"ports_in_use": self.media.ports_in_use},
            "tasks": len(asyncio.all_tasks()),
        }


async def start(settings: Settings, *, live: bool = True) -> Kefu:
    """Build every service; ``live``: then :func:`go_live` at once."""
    loop = asyncio.get_running_loop()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.recordings_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url)
    store.migrate()
    store.seed_extensions(settings.extensions, settings.sip.realm)
    reconcile(store, repair_wav)        # calls a crash cut off: closed before SIP takes more
    users = Users(store.db, settings.users)   # the business slices, on the store's database
    crm = Crm(store.db, users, settings.crm)
    crm.fail_stale_imports()            # customer imports a stop cut off: failed, not "running"
    announcements = Announcements(store.db, users)
    recordings = Recordings(store.db, settings.recordings, users=users)
    crm.on_merge.append(recordings.move_customer)   # a merged customer's recordings follow
    qa = Qa(store.db, recordings)
    ivr = Ivr(store.db, voicemail_dir=settings.data_dir / "voicemail",
              prompts_dir=settings.data_dir / "prompts" / "ivr")
    set_check(check_from_env())          # KEFU_CHECK_EVENTS=1: events held to kefu.events
    bus = LocalBus(loop)
    directory = Directory(store)
    ingest = recordings_ingest(store, recordings, crm, directory)
    ingest.sync()                       # after reconcile: rows for what a crash left behind
    files = recordings_files(settings, recordings, ingest)
    eventlog = EventLog(store, bus)
    eventlog.after_write.append(ingest.on_event)   # a recording's row at its events
    history = crm_history(store, crm, directory)
    eventlog.after_write.append(history.on_event)  # calls, surveys, voicemails: timelines
    summaries = report_summaries(settings, store)
    eventlog.after_write.append(summaries.on_event)  # the reports' tables, event by event
    eventlog.start()
    bus.subscribe(directory.invalidate, prefix="extension.")
    media = MediaEngine(settings.rtp.host, settings.rtp.port_min, settings.rtp.port_max,
                        latch=settings.media.latch)

    def notify(type_: str, aor: str, data: dict) -> None:
        bus.publish(Event(type=type_, data={"extension": aor, **data}))

    trunks = Trunks(settings.trunks, notify=lambda type_, name, data: bus.publish(
        Event(type=type_, data={"trunk": name, **data})))
    sip = SipServer(settings.sip, directory, handler=None, notify=notify,  # type: ignore[arg-type]
                    tls=settings.tls, security=settings.security, data_dir=settings.data_dir,
                    trunks=trunks, limits=settings.limits)
    # carriers send many calls from one address: never throttle or ban them
    sip.guard.trust([src for trunk in settings.trunks for src in trunk.inbound_sources])
    switch = Switch(settings, sip, media, bus, DialPlan.from_settings(settings, directory))
    sip.handler = switch
    switch.speak = lambda text: speak(settings, text)   # [recording] announce given as text
    await switch.start()
    # browsers' softphones offer ICE candidates on kefu's own address only
    restrict_ice([settings.webrtc_host])
    calls: Calls = switch          # the ACD sees the switch through the calls protocol only
    acd = Acd(settings, calls, bus)
    switch.register("queue", known_caller(crm, acd.take))
    recordings.members = lambda queues: acd_members(acd, queues)   # the groups' agents
    ivr_lookups = Lookups({"kefu": settings.db_url})
    ivr_calls = ivr_on_calls(settings, ivr, calls, bus, acd, crm, ivr_lookups,
                             waiting=sip.message_waiting)
    switch.register("flow", ivr_calls.take)
    if ivr_calls.voicemail is not None:     # the phones' feature code (dialplan.voicemail_code)
        switch.register("voicemail", Retrieve(ivr_calls, ivr_calls.voicemail))
        sip.mailbox_counts = ivr_calls.voicemail.counts   # a phone subscribing: its light
    # an inspector's access code (dialplan.recordings_code): recordings played by phone,
    # the prompts spoken by the IVR's TTS and read-out
    switch.register("recordings", PhoneListen(
        switch, bus, recordings, recordings.inspectors, users=users,
        voice=lambda text, lang: ivr_calls.sounds.files(Item(text=text, lang=lang)),
        spell=lambda lang, kind, value: read(lang, kind, value).text,
        access=lambda username: phone_access(recordings, users, username)))
    # memberships changed through the API and today's figures survive a restart
    restored = acd.restore(store.events_since(0.0, "agent.skills"),
                           store.events_since(day_start(time.time()), "queue."))
    log.info("acd: %d logged events replayed (skills, today's figures)", restored)
    await acd.start()
    followups = Followups(store.db, crm, users, settings.followups,
                          scope=group_scope(settings, acd, recordings), publish=bus.publish)
    crm.on_merge.append(followups.on_merge)        # a merged customer's follow-ups move
    tickets = Tickets(store.db, users, crm, files_dir=settings.data_dir / "tickets",
                      settings=settings.tickets, calendars=settings.calendars,
                      publish=bus.publish, group_scope=group_scope(settings, acd, recordings),
                      voicemail=ivr.voicemail.message, schedule_visit=followups.schedule)
    tickets.seed()
    crm.on_merge.append(tickets.on_merge)
    crm.on_delete += [tickets.on_delete, followups.on_delete]   # they keep the number
    reports = Reports(store.db, settings.reports, scope=group_scope(settings, acd, recordings),
                      members=lambda queues: acd_members(acd, queues),
                      outside=Outside(tickets=tickets, crm=crm))
    report_schedules = ReportSchedules(
        store.db, render=reports.render, tz=zone(settings.reports.timezone),
        mailer=SmtpMailer(settings.smtp) if settings.smtp.host else None,
        names=reports.names)
    kb = Kb(store.db, settings.kb, files_dir=settings.data_dir / "kb")
    log.info("kb: %d published articles indexed", kb.reindex())
    kb_trees = Guides(store.db, kb, crm)
    k = Kefu(settings, store, users, crm, announcements, bus, eventlog, media, sip, switch,
             directory, acd, ivr, ivr_calls, ivr_lookups, recordings, ingest, files,
             qa=qa, tickets=tickets, followups=followups, reports=reports,
             summaries=summaries, report_schedules=report_schedules, kb=kb, kb_trees=kb_trees,
             rounds=[asyncio.create_task(every(ROUND, report_schedules.tick,
                                               "reports: the scheduled deliveries"),
                                         name="report-schedules"),
                     asyncio.create_task(every(ROUND, tickets.tick, "tickets: the SLA watch"),
                                         name="tickets-sla"),
                     asyncio.create_task(every(ROUND, followups.tick, "follow-ups: the tick"),
                                         name="followups"),
                     asyncio.create_task(every(ROUND, kb.tick, "kb: scheduled publishing"),
                                         name="kb-publish")])
    if live:
        await go_live(k)
    return k


ROUND = 30.0    # seconds between two rounds of the tickets' SLA watch, the follow-ups' tick,
#                 the scheduled reports' deliveries and the knowledge base's scheduled publishing


async def every(seconds: float, work: Callable[[], object], what: str) -> None:
    """``work()`` every ``seconds`` on a worker thread (it reads and writes the database)
    until cancelled; a failed round is logged and the next one runs."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await asyncio.to_thread(work)
        except Exception:
            log.exception("%s failed", what)


def recordings_ingest(store: Store, recordings: Recordings, crm: Crm,
                      directory: Directory) -> Ingest:
    """The recordings slice fed from the event log: a call's events from the store, the
    extensions (direction), the CRM's customer by number.  A finished row's lifecycle
    (compression, hash) starts from ``ingest.on_done``, on the event log's thread."""
    def customer(number: str) -> int | None:
        found = crm.find_customer_by_number(number)
        return found.id if found is not None else None

    return Ingest(recordings, store.events_for_call,
                  recorded_since=lambda ts: dict.fromkeys(
                      e.call_id for e in store.events_since(ts, "call.recording_started")
                      if e.call_id),
                  local=lambda number: directory(number) is not None, customer=customer)


def report_summaries(settings: Settings, store: Store) -> Summaries:
    """The reports' summary tables (per 15 minutes, and per local day of ``[reports]
    timezone``), caught up in the background with what was logged since they last folded
    (the first start folds the whole log), then kept up event by event.  The queues'
    service-level targets and ``[reports] short_abandon`` count as of the moment an event
    is folded (docs/kpis.md)."""
    levels = {q.name: q.service_level for q in settings.queues}
    default = QueueConfig.model_fields["service_level"].default
    summaries = Summaries(store.db, lambda queue: levels.get(queue, default),
                          settings.reports.short_abandon,
                          Days(settings.reports.timezone))
    summaries.start()
    return summaries


def crm_history(store: Store, crm: Crm, directory: Directory) -> CallHistory:
    """The customers' timelines fed from the event log (calls, surveys, voicemails), first
    caught up with the calls that ended while kefu was down (since the newest call line,
    with two hours' margin for long calls; the first time, the last week)."""
    history = CallHistory(crm, store.events_for_call,
                          ended_since=lambda ts: [e.call_id for e in
                                                  store.events_since(ts, "call.ended")
                                                  if e.call_id],
                          local=lambda number: directory(number) is not None)
    crm.on_call_note.append(history.replay)
    newest = crm.newest_entry_at("call")
    history.sync(time.time() - 7 * 86400 if newest is None else newest - 7200)
    return history


def recordings_for(recordings: Recordings) -> Callable[[Any, str, str], dict[str, int]]:
    """The customer timeline's play links: each call's first finished recording that this
    user may play (the recordings slice's one rule), as ``{call id: recording id}``."""
    def find(call_ids: Any, username: str, role: str) -> dict[str, int]:
        try:
            agents = recordings.visible_agents(username, role)
        except Denied:
            return {}
        found: dict[str, int] = {}
        for call_id in call_ids:
            for rec in recordings.for_call(call_id):
                if (rec.call_id == call_id and rec.state in ("done", "interrupted")
                        and (agents is None or rec.agent in agents)):
                    found.setdefault(call_id, rec.id)
        return found
    return find


def phone_access(recordings: Recordings, users: Users, username: str) -> tuple[str, ...] | None:
    """The agents an inspector calling in may hear: the browser's rule (their groups)."""
    user = users.user_named(username)
    return recordings.visible_agents(username, user.role) if user is not None else ()


def recordings_files(settings: Settings, recordings: Recordings,
                     ingest: Ingest) -> ThreadPoolExecutor:
    """The recordings' files finished on close (compressed per ``recordings.codec``,
    hashed) on one thread of their own: never the event loop's, nor the event log's, whose
    writes must not wait for a compression.  What a crash left unfinished goes first."""
    life = Lifecycle(recordings, settings.recordings, settings.recordings_dir,
                     settings.archive_dir)
    jobs = ThreadPoolExecutor(1, thread_name_prefix="recordings")

    def run(step: Callable[..., Any], *args: Any) -> None:
        try:
            step(*args)
        except Exception:
            log.exception("recording files: %s failed", getattr(step, "__name__", step))

    def finish(rec: Recording) -> None:
        jobs.submit(run, life.finish, rec)

    jobs.submit(run, life.finish_pending)
    ingest.on_done.append(finish)
    return jobs


def acd_members(acd: Acd, queues: Any) -> set[str]:
    """The agents who are members of any of ``queues`` now (a recordings group)."""
    wanted = set(queues)
    return {a.username for a in list(acd.agents.values()) if wanted & set(a.skills)}


def known_caller(crm: Crm, take: Destination) -> Destination:
    """The ACD's queue handler, told first what the CRM knows of the caller: the
    customer's ``tier`` (VIP priority) and ``owner`` (customer-based routing) join the
    call-attached data unless the call already has them (an IVR or the API set them)."""
    async def queue(call: Call, route: Route) -> None:
        if not {"tier", "owner"} <= call.data.keys():
            found = await asyncio.to_thread(crm.find_customer_by_number, call.caller)
            for key, value in (("tier", found.tier if found else ""),
                               ("owner", found.owner if found else "")):
                if value:
                    call.data.setdefault(key, value)
        await take(call, route)
    return queue


GroupScope = Callable[[str, str], "tuple[str, ...] | None"]
"""``(username, role)`` → the groups (queue names) whose work the user sees; None: all."""


def group_scope(settings: Settings, acd: Acd, recordings: Recordings) -> GroupScope:
    """The one rule of whose groups a user sees (tickets, follow-ups): a group is a queue.
    An admin sees every group; a supervisor or inspector the queues set for them
    (``recordings.scope``, the same groups as for recordings; none set: every group); an
    agent the queues they are a member of (configured, or given through the API)."""
    def scope(username: str, role: str) -> tuple[str, ...] | None:
        if role == "admin":
            return None
        if role in ("supervisor", "qa"):
            return recordings.scope(username) or None
        queues = {q.name for q in settings.queues if username in q.members}
        agent = acd.agents.get(username)
        if agent is not None:
            queues |= set(agent.skills)
        return tuple(sorted(queues))
    return scope


def speak(settings: Settings, text: str) -> Path:
    """``text`` as a WAV by espeak-ng (cached under data_dir/tts): Mandarin when it holds
    Chinese characters, else English."""
    voice = VOICES["zh" if re.search("[\u4e00-\u9fff]", text) else "en"]
    return TtsCache(EspeakNg(), settings.data_dir / "tts").render(text, voice)


def customer_variables(customer: Customer | None) -> dict[str, str]:
    """A flow's customer variables from the caller's CRM record (none: unknown caller)."""
    if customer is None:
        return {}
    return {"customer_id": str(customer.id), "customer_name": customer.name,
            "customer_owner": customer.owner, "tier": customer.tier}


def ivr_on_calls(settings: Settings, ivr: Ivr, calls: Calls, bus: LocalBus, acd: Acd,
                 crm: Crm, lookups: Lookups, waiting: Waiting | None = None) -> IvrCalls:
    """The IVR's telephony adapter over the switch: espeak-ng with its disk cache, the
    read-out prompt sets and uploads, look-ups (``kefu`` names kefu's own database), the
    ACD's queues, the CRM's customer on entry, the collected records, voicemail (mailed
    through ``[smtp]`` when it names a host; ``waiting``: the phones' message light)."""
    engine = EspeakNg()
    prompts_dir = settings.data_dir / "prompts"
    sounds = Sounds(TtsCache(engine, settings.data_dir / "tts"),
                    PromptSet(engine, prompts_dir / "readout",
                              uploaded=lambda name, lang: _uploaded(ivr, name, lang)),
                    ivr.prompts)
    mailer = Mailer(settings.smtp) if settings.smtp.host else None
    desk = Desk(ivr.voicemail, prompts_dir / "beep.wav", mail=mailer, waiting=waiting)
    return IvrCalls(
        calls, bus, ivr.flows.snapshot, sounds, LoopClock(), queues=acd, voicemail=desk,
        customer=lambda number: customer_variables(crm.find_customer_by_number(number)),
        store=lambda call, flow, a: ivr.collected.add(call.id, call.caller, flow.name,
                                                      flow.version, a.node, a.record, a.fields),
        lookup=lookups.run, hear=Hearing(shipped_engines()), offload=asyncio.to_thread)


def _uploaded(ivr: Ivr, name: str, lang: str) -> Path | None:
    """An uploaded read-out prompt's WAV (it overrides the generated one), or None."""
    try:
        return ivr.prompts.file(ivr.prompts.get(name, lang))
    except (NotFound, Invalid):
        return None


async def go_live(k: Kefu) -> None:
    """Open SIP (its TLS certificate may be made here), then start the media clock: the
    loop does not yield in between, so no call is handled before the clock runs."""
    k.sip.start(asyncio.get_running_loop())
    await k.media.start()


async def stop(k: Kefu) -> None:
    for task in k.rounds:
        task.cancel()
    await k.switch.hangup_all()
    if k.ivr_lookups is not None:
        await k.ivr_lookups.close()
    k.sip.stop()
    await k.media.stop()
    await k.eventlog.drain()
    await k.eventlog.stop()
    if k.summaries is not None:             # a catch-up stops between two chunks
        await asyncio.to_thread(k.summaries.stop)
    if k.recordings_files is not None:      # the last recordings compressed and hashed
        await asyncio.to_thread(k.recordings_files.shutdown)
    k.store.close()


async def serve(settings: Settings) -> None:
    import anyio.to_thread
    import uvicorn

    from kefu.web import AppContext, create_app
    from kefu.web.limits import protocol

    raise_nofile()
    k = await start(settings, live=False)
    # Everything built so far lives as long as the process: keep it out of the garbage
    # collector's full passes, which otherwise stall the media clock (measured: total
    # collection time halved under a burst of call set-ups).
    gc.freeze()
    app = create_app(AppContext(settings=settings, store=k.store, bus=k.bus, users=k.users,
                                crm=k.crm, announcements=k.announcements, status=k.status,
                                control=CallControl(k.switch), acd=k.acd,
                                visible=lambda user, event: k.acd.visible_to(user.username,
                                                                             event),
                                ivr=k.ivr, ivr_calls=k.ivr_calls, recordings=k.recordings,
                                qa=k.qa, tickets=k.tickets, recordings_for=recordings_for(k.recordings)
                                if k.recordings else None,
                                followups=k.followups, reports=k.reports,
                                report_schedules=k.report_schedules, kb=k.kb,
                                kb_trees=k.kb_trees))
    config = uvicorn.Config(app, host=settings.http.host, port=settings.http.port,
                            log_level=settings.log_level.lower(), loop="none", lifespan="on",
                            access_log=False,
                            # request-header deadline and per-address cap (kefu.web.limits)
                            http=protocol(k.sip.guard.connection_cap(
                                "http", settings.limits.http_per_address),
                                settings.limits.header_timeout))
    # uvicorn imports its protocol modules when it loads the config, anyio its event-loop
    # backend on the first call to a worker thread: tens of ms on the loop, hundreds with
    # a cold disk cache, so both happen now, before the media clock runs
    config.load()
    await anyio.to_thread.run_sync(int)
    # FastAPI imports its telemetry runtime (OpenTelemetry) on the loop at the first request
    # of a sync route (found by tests/e2e/test_startup.py's import hook): now instead
    with contextlib.suppress(ImportError):          # private: not in every FastAPI version
        importlib.import_module("fastapi.telemetry._runtime")
    warm_routes(app)
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_RedactTokens())
    server.install_signal_handlers = lambda: None  # we own the signals
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    await go_live(k)
    web = asyncio.create_task(server.serve())
    log.info("kefu %s ready: SIP %s:%d, HTTP http://%s:%d", __version__, settings.sip.host,
             settings.sip.port, settings.http.host, settings.http.port)
    done, _ = await asyncio.wait([web, asyncio.create_task(stopping.wait())],
                                 return_when=asyncio.FIRST_COMPLETED)
    log.info("kefu stopping")
    server.should_exit = True
    await web
    await stop(k)


def warm_routes(app: Any) -> None:
    """Have FastAPI build every route's handler now, before the media clock runs.

    FastAPI (0.16x) builds an included router's routes (their parameter and response
    models) when the first request reaches that router, on the loop: the first GET
    /recordings held it 0.9 s, 2.8 s on a loaded machine (py-spy --gil; the media clock
    skipped 42-138 ticks, lost audio in recordings).  Looking up a name no route has walks
    and builds every route, through the public ``url_path_for``."""
    with contextlib.suppress(NoMatchFound):
        app.url_path_for("kefu: warm every route")


def raise_nofile() -> int:
    """Raise the soft descriptor limit to the hard one (every socket is a descriptor;
    systemd's default soft limit is 1024) and log it; returns the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # "unlimited" is not a valid soft limit for descriptors; Linux's usual fs.nr_open is
    want = 1 << 20 if hard == resource.RLIM_INFINITY else hard
    if soft != want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open files limit from %d to %d: %s", soft, want, exc)
    log.info("open files limit: %d", soft)
    return soft


class _RedactTokens(logging.Filter):
    """uvicorn logs WebSocket requests with their query (``/api/v1/events?token=…``) even
    without an access log; the token must never reach a log."""

    _TOKEN = re.compile(r"(token=)[^&\s\"]+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = self._TOKEN.sub(r"\1***", record.msg)
        return True


def run(settings: Settings) -> None:
    """Run kefu until SIGINT/SIGTERM, on uvloop."""
    import uvloop

    uvloop.run(serve(settings))
