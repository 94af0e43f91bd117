"""Uploaded prompts (WAV or MP3, any rate and channels) stored as 8 kHz mono WAV under the
prompt directory, one per (name, language): what a flow's ``prompt: {file: name}`` plays.

A broken upload is refused with the converter's reason and stores nothing.  Each upload
gets a new file name, so replacing a prompt never touches the file a call may be playing
until the database row points at the new one; the old file is removed after that commit
(and the new one when the commit fails).
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from kefu.store.checks import MAX_USERNAME, check_choice, check_text
from kefu.store.db import Database
from kefu.store.errors import Invalid, NotFound

from . import prompts, repo
from .models import PromptRow
from .records import LANGUAGES, MAX_UPLOAD, PROMPT_NAME, StoredPrompt


def _check(name: object, language: str) -> None:
    if not isinstance(name, str) or not re.fullmatch(PROMPT_NAME, name):
        raise Invalid(f"prompt name must be 1 to 64 letters, digits, _ or - (not starting "
                      f"with -), got {name!r}")
    check_choice("language", language, LANGUAGES)


class PromptStore:
    """Uploaded prompts over the shared :class:`Database`, files under ``directory``."""

    def __init__(self, db: Database, directory: Path) -> None:
        self._db = db
        self.directory = Path(directory)

    def upload(self, name: str, language: str, data: bytes, by: str) -> StoredPrompt:
        """Convert and store ``data`` as prompt ``name`` in ``language`` (replacing one of
        that name); Invalid with the reason when it is no usable audio."""
        _check(name, language)
        check_text("uploaded_by", by, MAX_USERNAME, required=True)
        if len(data) > MAX_UPLOAD:
            raise Invalid(f"the upload is larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
        relative = f"{language}/{name}-{uuid.uuid4().hex[:12]}.wav"
        path = self.directory / relative
        try:
            duration = prompts.store(data, path)
        except prompts.PromptError as e:
            raise Invalid(f"prompt {name}: {e}") from None
        now = time.time()
        old: str | None = None
        try:
            with self._db.tx() as s:
                row = repo.prompt_named(s, name, language)
                if row is None:
                    row = PromptRow(name=name, language=language, created_at=now)
                    s.add(row)
                else:
                    old = row.file
                row.file, row.duration, row.uploaded_by, row.updated_at = (
                    relative, duration, by, now)
                s.flush()
                stored = repo.to_prompt(row)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if old:
            (self.directory / old).unlink(missing_ok=True)
        return stored

    def list(self, language: str | None = None) -> list[StoredPrompt]:
        if language is not None:
            check_choice("language", language, LANGUAGES)
        with self._db.tx(write=False) as s:
            return repo.prompts(s, language)

    def get(self, name: str, language: str) -> StoredPrompt:
        _check(name, language)
        with self._db.tx(write=False) as s:
            row = repo.prompt_named(s, name, language)
            if row is None:
                raise NotFound(f"prompt {name} ({language}) does not exist")
            return repo.to_prompt(row)

    def file(self, prompt: StoredPrompt) -> Path:
        """The prompt's WAV on disk."""
        return self.directory / prompt.file
