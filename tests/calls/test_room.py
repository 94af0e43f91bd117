"""Room.matrix: every call feature as a rule over members (pure, no media)."""

from __future__ import annotations

from kefu.calls.room import Member, Mode, Room

MOH = "moh"


def room(*numbers: str) -> tuple[Room, dict[str, Member]]:
    r = Room()
    members = {}
    for n in numbers:
        m = Member(n, "party", sip=object(), rtp=f"rtp{n}")
        r.add(m)
        members[n] = m
    return r, members


def heard(r: Room) -> dict[str, set]:
    return {m.number: set(srcs) for m, srcs in r.matrix(MOH).items()}


def test_two_party_and_conference_hear_everyone_but_themselves():
    r, _ = room("a", "b")
    assert heard(r) == {"a": {"rtpb"}, "b": {"rtpa"}}
    r, _ = room("a", "b", "c", "d")
    assert heard(r)["c"] == {"rtpa", "rtpb", "rtpd"}


def test_hold_gives_music_to_whoever_is_left_alone():
    r, m = room("a", "b")
    m["a"].holding = True
    assert heard(r) == {"a": set(), "b": {MOH}}
    r, m = room("a", "b", "c")
    m["a"].holding = True
    assert heard(r) == {"a": set(), "b": {"rtpc"}, "c": {"rtpb"}}   # no music in a conference


def test_waiting_room_plays_music_during_a_transfer():
    r, m = room("a")
    assert heard(r) == {"a": set()}
    r.waiting = True
    assert heard(r) == {"a": {MOH}}


def test_listen_whisper_barge():
    r, m = room("cust", "agent", "sup")
    m["sup"].role = "supervisor"
    m["sup"].mode = Mode.LISTEN
    assert heard(r) == {"cust": {"rtpagent"}, "agent": {"rtpcust"},
                        "sup": {"rtpcust", "rtpagent"}}
    m["sup"].mode, m["sup"].whisper_to = Mode.WHISPER, m["agent"]
    assert heard(r) == {"cust": {"rtpagent"}, "agent": {"rtpcust", "rtpsup"},
                        "sup": {"rtpcust", "rtpagent"}}
    m["sup"].mode, m["sup"].whisper_to = Mode.BARGE, None
    assert heard(r)["cust"] == {"rtpagent", "rtpsup"}
    assert heard(r)["agent"] == {"rtpcust", "rtpsup"}
    assert m["sup"].describe()["mode"] == "barge"      # named as the API names it
    assert [p.number for p in r.parties] == ["cust", "agent"]


def test_removing_the_whisper_target_turns_whisper_into_listen():
    r, m = room("cust", "agent", "sup")
    m["sup"].mode, m["sup"].whisper_to = Mode.WHISPER, m["agent"]
    r.remove(m["agent"])
    assert m["sup"].mode is Mode.LISTEN and m["sup"].whisper_to is None
    assert heard(r) == {"cust": set(), "sup": {"rtpcust"}}


def test_an_absent_member_is_left_out_and_the_one_left_alone_hears_music():
    r, m = room("agent", "caller")
    m["agent"].absent = True                      # its browser line went away (reload)
    assert heard(r) == {"caller": {MOH}}          # no leg to route for the absent one
    r, m = room("agent", "caller", "third")
    m["agent"].absent = True
    assert heard(r) == {"caller": {"rtpthird"}, "third": {"rtpcaller"}}
    m["agent"].absent = False                     # re-bound: heard again
    assert heard(r)["caller"] == {"rtpagent", "rtpthird"}
