"""Uploaded files on disk (ticket attachments, knowledge-base images and attachments):
their type read from their content (``filetype``'s magic numbers; plain text by decoding
it), never from the uploaded name, and each file written under a random name of ours,
never the uploaded path."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import filetype

from .errors import Invalid

TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}
SNIFFED = {"jpg": "jpg", "png": "png", "gif": "gif", "webp": "webp", "pdf": "pdf",
           "docx": "docx", "xlsx": "xlsx", "wav": "wav", "mp3": "mp3"}


class TooLarge(Invalid):
    """The file is over its limit (a 413)."""


class Unsupported(Invalid):
    """The file's content is of no allowed type (a 415)."""


def check(data: bytes, name: str, allowed: list[str], max_bytes: int) -> tuple[str, str]:
    """(kind, MIME type) of ``data``, or :class:`TooLarge` / :class:`Unsupported`.  Text
    has no magic number: it is text when it decodes as UTF-8 without NULs, csv or txt by
    its name (the one place a name counts, among harmless types)."""
    if len(data) > max_bytes:
        raise TooLarge(f"the file has {len(data)} bytes; at most {max_bytes} are allowed")
    if not data:
        raise Unsupported("the file is empty")
    kind = filetype.guess(data)
    if kind is not None:
        ours = SNIFFED.get(kind.extension)
        if ours in allowed:
            return ours, kind.mime
        raise Unsupported(f"{kind.extension} files are not allowed here "
                          f"(allowed: {', '.join(allowed)})")
    if b"\0" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            text = "csv" if name.lower().endswith(".csv") else "txt"
            if text in allowed:
                return text, TEXT_TYPES[text]
    raise Unsupported(f"the file's content is of no allowed type (allowed: {', '.join(allowed)})")


def write(directory: Path, data: bytes) -> str:
    """Store ``data`` under a new random name in ``directory``; returns the name.  Written
    to a temporary file first, so a crash leaves no half file under a real name."""
    directory.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    tmp = directory / f".{name}.part"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / name)
    finally:
        tmp.unlink(missing_ok=True)
    return name


def display_name(raw: str, default: str = "file") -> str:
    """The uploaded name as shown: its last path part, without control characters."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1]
    clean = "".join(c for c in base if c.isprintable()).strip()
    return clean[:255] or default
