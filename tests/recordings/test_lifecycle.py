"""A recording's file from close to deletion (kefu.recordings.lifecycle), on SQLite and
PostgreSQL: compressed and hashed on close, a crash at each step finished by the next run,
verify finding a flipped byte, archive and retention resumable after an interruption."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from kefu.config import RecordingsSettings, RetentionRule
from kefu.recordings import files
from kefu.recordings.lifecycle import DAY, Lifecycle
from kefu.recordings.service import Recording, Recordings, Search

from test_files import LEFT_HZ, RATE, RIGHT_HZ, peak_hz, tone_wav
from test_store_recordings import segment

NOW = 1_800_000_000.0


class Crash(Exception):
    """Stands for the process dying at that point (kill -9, a power cut)."""


@pytest.fixture
def live(tmp_path: Path) -> Path:
    (tmp_path / "recordings" / "2026-12-03").mkdir(parents=True)
    return tmp_path / "recordings"


def life(recordings: Recordings, live: Path, **settings: object) -> Lifecycle:
    return Lifecycle(recordings, RecordingsSettings(**settings), live,  # type: ignore[arg-type]
                     live.parent / "archive", clock=lambda: NOW)


def recorded(recordings: Recordings, live: Path, call_id: str, age_days: float = 0.0,
             **kw: object) -> Recording:
    """A closed recording's row and its WAV (tones left and right), ``age_days`` old."""
    wav = tone_wav(live / "2026-12-03" / f"{call_id}.wav", seconds=2.0)
    return recordings.save(segment(call_id, path=str(wav), started_at=NOW - age_days * DAY,
                                   duration=0.0, **kw))


def finished(recordings: Recordings, live: Path, n: int, age_days: float,
             **settings: object) -> list[Recording]:
    lc = life(recordings, live, **settings)
    return [lc.finish(recorded(recordings, live, f"c{i}", age_days)) for i in range(n)]


# --- finish -------------------------------------------------------------------------------

@pytest.mark.parametrize("codec", ["flac", "opus"])
def test_finish_compresses_hashes_and_removes_the_wav(recordings: Recordings, live: Path,
                                                      codec: str) -> None:
    rec = recorded(recordings, live, "c1")
    done = life(recordings, live, codec=codec).finish(rec)
    final = Path(done.path)
    assert final == Path(rec.path).with_suffix(files.SUFFIXES[codec]) and final.is_file()
    assert not Path(rec.path).exists()
    assert recordings.get(rec.id) == done
    assert (done.codec, done.size, done.sha256) == (codec, final.stat().st_size,
                                                    files.sha256_of(final))
    assert done.duration == pytest.approx(2.0, abs=0.01)
    audio, _ = sf.read(recordings.file(done))    # the stereo layout survives
    assert abs(peak_hz(audio[RATE // 2: 3 * RATE // 2, 0]) - LEFT_HZ) < 5
    assert abs(peak_hz(audio[RATE // 2: 3 * RATE // 2, 1]) - RIGHT_HZ) < 5


def test_finish_keeping_wav_only_hashes(recordings: Recordings, live: Path) -> None:
    rec = recorded(recordings, live, "c1")
    done = life(recordings, live).finish(rec)
    assert (done.path, done.codec, done.sha256) == (rec.path, "wav",
                                                    files.sha256_of(Path(rec.path)))


def test_a_crash_while_compressing_leaves_wav_and_row_and_is_redone(
        recordings: Recordings, live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = recorded(recordings, live, "c1")
    lc = life(recordings, live, codec="flac")
    real_publish = files._publish

    def dies(part: Path, final: Path) -> None:   # the .part is written, not yet renamed
        raise Crash
    monkeypatch.setattr(files, "_publish", dies)
    with pytest.raises(Crash):
        lc.finish(rec)
    assert Path(rec.path).is_file() and recordings.get(rec.id) == rec
    monkeypatch.setattr(files, "_publish", real_publish)
    assert lc.finish_pending() == 1
    done = recordings.get(rec.id)
    assert done.codec == "flac" and done.sha256 == files.sha256_of(Path(done.path))
    assert not Path(rec.path).exists() and not list(live.rglob("*.part"))
    assert lc.finish_pending() == 0


def test_a_crash_after_the_wav_is_removed_is_finished_from_the_flac(
        recordings: Recordings, live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = recorded(recordings, live, "c1")
    lc = life(recordings, live, codec="flac")
    monkeypatch.setattr(recordings, "update", lambda *a, **k: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        lc.finish(rec)
    monkeypatch.undo()
    assert not Path(rec.path).exists() and recordings.get(rec.id).sha256 is None
    assert lc.finish_pending() == 1
    done = recordings.get(rec.id)
    assert done.path.endswith(".flac") and done.sha256 == files.sha256_of(Path(done.path))
    assert done.duration == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize("codec", ["wav", "flac"])
def test_a_wav_cut_off_by_a_crash_is_finished_with_all_its_audio(
        recordings: Recordings, live: Path, codec: str) -> None:
    """The recorder's header says 0 bytes until its first rewrite: a crash before it
    leaves audio the header does not count; finish counts (and keeps) all of it."""
    rec = recorded(recordings, live, "c1", state="interrupted")
    raw = bytearray(Path(rec.path).read_bytes())
    raw[4:8] = (36).to_bytes(4, "little")
    raw[40:44] = (0).to_bytes(4, "little")      # RIFF and data sizes as at the first write
    Path(rec.path).write_bytes(bytes(raw))
    done = life(recordings, live, codec=codec).finish(rec)
    assert done.duration == pytest.approx(2.0, abs=0.01)
    assert files.duration_of(Path(done.path)) == pytest.approx(2.0, abs=0.01)


def test_a_recording_without_audio_stays_a_wav(recordings: Recordings, live: Path) -> None:
    """Hung up before the first frame: an empty FLAC is not a file libsndfile reads."""
    rec = recorded(recordings, live, "c1")
    sf.write(rec.path, np.zeros((0, 2), np.int16), RATE, subtype="PCM_16")
    done = life(recordings, live, codec="flac").finish(rec)
    assert (done.path, done.codec, done.duration) == (rec.path, "wav", 0.0)
    assert done.sha256 == files.sha256_of(Path(rec.path))


# --- verify -------------------------------------------------------------------------------

def test_verify_finds_a_flipped_byte_a_missing_file_and_a_file_without_metadata(
        recordings: Recordings, live: Path) -> None:
    a, b, c = finished(recordings, live, 3, 0, codec="flac")
    lc = life(recordings, live)
    assert not lc.verify() and lc.verify().checked == 3
    raw = bytearray(Path(a.path).read_bytes())
    raw[len(raw) // 2] ^= 0x01
    Path(a.path).write_bytes(bytes(raw))
    Path(b.path).unlink()
    stray = tone_wav(live / "stray.wav", 0.5)
    problems = lc.verify()
    assert [r.id for r in problems.mismatched] == [a.id]
    assert [r.id for r in problems.missing] == [b.id]
    assert problems.orphans == [stray]
    assert len(list(problems.lines())) == 3


# --- archive ------------------------------------------------------------------------------

def test_archive_moves_old_recordings_and_they_still_play_and_search(
        recordings: Recordings, live: Path) -> None:
    old = finished(recordings, live, 3, 40, codec="flac")
    young = recorded(recordings, live, "young", 5)
    lc = life(recordings, live, archive_after_days=30)
    assert lc.archive() == 3
    for rec in old:
        now = recordings.get(rec.id)
        assert now.tier == "archive" and not Path(rec.path).exists()
        assert recordings.file(now) == live.parent / "archive" / "2026-12-03" / Path(rec.path).name
        assert files.sha256_of(recordings.file(now)) == rec.sha256
        assert [e.action for e in recordings.audit_log(recording_id=rec.id)] == ["archive"]
    assert recordings.get(young.id).tier == "live"
    assert {r.id for r in recordings.search(Search(agent="ann")).items} >= {r.id for r in old}
    assert lc.archive() == 0 and not lc.verify()
    assert life(recordings, live).archive() == 0            # 0 days: never


@pytest.mark.parametrize("crash_at", ["copy", "unlink"])
def test_an_interrupted_archive_run_is_finished_by_the_next(
        recordings: Recordings, live: Path, monkeypatch: pytest.MonkeyPatch,
        crash_at: str) -> None:
    """Killed halfway (while copying the third file, or after its row was switched but
    before the live file was removed): the next run finishes; each file once, each
    recording audited once."""
    recs = finished(recordings, live, 5, 40, codec="flac")
    lc = life(recordings, live, archive_after_days=30)
    calls = {"n": 0}
    target, name = (files.shutil, "copyfile") if crash_at == "copy" else (files, "unlink")
    real = getattr(target, name)

    def third_dies(*args: object) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            if crash_at == "copy":              # a half-written .part is what remains
                Path(str(args[1])).write_bytes(b"half")
            raise Crash
        real(*args)
    monkeypatch.setattr(target, name, third_dies)
    with pytest.raises(Crash):
        lc.archive()
    monkeypatch.undo()
    switched = sum(recordings.get(r.id).tier == "archive" for r in recs)
    assert switched == (2 if crash_at == "copy" else 3)
    assert lc.archive() == 5 - switched
    for rec in recs:
        now = recordings.get(rec.id)
        assert now.tier == "archive" and files.sha256_of(Path(now.path)) == rec.sha256
        assert len(recordings.audit_log(recording_id=rec.id)) == 1
    assert not list(live.rglob("*.*")) and not list(live.parent.rglob("*.part"))
    assert not lc.verify()


# --- retention ----------------------------------------------------------------------------

def test_retention_deletes_per_rule_and_audits_each(recordings: Recordings,
                                                    live: Path) -> None:
    lc = life(recordings, live, codec="flac", retain_days=365,
              retention=[RetentionRule(tag="complaint", days=730),
                         RetentionRule(queue="test", days=7),
                         RetentionRule(disposition="legal", days=0)])
    plain = lc.finish(recorded(recordings, live, "plain", 400))
    complaint = lc.finish(recorded(recordings, live, "complaint", 400))
    recordings.set_tags(complaint.id, ["complaint"])
    test_q = lc.finish(recorded(recordings, live, "test", 10, queue="test"))
    legal = lc.finish(recorded(recordings, live, "legal", 5000, disposition="legal"))
    young = lc.finish(recorded(recordings, live, "young", 100))
    assert lc.retain("sue") == 2
    for rec in (plain, test_q):
        now = recordings.get(rec.id)
        assert now.state == "deleted" and not Path(rec.path).exists()
        [entry] = recordings.audit_log(recording_id=rec.id)
        assert (entry.username, entry.action) == ("sue", "delete")
    for rec in (complaint, legal, young):
        assert recordings.get(rec.id).state == "done" and Path(rec.path).is_file()
    assert recordings.search(Search(call_id="plain")).total == 0
    assert lc.retain() == 0 and not lc.verify()


def test_an_interrupted_retention_run_is_finished_by_the_next(
        recordings: Recordings, live: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = finished(recordings, live, 4, 100, codec="opus", retain_days=30)
    lc = life(recordings, live, retain_days=30)
    calls = {"n": 0}
    real = recordings.update_audited

    def dies_on_the_second(*args: object, **kw: object) -> Recording:
        calls["n"] += 1
        if calls["n"] == 2:                      # its file removed, the row not yet
            raise Crash
        return real(*args, **kw)  # type: ignore[arg-type]
    monkeypatch.setattr(recordings, "update_audited", dies_on_the_second)
    with pytest.raises(Crash):
        lc.retain()
    monkeypatch.undo()
    assert lc.retain() == 3
    for rec in recs:
        assert recordings.get(rec.id).state == "deleted" and not Path(rec.path).exists()
        assert [e.action for e in recordings.audit_log(recording_id=rec.id)] == ["delete"]
    assert not list(live.rglob("*.*"))
