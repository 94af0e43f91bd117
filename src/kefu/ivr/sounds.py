"""What a call in a flow hears: the files that voice one of the engine's
:class:`~kefu.ivr.steps.Item` (an uploaded prompt, TTS text, a read-out's recorded prompts).

Synthesis and the prompt store's look-ups block (a process, the database), so they run on
a worker thread: the media clock on the event loop never waits for them.  TTS renderings
come from the disk cache (:class:`~kefu.ivr.tts.TtsCache`), made once per text; one
already there is found with a stat on the loop, since a hop to a thread and back cost
10 ms at the median and 200 ms at p99 with 200 callers (bench/ivr_calls.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from kefu.store.errors import NotFound

from .promptset import PromptSet
from .promptstore import PromptStore
from .steps import Item
from .tts import VOICES, TtsCache


class Sounds:
    """``files(item)``: the WAVs to play for ``item``, in order."""

    def __init__(self, tts: TtsCache, prompt_set: PromptSet, uploads: PromptStore) -> None:
        self.tts, self.prompt_set, self.uploads = tts, prompt_set, uploads

    async def files(self, item: Item) -> list[Path]:
        if item.file is None and not item.prompts:      # TTS text rendered before: a stat
            cached = self.tts.path(item.text or "", VOICES.get(item.lang, VOICES["zh"]))
            if cached.exists():
                return [cached]
        return await asyncio.to_thread(self._files, item)

    def _files(self, item: Item) -> list[Path]:
        if item.path is not None:
            return [Path(item.path)]
        if item.file is not None:
            return [self.uploaded(item.file, item.lang)]
        if item.prompts:
            if self.prompt_set.missing(item.lang):
                self.prompt_set.ensure(item.lang)     # first use: generated once, kept
            return [self.prompt_set.path(item.lang, n) for n in item.prompts]
        return [self.tts.render(item.text or "", VOICES.get(item.lang, VOICES["zh"]))]

    def uploaded(self, name: str, lang: str) -> Path:
        """An uploaded prompt's WAV (the flow's language first, then any language)."""
        try:
            return self.uploads.file(self.uploads.get(name, lang))
        except NotFound:
            for prompt in self.uploads.list():
                if prompt.name == name:
                    return self.uploads.file(prompt)
            raise
