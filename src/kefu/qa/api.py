"""Quality inspection (质检): scorecard templates, evaluations, the agents' side
(acknowledge or dispute), summaries and the example lists trainers play.

Inspectors are the ``qa`` role, supervisors and admins: they write templates, score
recordings, answer disputes and read the summaries.  An agent reads only their own
evaluations past draft, acknowledges or disputes them, and plays the example lists.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status

from kefu.users.service import User
from kefu.recordings.service import Denied
from kefu.web.deps import MAX_INT, QaDep, RecordingsDep, require_roles

from . import scoring
from .records import STATES, VISIBLE_TO_AGENT
from .schemas import (AnswersIn, CommentIn, CommentOut, DisputeIn, EvaluationIn,
                      EvaluationOut, ExampleIn, ExampleOut, NoteIn, ReviseIn, SampleIn,
                      SampleOut, PickOut, ScorecardOut, SubmitIn, SummaryOut)

router = APIRouter(prefix="/qa", tags=["qa"])

INSPECTORS = ("qa", "supervisor", "admin")
Inspector = Annotated[User, Depends(require_roles(*INSPECTORS))]
Agent = Annotated[User, Depends(require_roles("agent"))]
Anyone = Annotated[User, Depends(require_roles(*INSPECTORS, "agent"))]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]


def _own(user: User) -> str | None:
    """Whose evaluations ``user`` may read: an agent their own, inspectors everyone's."""
    return None if user.role in INSPECTORS else user.username


# --- templates ------------------------------------------------------------------------------
@router.get("/scorecards", response_model=list[ScorecardOut],
            summary="Every scorecard template's latest version")
def scorecards(qa: QaDep, user: Inspector) -> list[ScorecardOut]:
    return [ScorecardOut.of(c) for c in qa.scorecards()]


TEXT_TYPES = ("application/json", "text/yaml", "application/yaml", "application/x-yaml",
              "text/plain")
MAX_TEMPLATE = 256 * 1024
EXAMPLE = """name: 热线标准
description: ''
sections:
- title: 开场
  criteria:
  - {key: greeting, label: 标准问候语, weight: 1, kind: yes_no}
  - {key: identity, label: 核实身份, weight: 0, kind: yes_no, critical: true}
"""
_TEMPLATE_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "text/yaml": {"schema": {"type": "string"}, "example": EXAMPLE}}}}


async def _template(request: Request) -> object:
    """The template as the inspector wrote it: JSON, or YAML text."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in TEXT_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            f"send the template as application/json or text/yaml, "
                            f"not {kind or 'nothing'}")
    body = await request.body()
    if len(body) > MAX_TEMPLATE:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "template too large")
    try:
        return scoring.from_text(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the template is not UTF-8") from None


@router.post("/scorecards", response_model=ScorecardOut, openapi_extra=_TEMPLATE_BODY,
             responses={415: {"description": "not JSON or YAML"},
                        422: {"description": "a problem naming its criterion",  # no params:
                              "content": {"application/json": {"schema": {    # FastAPI adds none
                                  "$ref": "#/components/schemas/HTTPValidationError"}}}}},
             summary="Create or edit a template, as JSON or YAML (a used one gets a new "
                     "version); problems name the criterion")
def save_scorecard(qa: QaDep, user: Inspector,
                   definition: Annotated[object, Depends(_template)]) -> ScorecardOut:
    return ScorecardOut.of(qa.save_scorecard(definition, user.username))


@router.get("/scorecards/{scorecard_id}", response_model=ScorecardOut,
            summary="One version (agents read the one their evaluation used)")
def scorecard(scorecard_id: Id, qa: QaDep, user: Anyone) -> ScorecardOut:
    return ScorecardOut.of(qa.scorecard(scorecard_id))


@router.get("/scorecards/{scorecard_id}/versions", response_model=list[ScorecardOut],
            summary="Every version of that template, oldest first")
def versions(scorecard_id: Id, qa: QaDep, user: Inspector) -> list[ScorecardOut]:
    return [ScorecardOut.of(c) for c in qa.versions(qa.scorecard(scorecard_id).name)]


# --- picking calls ------------------------------------------------------------------------
@router.post("/sample", response_model=list[SampleOut],
             summary="A random sample: N not yet evaluated recordings per agent of a week")
def sample(body: SampleIn, qa: QaDep, recordings: RecordingsDep,
           user: Inspector) -> list[SampleOut]:
    agents = body.agents
    try:        # an inspector's groups bound the sample (the recordings' access rule)
        allowed = recordings.visible_agents(user.username, user.role)
    except Denied as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    if allowed is not None:
        agents = [a for a in (agents if agents is not None else allowed) if a in allowed]
    picked = qa.sample(body.per_agent, time.time() if body.week_of is None else body.week_of,
                       body.seed, agents)
    return [SampleOut(agent=a, recordings=[PickOut.of(r) for r in recs])
            for a, recs in picked.items()]


# --- evaluations --------------------------------------------------------------------------
@router.post("/evaluations", response_model=EvaluationOut,
             status_code=status.HTTP_201_CREATED, summary="Start scoring a recording (draft)")
def start(body: EvaluationIn, qa: QaDep, recordings: RecordingsDep,
          user: Inspector) -> EvaluationOut:
    try:        # only a recording the inspector may hear (their groups)
        recordings.visible(user.username, user.role, body.recording_id)
    except Denied as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    return EvaluationOut.of(qa.start(body.recording_id, body.scorecard_id, user.username))


@router.get("/evaluations", response_model=list[EvaluationOut],
            summary="Newest first: an agent's own (past draft), or any for inspectors")
def evaluations(qa: QaDep, user: Anyone, agent: str | None = None,
                inspector: str | None = None,
                state: Annotated[list[str] | None, Query(description=", ".join(STATES))] = None,
                recording_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[EvaluationOut]:
    own = _own(user)
    states = state
    if own is not None:
        agent, states = own, [s for s in (state or VISIBLE_TO_AGENT) if s in VISIBLE_TO_AGENT]
    return [EvaluationOut.of(e) for e in qa.evaluations(
        agent=agent, inspector=inspector, states=states, recording_id=recording_id,
        limit=limit)]


@router.get("/evaluations/{evaluation_id}", response_model=EvaluationOut,
            summary="One evaluation with its comments and history")
def evaluation(evaluation_id: Id, qa: QaDep, user: Anyone) -> EvaluationOut:
    return EvaluationOut.of(qa.evaluation(evaluation_id, agent=_own(user)))


@router.put("/evaluations/{evaluation_id}/answers", response_model=EvaluationOut,
            summary="Save a draft's answers (the total shows once all are there)")
def answer(evaluation_id: Id, body: AnswersIn, qa: QaDep, user: Inspector) -> EvaluationOut:
    return EvaluationOut.of(qa.answer(evaluation_id, body.answers, user.username))


@router.post("/evaluations/{evaluation_id}/comments", response_model=CommentOut,
             status_code=status.HTTP_201_CREATED,
             summary="A comment at a time position (seconds) in the recording")
def comment(evaluation_id: Id, body: CommentIn, qa: QaDep, user: Inspector) -> CommentOut:
    return CommentOut.of(qa.comment(evaluation_id, body.at, body.text, user.username))


@router.post("/evaluations/{evaluation_id}/submit", response_model=EvaluationOut,
             summary="Draft → submitted: the score goes to the recording")
def submit(evaluation_id: Id, qa: QaDep, user: Inspector,
           body: SubmitIn | None = None) -> EvaluationOut:
    return EvaluationOut.of(qa.submit(evaluation_id, user.username,
                                      body.answers if body else None))


@router.post("/evaluations/{evaluation_id}/acknowledge", response_model=EvaluationOut,
             summary="The evaluated agent accepts the score")
def acknowledge(evaluation_id: Id, qa: QaDep, user: Agent) -> EvaluationOut:
    return EvaluationOut.of(qa.acknowledge(evaluation_id, user.username))


@router.post("/evaluations/{evaluation_id}/dispute", response_model=EvaluationOut,
             summary="The evaluated agent disputes the score, with a reason")
def dispute(evaluation_id: Id, body: DisputeIn, qa: QaDep, user: Agent) -> EvaluationOut:
    return EvaluationOut.of(qa.dispute(evaluation_id, user.username, body.reason))


@router.post("/evaluations/{evaluation_id}/revise", response_model=EvaluationOut,
             summary="Disputed → revised: new answers, the new score to the recording")
def revise(evaluation_id: Id, body: ReviseIn, qa: QaDep, user: Inspector) -> EvaluationOut:
    return EvaluationOut.of(qa.revise(evaluation_id, user.username, body.answers, body.note))


@router.post("/evaluations/{evaluation_id}/uphold", response_model=EvaluationOut,
             summary="Disputed → upheld: the score stands")
def uphold(evaluation_id: Id, body: NoteIn, qa: QaDep, user: Inspector) -> EvaluationOut:
    return EvaluationOut.of(qa.uphold(evaluation_id, user.username, body.note))


# --- summaries and examples ----------------------------------------------------------------
@router.get("/summary", response_model=SummaryOut,
            summary="Scores by agent, criterion, queue and week of the calls in a range")
def summary(qa: QaDep, user: Inspector, since: float | None = None,
            until: float | None = None) -> SummaryOut:
    return SummaryOut.of(qa.summary(since, until))


@router.get("/examples", response_model=list[ExampleOut],
            summary="The good and bad examples trainers play to new staff")
def examples(qa: QaDep, user: Anyone, kind: str | None = None) -> list[ExampleOut]:
    return [ExampleOut.of(e) for e in qa.examples(kind)]


@router.post("/examples", response_model=ExampleOut,
             summary="Put an evaluated recording on the good or bad list (and tag it)")
def mark_example(body: ExampleIn, qa: QaDep, user: Inspector) -> ExampleOut:
    return ExampleOut.of(qa.mark_example(body.recording_id, body.kind, body.note,
                                         user.username))


@router.delete("/examples/{recording_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Take a recording off the example lists (and its tag)")
def unmark_example(recording_id: Id, qa: QaDep, user: Inspector) -> Response:
    qa.unmark_example(recording_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
