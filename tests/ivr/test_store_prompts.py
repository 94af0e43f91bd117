"""Uploaded prompts, on SQLite and PostgreSQL: converted to 8 kHz mono under the prompt
directory, replaced without a gap, a broken upload refused with nothing stored."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from kefu.ivr.service import Ivr
from kefu.store import Invalid, NotFound

from ivrkit import wav


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_converts_and_lists(ivr: Ivr) -> None:
    got = ivr.prompts.upload("welcome", "zh", wav(), "admin")
    assert (got.name, got.language, got.uploaded_by) == ("welcome", "zh", "admin")
    assert got.duration == pytest.approx(1.5, abs=0.02)
    with wave.open(str(ivr.prompts.file(got)), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
    assert got.file.startswith("zh/welcome-")
    ivr.prompts.upload("welcome", "en", wav(8000, 1, 0.5), "admin")
    assert [(p.name, p.language) for p in ivr.prompts.list()] == [("welcome", "en"),
                                                                  ("welcome", "zh")]
    assert [p.language for p in ivr.prompts.list("en")] == ["en"]
    assert ivr.prompts.get("welcome", "zh") == got
    with pytest.raises(NotFound):
        ivr.prompts.get("nope", "zh")


def test_a_new_upload_replaces_the_file(ivr: Ivr) -> None:
    first = ivr.prompts.upload("menu", "zh", wav(seconds=1.0), "admin")
    second = ivr.prompts.upload("menu", "zh", wav(seconds=2.0), "sue")
    assert second.id == first.id and second.file != first.file
    assert second.duration == pytest.approx(2.0, abs=0.02) and second.uploaded_by == "sue"
    assert files(ivr.prompts.directory) == [ivr.prompts.file(second)]


@pytest.mark.parametrize("data,reason", [
    (b"not audio at all" * 10, "not a readable"),
    (wav(seconds=0.0), "no sound"),
])
def test_a_broken_upload_stores_nothing(ivr: Ivr, data: bytes, reason: str) -> None:
    ivr.prompts.upload("keep", "zh", wav(), "admin")
    kept = files(ivr.prompts.directory)
    with pytest.raises(Invalid, match=reason):
        ivr.prompts.upload("keep", "zh", data, "admin")
    with pytest.raises(Invalid, match=reason):
        ivr.prompts.upload("fresh", "zh", data, "admin")
    assert files(ivr.prompts.directory) == kept
    assert [p.name for p in ivr.prompts.list()] == ["keep"]


@pytest.mark.parametrize("name,language,by", [
    ("", "zh", "a"), ("-x", "zh", "a"), ("a/b", "zh", "a"), ("../x", "zh", "a"),
    ("x" * 65, "zh", "a"), ("ok", "fr", "a"), ("ok", "zh", ""),
])
def test_bad_names_store_nothing(ivr: Ivr, name: str, language: str, by: str) -> None:
    with pytest.raises(Invalid):
        ivr.prompts.upload(name, language, wav(), by)
    assert files(ivr.prompts.directory) == [] and ivr.prompts.list() == []
