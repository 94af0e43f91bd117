"""kefu's wiring of the recordings' files (app.recordings_files): a row the event log
finishes is compressed and hashed on the recordings' own thread, and at start what a
crash left unfinished is finished first."""

from __future__ import annotations

from pathlib import Path

from kefu.app import recordings_files
from kefu.config import RecordingsSettings, Settings
from kefu.recordings.ingest import Ingest
from kefu.recordings.service import Recordings

from test_files import tone_wav
from test_store_recordings import segment


def test_a_finished_row_is_compressed_and_hashed_off_the_event_log(
        tmp_path: Path, recordings: Recordings) -> None:
    settings = Settings(data_dir=tmp_path, recordings=RecordingsSettings(codec="flac"))
    settings.recordings_dir.mkdir(parents=True)
    left_over = tone_wav(settings.recordings_dir / "a.wav")       # done before a crash
    recordings.save(segment("a", path=str(left_over)))
    ingest = Ingest(recordings, events=lambda _call: [], recorded_since=lambda _ts: [])
    jobs = recordings_files(settings, recordings, ingest)
    fresh = recordings.save(segment("b", path=str(tone_wav(settings.recordings_dir / "b.wav"))))
    for done in ingest.on_done:         # what the event log's thread calls at call.recording
        done(fresh)
    jobs.shutdown(wait=True)
    for call_id in ("a", "b"):
        rec = recordings.for_call(call_id)[0]
        assert (rec.codec, Path(rec.path).suffix, len(rec.sha256 or "")) == ("flac", ".flac", 64)
        assert Path(rec.path).is_file() and not (settings.recordings_dir / f"{call_id}.wav").exists()
