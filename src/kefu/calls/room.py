"""Who hears whom: the members of a conversation and the mixer matrix they imply.

Every call feature is a rule over members, not a code path of its own: a two-party
call, hold with music, a three-way call, a conference room, listen, whisper and
barge-in all come out of :meth:`Room.matrix`:

- a talking member is heard by every other member (barge-in is just talking);
- a listening supervisor hears all talkers and is heard by nobody;
- a whispering supervisor hears all talkers and is heard only by its target;
- a member who holds is neither heard nor hears; whoever is then left with no one
  to hear (while someone holds, or while a transfer target rings) hears music on hold;
- a member who is held (the caller while its agent consults someone) is not heard and
  hears music on hold;
- an absent member (a browser agent whose line went away: a reload, a lost network,
  while the ACD's grace period runs) counts as holding: not heard, hears nothing (its
  media leg is gone, so it is left out of the matrix), and whoever is left alone hears
  music until the line is re-bound to it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kefu.media import RtpLeg
    from kefu.sip.leg import SipLeg


class Mode(enum.Enum):
    """How a member takes part, named as the API names it: a party talks; a supervisor
    listens, whispers or barges in (talks to all: heard like a party)."""

    TALK = "talk"
    LISTEN = "listen"
    WHISPER = "whisper"
    BARGE = "barge"

    @property
    def talks(self) -> bool:
        """Heard by every other member (when not holding or held)."""
        return self in (Mode.TALK, Mode.BARGE)


@dataclass(eq=False)
class Member:
    """One party in a room: its SIP dialog, its media endpoint and how it takes part."""

    number: str
    role: str                      # caller, callee, third, supervisor, conference
    sip: "SipLeg"
    rtp: "RtpLeg"
    mode: Mode = Mode.TALK
    whisper_to: "Member | None" = None
    holding: bool = False          # this member put the others on hold
    held: bool = False             # others put this member on hold (consultation)
    home: Any = None               # an agent's session call it returns to (persistent line)
    absent: bool = False           # its line went away; the member waits to be re-bound

    def describe(self) -> dict[str, Any]:
        return {"number": self.number, "role": self.role, "mode": self.mode.value,
                "holding": self.holding, "held": self.held, "absent": self.absent,
                "whisper_to": self.whisper_to.number if self.whisper_to else None}


@dataclass(eq=False)
class Room:
    members: list[Member] = field(default_factory=list)
    waiting: bool = False          # someone is being reached for this room (transfer, queue)
    moh: Any = None                # this room's music on hold (a queue's), else the switch's

    def add(self, member: Member) -> None:
        self.members.append(member)

    def remove(self, member: Member) -> None:
        if member in self.members:
            self.members.remove(member)
        for m in self.members:
            if m.whisper_to is member:
                m.whisper_to, m.mode = None, Mode.LISTEN

    def find(self, number: str) -> Member | None:
        return next((m for m in self.members if m.number == number), None)

    def find_role(self, role: str) -> Member | None:
        return next((m for m in self.members if m.role == role), None)

    def member_of(self, leg: Any) -> Member | None:
        return next((m for m in self.members if m.sip is leg or m.rtp is leg), None)

    @property
    def talkers(self) -> list[Member]:
        return [m for m in self.members
                if m.mode.talks and not m.holding and not m.held and not m.absent]

    @property
    def parties(self) -> list[Member]:
        """Members who are part of the conversation itself (not supervisors)."""
        return [m for m in self.members if m.role != "supervisor"]

    def matrix(self, moh: Any = None) -> dict[Member, list[Any]]:
        """For each member, the sources it hears (RtpLegs, or ``moh``); an absent member
        has no media leg and is left out."""
        talkers = self.talkers
        anyone_holding = any(m.holding or m.absent for m in self.members)
        out: dict[Member, list[Any]] = {}
        for listener in self.members:
            if listener.absent:
                continue
            if listener.holding or listener.held:
                out[listener] = [moh] if listener.held and moh is not None else []
                continue
            sources = [m.rtp for m in talkers if m is not listener]
            sources += [m.rtp for m in self.members
                        if m.mode is Mode.WHISPER and m.whisper_to is listener]
            if (not sources and (anyone_holding or self.waiting) and listener.mode.talks
                    and moh is not None):
                sources = [moh]
            out[listener] = sources
        return out

    def apply(self, media: Any, moh: Any = None) -> None:
        """Set the media engine's routing matrix for every member."""
        for member, sources in self.matrix(moh).items():
            media.set_sources(member.rtp, sources)
