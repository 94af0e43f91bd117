"""The QA slice's public face (质检): scorecard templates with versions, evaluations of
recordings through their state machine, comments at time positions, random samples,
summaries and the good/bad example lists.

It uses the recordings slice only through :class:`kefu.recordings.service.Recordings`:
a recording's agent, queue and start are read there and copied onto the evaluation, and
the score (and the example tags) are written back there so recordings' search finds them.
Every method is one transaction of this slice (the write-back follows it); methods are
synchronous, asyncio callers run them in a worker thread.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kefu.recordings.service import Recording, Recordings, Search
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound

from . import repo, scoring
from .models import CommentRow, EvaluationRow, ExampleRow, ScorecardRow, StepRow
from .records import (AGENT_ACTIONS, EXAMPLE_KINDS, EXAMPLE_TAGS, MAX_SAMPLE, MAX_TEXT,
                      STATES, TRANSITIONS, VISIBLE_TO_AGENT, Comment, Evaluation, Example,
                      Figure, Scorecard, Summary)

__all__ = ["Comment", "Evaluation", "Example", "Figure", "Qa", "Scorecard", "Summary",
           "week_label", "week_start"]

WEEK = 7 * 86400.0
MAX_AT = 86400.0        # a comment's position: seconds into a recording of at most a day


def week_start(ts: float) -> float:
    """Monday 00:00 (the server's local time) of the week ``ts`` is in."""
    day = datetime.fromtimestamp(ts).astimezone()
    monday = (day - timedelta(days=day.weekday())).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
    return monday.timestamp()


def week_label(ts: float) -> str:
    """The week ``ts`` is in, as its Monday's local date (``2026-11-30``): sorts in order."""
    return datetime.fromtimestamp(week_start(ts)).strftime("%Y-%m-%d")


class Qa:
    """Quality inspection over the shared :class:`Database` and the recordings slice."""

    def __init__(self, db: Database, recordings: Recordings) -> None:
        self._db = db
        self._recordings = recordings

    # --- scorecard templates ------------------------------------------------------------
    def save_scorecard(self, definition: Any, author: str) -> Scorecard:
        """Create the template named in ``definition``, or change it: its latest version is
        replaced while no evaluation uses it, else a new version is made (evaluations keep
        theirs).  Problems name the criterion (Invalid)."""
        name, description, sections = scoring.check_definition(definition)
        with self._db.tx() as s:
            row = repo.latest(s, name)
            if row is None or repo.is_used(s, row.id):
                row = ScorecardRow(name=name, version=row.version + 1 if row else 1,
                                   author=author, created_at=time.time())
                s.add(row)
            row.description = description
            row.sections = repo.sections_json(sections)
            row.author = author
            s.flush()
            return repo.to_scorecard(row)

    def scorecards(self) -> list[Scorecard]:
        """Every template's latest version, by name."""
        with self._db.tx(write=False) as s:
            return [repo.to_scorecard(r, repo.is_used(s, r.id)) for r in repo.latest_all(s)]

    def scorecard(self, scorecard_id: int) -> Scorecard:
        with self._db.tx(write=False) as s:
            row = s.get(ScorecardRow, scorecard_id)
            if row is None:
                raise NotFound(f"no scorecard {scorecard_id}")
            return repo.to_scorecard(row, repo.is_used(s, row.id))

    def versions(self, name: str) -> list[Scorecard]:
        with self._db.tx(write=False) as s:
            rows = list(s.scalars(select(ScorecardRow).where(ScorecardRow.name == name)
                                  .order_by(ScorecardRow.version)))
            if not rows:
                raise NotFound(f"no scorecard named {name!r}")
            return [repo.to_scorecard(r, repo.is_used(s, r.id)) for r in rows]

    # --- evaluations ----------------------------------------------------------------------
    def start(self, recording_id: int, scorecard_id: int, inspector: str) -> Evaluation:
        """A draft evaluation of the recording on that scorecard version (the inspector's
        draft of it if there is one already: a second click opens the same)."""
        rec = self._recordings.get(recording_id)
        now = time.time()
        with self._db.tx() as s:
            if s.get(ScorecardRow, scorecard_id) is None:
                raise NotFound(f"no scorecard {scorecard_id}")
            draft = s.scalar(select(EvaluationRow).where(
                EvaluationRow.recording_id == rec.id, EvaluationRow.inspector == inspector,
                EvaluationRow.scorecard_id == scorecard_id, EvaluationRow.state == "draft"))
            if draft is not None:
                return repo.to_evaluation(s, draft)
            row = EvaluationRow(recording_id=rec.id, scorecard_id=scorecard_id,
                                inspector=inspector, agent=rec.agent, queue=rec.queue,
                                call_started_at=rec.started_at, state="draft", answers={},
                                score=None, failed=False, created_at=now, updated_at=now)
            s.add(row)
            s.flush()
            self._step(s, row, "create", inspector)
            return repo.to_evaluation(s, row)

    def answer(self, evaluation_id: int, answers: dict[str, Any], by: str) -> Evaluation:
        """Save a draft's answers (some may be missing); when all are there the draft
        carries the score they make, so the page shows the total as it is scored."""
        with self._db.tx() as s:
            row, card = self._load(s, evaluation_id)
            if row.state != "draft":
                raise Conflict(f"evaluation {evaluation_id} is {row.state}: only a draft "
                               f"takes answers (a disputed one is revised)")
            self._score(row, card, answers, complete=False)
            row.updated_at = time.time()
            s.flush()
            return repo.to_evaluation(s, row)

    def submit(self, evaluation_id: int, by: str,
               answers: dict[str, Any] | None = None) -> Evaluation:
        """Draft → submitted: every criterion answered; the score goes to the recording."""
        with self._db.tx() as s:
            row, card = self._load(s, evaluation_id)
            self._check_move(row, "submit")
            self._score(row, card, row.answers if answers is None else answers,
                        complete=True)
            self._move(s, row, "submit", by, score=row.score)
            done = repo.to_evaluation(s, row)
        self._recordings.set_score(done.recording_id, done.score)
        return done

    def acknowledge(self, evaluation_id: int, agent: str) -> Evaluation:
        return self._agent_move(evaluation_id, agent, "acknowledge", "")

    def dispute(self, evaluation_id: int, agent: str, reason: str) -> Evaluation:
        """The agent disagrees: the evaluation goes back to the inspector."""
        if not reason.strip():
            raise Invalid("reason: say why you dispute the score")
        return self._agent_move(evaluation_id, agent, "dispute", reason)

    def revise(self, evaluation_id: int, by: str, answers: dict[str, Any],
               note: str = "") -> Evaluation:
        """Disputed → revised with new answers: the new score goes to the recording."""
        with self._db.tx() as s:
            row, card = self._load(s, evaluation_id)
            self._check_move(row, "revise")
            self._score(row, card, answers, complete=True)
            self._move(s, row, "revise", by, _text(note, "note"), row.score)
            done = repo.to_evaluation(s, row)
        self._recordings.set_score(done.recording_id, done.score)
        return done

    def uphold(self, evaluation_id: int, by: str, note: str = "") -> Evaluation:
        """Disputed → upheld: the score stands."""
        with self._db.tx() as s:
            row, _ = self._load(s, evaluation_id)
            self._move(s, row, "uphold", by, _text(note, "note"), row.score)
            return repo.to_evaluation(s, row)

    def comment(self, evaluation_id: int, at: float, text: str, author: str) -> Comment:
        """A remark at ``at`` seconds into the recording."""
        if not 0 <= at <= MAX_AT:
            raise Invalid(f"at: seconds into the recording, 0 to {MAX_AT:.0f}")
        if not text.strip():
            raise Invalid("text: say something")
        with self._db.tx() as s:
            self._load(s, evaluation_id)
            row = CommentRow(evaluation_id=evaluation_id, at=round(at, 2),
                             text=_text(text, "text"), author=author, created_at=time.time())
            s.add(row)
            s.flush()
            return Comment(row.id, row.evaluation_id, row.at, row.text, row.author,
                           row.created_at)

    def evaluation(self, evaluation_id: int, agent: str | None = None) -> Evaluation:
        """One evaluation; ``agent``: only if it is theirs and submitted (else NotFound)."""
        with self._db.tx(write=False) as s:
            row = s.get(EvaluationRow, evaluation_id)
            if row is None or agent is not None and not _theirs(row, agent):
                raise NotFound(f"no evaluation {evaluation_id}")
            return repo.to_evaluation(s, row)

    def evaluations(self, *, agent: str | None = None, inspector: str | None = None,
                    states: Iterable[str] | None = None, recording_id: int | None = None,
                    limit: int = 100) -> list[Evaluation]:
        """Newest first, with their comments (an agent's list: ``agent`` and the states
        :data:`VISIBLE_TO_AGENT`)."""
        q = select(EvaluationRow).order_by(EvaluationRow.id.desc()).limit(limit)
        if agent is not None:
            q = q.where(EvaluationRow.agent == agent)
        if inspector is not None:
            q = q.where(EvaluationRow.inspector == inspector)
        if states is not None:
            wanted = list(states)
            if set(wanted) - set(STATES):
                raise Invalid(f"state must be one of {', '.join(STATES)}")
            q = q.where(EvaluationRow.state.in_(wanted))
        if recording_id is not None:
            q = q.where(EvaluationRow.recording_id == recording_id)
        with self._db.tx(write=False) as s:
            return [repo.to_evaluation(s, r) for r in s.scalars(q)]

    # --- samples ----------------------------------------------------------------------
    def sample(self, per_agent: int, week_of: float, seed: int | None = None,
               agents: Iterable[str] | None = None) -> dict[str, list[Recording]]:
        """Up to ``per_agent`` recordings per agent, picked at random among that agent's
        finished, not yet evaluated recordings of the week ``week_of`` falls in."""
        if not 1 <= per_agent <= MAX_SAMPLE:
            raise Invalid(f"per_agent: 1 to {MAX_SAMPLE}")
        since = week_start(week_of)
        search = Search(since=since, until=since + WEEK,
                        agents=tuple(agents) if agents is not None else None)
        pool: dict[str, list[Recording]] = defaultdict(list)
        offset = 0
        while True:
            page = self._recordings.search(search, offset, 500, "started_at", False)
            for rec in page.items:
                if rec.agent and rec.state in ("done", "interrupted"):
                    pool[rec.agent].append(rec)
            offset += len(page.items)
            if not page.items or offset >= page.total and not page.capped:
                break
        with self._db.tx(write=False) as s:
            ids = [r.id for recs in pool.values() for r in recs]
            done = set(s.scalars(select(EvaluationRow.recording_id)
                                 .where(EvaluationRow.recording_id.in_(ids)))) if ids else set()
        rng = random.Random(seed)
        picked = {}
        for agent in sorted(pool):
            fresh = [r for r in pool[agent] if r.id not in done]
            chosen = rng.sample(fresh, min(per_agent, len(fresh)))
            picked[agent] = sorted(chosen, key=lambda r: r.started_at)
        return picked

    # --- summaries ----------------------------------------------------------------------
    def summary(self, since: float | None = None, until: float | None = None) -> Summary:
        """Scores of the calls made in [since, until) that are past draft: by agent, by
        criterion (the mean answer as a percentage of its best), by queue and by week
        (the week the call was made: its Monday's date, local time)."""
        q = select(EvaluationRow).where(EvaluationRow.state != "draft",
                                        EvaluationRow.score.is_not(None))
        if since is not None:
            q = q.where(EvaluationRow.call_started_at >= since)
        if until is not None:
            q = q.where(EvaluationRow.call_started_at < until)
        with self._db.tx(write=False) as s:
            rows = list(s.scalars(q))
            cards = {r.id: repo.to_scorecard(r) for r in s.scalars(
                select(ScorecardRow).where(ScorecardRow.id.in_({e.scorecard_id for e in rows})))}
        groups: dict[str, dict[str, list[EvaluationRow]]] = {
            "agent": defaultdict(list), "queue": defaultdict(list), "week": defaultdict(list)}
        per_criterion: dict[str, list[float]] = defaultdict(list)
        criterion_failed: dict[str, int] = defaultdict(int)
        labels: dict[str, str] = {}
        for e in rows:
            groups["agent"][e.agent or "-"].append(e)
            groups["queue"][e.queue or "-"].append(e)
            groups["week"][week_label(e.call_started_at)].append(e)
            for c in cards[e.scorecard_id].criteria():
                if c.key in e.answers:
                    value = scoring.fraction(c, e.answers[c.key])
                    per_criterion[c.key].append(100 * value)
                    labels.setdefault(c.key, c.label)
                    criterion_failed[c.key] += bool(c.critical and value == 0)

        def figures(by: dict[str, list[EvaluationRow]]) -> list[Figure]:
            return [Figure(k, len(v), _mean([e.score or 0.0 for e in v]),
                           sum(e.failed for e in v)) for k, v in sorted(by.items())]

        return Summary(
            by_agent=figures(groups["agent"]), by_queue=figures(groups["queue"]),
            by_week=figures(groups["week"]),
            by_criterion=[Figure(k, len(v), _mean(v), criterion_failed[k], labels[k])
                          for k, v in sorted(per_criterion.items())])

    # --- examples (training material) ----------------------------------------------------
    def mark_example(self, recording_id: int, kind: str, note: str, by: str) -> Example:
        """Put an evaluated recording on the good or bad list (moving it if it was on the
        other) and tag it so (``good_example``/``bad_example``)."""
        if kind not in EXAMPLE_KINDS:
            raise Invalid(f"kind must be one of {', '.join(EXAMPLE_KINDS)}")
        rec = self._recordings.get(recording_id)
        with self._db.tx() as s:
            scored = repo.scored(s, recording_id)
            if scored is None:
                raise Conflict(f"recording {recording_id} has no submitted evaluation: "
                               f"score it first")
            row = s.get(ExampleRow, recording_id)
            if row is None:
                row = ExampleRow(recording_id=recording_id)
                s.add(row)
            row.kind, row.note, row.author = kind, _text(note, "note"), by
            row.created_at = time.time()
            s.flush()
            example = repo.to_example(row, scored.agent, scored.score)
        others = [t for t in rec.tags if t not in EXAMPLE_TAGS.values()]
        self._recordings.set_tags(recording_id, [*others, EXAMPLE_TAGS[kind]])
        return example

    def unmark_example(self, recording_id: int) -> None:
        rec = self._recordings.get(recording_id)
        with self._db.tx() as s:
            if s.execute(delete(ExampleRow).where(ExampleRow.recording_id == recording_id)
                         ).rowcount == 0:      # type: ignore[attr-defined]
                raise NotFound(f"recording {recording_id} is no example")
        self._recordings.set_tags(recording_id,
                                  [t for t in rec.tags if t not in EXAMPLE_TAGS.values()])

    def examples(self, kind: str | None = None) -> list[Example]:
        """The lists trainers play, newest first."""
        q = select(ExampleRow).order_by(ExampleRow.created_at.desc())
        if kind is not None:
            if kind not in EXAMPLE_KINDS:
                raise Invalid(f"kind must be one of {', '.join(EXAMPLE_KINDS)}")
            q = q.where(ExampleRow.kind == kind)
        with self._db.tx(write=False) as s:
            out = []
            for row in s.scalars(q):
                scored = repo.scored(s, row.recording_id)
                out.append(repo.to_example(row, scored.agent if scored else None,
                                           scored.score if scored else None))
            return out

    # --- the state machine, in one place ----------------------------------------------------
    def _agent_move(self, evaluation_id: int, agent: str, action: str,
                    note: str) -> Evaluation:
        assert action in AGENT_ACTIONS
        with self._db.tx() as s:
            row = s.get(EvaluationRow, evaluation_id, with_for_update=True)
            if row is None or not _theirs(row, agent):
                raise NotFound(f"no evaluation {evaluation_id} of yours")
            self._move(s, row, action, agent, _text(note, "reason"), row.score)
            return repo.to_evaluation(s, row)

    @staticmethod
    def _check_move(row: EvaluationRow, action: str) -> str:
        after = TRANSITIONS.get((row.state, action))
        if after is None:
            raise Conflict(f"evaluation {row.id} is {row.state}: cannot {action} it")
        return after

    def _move(self, s: Session, row: EvaluationRow, action: str, by: str, note: str = "",
              score: float | None = None) -> None:
        row.state = self._check_move(row, action)
        row.updated_at = time.time()
        self._step(s, row, action, by, note, score)

    @staticmethod
    def _step(s: Session, row: EvaluationRow, action: str, by: str, note: str = "",
              score: float | None = None) -> None:
        s.add(StepRow(evaluation_id=row.id, at=time.time(), by=by, action=action,
                      state=row.state, note=note, score=score))
        s.flush()

    @staticmethod
    def _load(s: Session, evaluation_id: int) -> tuple[EvaluationRow, Scorecard]:
        row = s.get(EvaluationRow, evaluation_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no evaluation {evaluation_id}")
        card = s.get(ScorecardRow, row.scorecard_id)
        assert card is not None           # a foreign key
        return row, repo.to_scorecard(card)

    @staticmethod
    def _score(row: EvaluationRow, card: Scorecard, answers: dict[str, Any],
               complete: bool) -> None:
        """Check the answers on the evaluation's scorecard version and apply the rule."""
        criteria = card.criteria()
        scoring.check_answers(criteria, answers, complete)
        row.answers = dict(answers)
        if all(c.key in answers for c in criteria):
            result = scoring.score(criteria, answers)
            row.score, row.failed = result.score, result.failed
        else:
            row.score, row.failed = None, False


def _theirs(row: EvaluationRow, agent: str) -> bool:
    return row.agent == agent and row.state in VISIBLE_TO_AGENT


def _text(text: str, name: str) -> str:
    if len(text) > MAX_TEXT:
        raise Invalid(f"{name}: at most {MAX_TEXT} characters")
    return text.strip()


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0
