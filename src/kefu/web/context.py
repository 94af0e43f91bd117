"""What the web layer needs from the rest of kefu, handed in by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from kefu.bus import Bus, Event
from kefu.config import Settings
from kefu.announcements.service import Announcements
from kefu.crm.service import Crm
from kefu.followups.service import Followups
from kefu.ivr.service import Ivr
from kefu.kb.guides import Guides
from kefu.kb.service import Kb
from kefu.qa.service import Qa
from kefu.recordings.service import Recordings
from kefu.reports.service import Reports
from kefu.reports.schedule import ReportSchedules
from kefu.store import Store
from kefu.tickets.service import Tickets
from kefu.users.service import User, Users


@dataclass
class AppContext:
    """Services for the HTTP API.

    ``status`` returns live PBX figures (registrations, active calls) for ``/health``; it is
    called on the event loop thread, where the switch and registrar state live.
    """

    settings: Settings
    store: Store
    bus: Bus
    users: Users                      # the slices' services, over the store's database
    crm: Crm
    announcements: Announcements
    status: Callable[[], dict[str, Any]] | None = None
    control: Any = None               # kefu.calls.control.CallControl of the running switch
    acd: Any = None                   # kefu.acd.service.Acd: agents, queues, call-attached data
    visible: Callable[[User, Event], bool] | None = None  # which events an agent sees on /events
    ivr: Ivr | None = None            # flows, collected records, prompts, voicemail
    ivr_calls: Any = None             # kefu.ivr.calls.IvrCalls: an agent's caller into a flow
    recordings: Recordings | None = None   # recordings' metadata, search, audit
    qa: Qa | None = None                   # quality inspection (质检) over the recordings
    tickets: Tickets | None = None         # tickets (工单): types, workflows, SLAs
    # (call ids, username, role) → {call id: recording id} of the ones this user may play:
    # the customer timeline's play links, without the crm slice importing recordings
    recordings_for: Callable[[Sequence[str], str, str], dict[str, int]] | None = None
    followups: Followups | None = None     # callbacks and return visits (回访)
    reports: Reports | None = None         # the reports (系统报表) over the summary tables
    report_schedules: ReportSchedules | None = None   # reports mailed on a timetable
    kb: Kb | None = None                   # the knowledge base (知识库)
    kb_trees: Guides | None = None         # its guided question trees (问题推测)
