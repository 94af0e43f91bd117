"""The IVR API under /api/v1/ivr: flows and their versions, the flow format's JSON Schema,
collected records, uploaded prompts, voicemail, statistics.

Admins write flows, prompts and mailboxes; supervisors read them; agents reach only the
voicemail of the extensions bound to them (others' messages are 404 to them, as if
absent).  A flow's draft goes in as the text the admin wrote, ``text/yaml`` or
``application/json``, and comes out the same (``source``), so flows can be kept in git.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import (APIRouter, Depends, File, Form, HTTPException, Path, Query, Request,
                     UploadFile, status)
from fastapi.responses import FileResponse, Response

from kefu.users.service import User
from kefu.web.deps import MAX_INT, IvrDep, UsersDep, require_roles

from .flow import json_schema
from .graph import graph_of
from .schemas import (CheckOut, CollectedOut, CollectedPage, DraftOut, FlowDetail, FlowIn, FlowName,
                      FlowOut, FlowPatch, GraphOut, Language, MailboxIn, MailboxOut, MessageOut,
                      MessageStatusIn, ProblemsOut, PromptOut, VersionOut)
from .records import MAX_SOURCE, MAX_UPLOAD, Message
from .service import Ivr
from .statsout import StatsInterval, StatsOut

router = APIRouter(prefix="/ivr", tags=["ivr"])

Admin = Annotated[User, Depends(require_roles("admin"))]
Reader = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Listener = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Name = Annotated[FlowName, Path()]
Id = Annotated[int, Path(ge=1, le=MAX_INT)]

TEXT_TYPES = ("text/yaml", "application/yaml", "application/x-yaml", "application/json",
              "text/plain")
_TEXT_BODY = {"requestBody": {"required": True, "content": {
    "text/yaml": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object"}}}}}
_NOT_TEXT: dict[int | str, dict[str, Any]] = {
    415: {"description": "The body is not text/yaml or application/json"}}


async def _flow_text(request: Request) -> str:
    """The body as the admin wrote it: YAML or JSON text (JSON is YAML)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in TEXT_TYPES:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            "send the flow as text/yaml or application/json, "
                            f"not {kind or 'nothing'}")
    body = await request.body()
    if len(body) > MAX_SOURCE * 4:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "flow text too large")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the flow text is not UTF-8") from None


FlowText = Annotated[str, Depends(_flow_text)]


# ---------------------------------------------------------------------- flows

@router.get("/flows", response_model=list[FlowOut])
def list_flows(ivr: IvrDep, _user: Reader) -> list[FlowOut]:
    return [FlowOut.of(f) for f in ivr.flows.list_flows()]


@router.post("/flows", response_model=FlowOut, status_code=status.HTTP_201_CREATED)
def create_flow(body: FlowIn, ivr: IvrDep, _user: Admin) -> FlowOut:
    return FlowOut.of(ivr.flows.create_flow(body.name, body.description))


@router.get("/flows/{name}", response_model=FlowDetail, summary="A flow with every version")
def get_flow(name: Name, ivr: IvrDep, _user: Reader) -> FlowDetail:
    info = ivr.flows.get_flow(name)
    versions = [VersionOut.of(v) for v in ivr.flows.versions(name)]
    return FlowDetail(**FlowOut.of(info).model_dump(), versions=versions)


@router.patch("/flows/{name}", response_model=FlowOut)
def describe_flow(name: Name, body: FlowPatch, ivr: IvrDep, _user: Admin) -> FlowOut:
    return FlowOut.of(ivr.flows.describe(name, body.description))


@router.put("/flows/{name}/draft", response_model=DraftOut, openapi_extra=_TEXT_BODY,
            responses=_NOT_TEXT,
            summary="Save the draft (YAML or JSON as written; the flow is made when new)")
def save_draft(name: Name, text: FlowText, ivr: IvrDep, user: Admin) -> DraftOut:
    version = ivr.flows.save_draft(name, text, user.username)
    return DraftOut(version=VersionOut.of(version),
                    check=ProblemsOut.of(ivr.flows.validate(name, version.source)))


@router.post("/flows/{name}/validate", response_model=ProblemsOut,
             summary="Check the draft; every problem names its node")
def validate_flow(name: Name, ivr: IvrDep, _user: Admin) -> ProblemsOut:
    return ProblemsOut.of(ivr.flows.validate(name))


@router.post("/flows/{name}/check", response_model=CheckOut, openapi_extra=_TEXT_BODY,
             responses=_NOT_TEXT,
             summary="Check a text as this flow's, storing nothing (the editor as you type); "
                     "with the graph the diagram draws")
def check_text(name: Name, text: FlowText, ivr: IvrDep, _user: Admin) -> CheckOut:
    problems = ivr.flows.validate(name, text)
    drawn = graph_of(text)
    return CheckOut(**ProblemsOut.of(problems).model_dump(),
                    graph=GraphOut.of(drawn) if drawn else None)


@router.post("/flows/{name}/publish", response_model=VersionOut,
             summary="The draft becomes what new calls get; 422 names each problem")
def publish_flow(name: Name, ivr: IvrDep, user: Admin) -> VersionOut:
    return VersionOut.of(ivr.flows.publish(name, user.username))


@router.post("/flows/{name}/rollback/{version}", response_model=VersionOut,
             status_code=status.HTTP_201_CREATED,
             summary="Publish an earlier version again, as a new version number")
def rollback_flow(name: Name, version: Id, ivr: IvrDep, user: Admin) -> VersionOut:
    return VersionOut.of(ivr.flows.rollback(name, version, user.username))


@router.get("/flow-schema", response_model=dict[str, Any],
            summary="The flow format's JSON Schema (for the editor)")
def flow_schema(_user: Reader) -> dict[str, Any]:
    return json_schema()


# ---------------------------------------------------------------------- collected records

Since = Annotated[float | None, Query(ge=0, le=1e11, description="epoch seconds, inclusive")]
Until = Annotated[float | None, Query(ge=0, le=1e11, description="epoch seconds, exclusive")]
Caller = Annotated[str | None, Query(min_length=1, max_length=255)]
FlowFilter = Annotated[FlowName | None, Query()]


@router.get("/records", response_model=CollectedPage,
            summary="Collected records (the store node), newest first")
def list_records(ivr: IvrDep, _user: Reader, flow: FlowFilter = None, caller: Caller = None,
                 since: Since = None, until: Until = None,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50,
                 offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0) -> CollectedPage:
    page = ivr.collected.list(flow=flow, caller=caller, since=since, until=until,
                              limit=limit, offset=offset)
    return CollectedPage(items=[CollectedOut.of(r) for r in page.items], total=page.total)


@router.get("/records.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "one row a record, a column per field name"}},
            summary="Collected records as CSV (oldest first)")
def export_records(ivr: IvrDep, _user: Reader, flow: FlowFilter = None, caller: Caller = None,
                   since: Since = None, until: Until = None) -> Response:
    text = ivr.collected.export_csv(flow=flow, caller=caller, since=since, until=until)
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",  # BOM: Excel reads UTF-8
                    headers={"Content-Disposition": 'attachment; filename="ivr-records.csv"'})


# ---------------------------------------------------------------------- statistics

Start = Annotated[float, Query(ge=0, le=1e11, description="epoch seconds, inclusive")]
End = Annotated[float, Query(ge=0, le=1e11, description="epoch seconds, exclusive")]
Every = Annotated[StatsInterval, Query(description="15m, hour or day of the server's local time")]
_CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
              "description": "one row a figure: interval, flow (* every flow), measure, node, "
                             "key, to, value"}}


@router.get("/stats", response_model=StatsOut,
            summary="IVR statistics per interval and flow: entered, nodes, menu choices, "
                    "hang-up points, queues, self-service completion (range at most 93 days)")
def ivr_stats(ivr: IvrDep, _user: Reader, start: Start, end: End, interval: Every = "hour",
              flow: FlowFilter = None) -> StatsOut:
    return StatsOut.of(ivr.stats.report(start, end, interval, flow))


@router.get("/stats.csv", response_class=Response, responses=_CSV,
            summary="The IVR statistics as CSV (long form)")
def ivr_stats_csv(ivr: IvrDep, _user: Reader, start: Start, end: End, interval: Every = "hour",
                  flow: FlowFilter = None) -> Response:
    text = ivr.stats.export_csv(start, end, interval, flow)
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="ivr-stats.csv"'})


# ---------------------------------------------------------------------- prompts

@router.get("/prompts", response_model=list[PromptOut])
def list_prompts(ivr: IvrDep, _user: Reader,
                 language: Annotated[Language | None, Query()] = None) -> list[PromptOut]:
    return [PromptOut.of(p) for p in ivr.prompts.list(language)]


@router.post("/prompts", response_model=PromptOut, status_code=status.HTTP_201_CREATED,
             summary="Upload a WAV or MP3 prompt: converted to 8 kHz mono; 422 says why not")
def upload_prompt(ivr: IvrDep, user: Admin,
                  name: Annotated[str, Form(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")],
                  language: Annotated[Language, Form()],
                  file: Annotated[UploadFile, File(description="WAV or MP3")]) -> PromptOut:
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                            f"a prompt may be at most {MAX_UPLOAD // (1024 * 1024)} MiB")
    return PromptOut.of(ivr.prompts.upload(name, language, data, user.username))


# ---------------------------------------------------------------------- voicemail

@router.get("/voicemail/mailboxes", response_model=list[MailboxOut])
def list_mailboxes(ivr: IvrDep, _user: Reader) -> list[MailboxOut]:
    return [MailboxOut.of(m) for m in ivr.voicemail.mailboxes()]


@router.post("/voicemail/mailboxes", response_model=MailboxOut,
             status_code=status.HTTP_201_CREATED)
def create_mailbox(body: MailboxIn, ivr: IvrDep, _user: Admin) -> MailboxOut:
    return MailboxOut.of(ivr.voicemail.create_mailbox(body.kind, body.owner, body.pin,
                                                      body.email))


def _own_mailboxes(ivr: Ivr, users: UsersDep, user: User) -> list[int] | None:
    """The mailboxes ``user`` may read: an agent's are those of its bound extensions;
    None for staff (all of them)."""
    if user.role != "agent":
        return None
    owned = users.user_extensions(user.username)
    return [m.id for m in ivr.voicemail.mailboxes("extension", owned)] if owned else []


def _readable(ivr: Ivr, users: UsersDep, user: User, message_id: int) -> Message:
    message = ivr.voicemail.message(message_id)
    own = _own_mailboxes(ivr, users, user)
    if own is not None and message.mailbox_id not in own:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"voicemail message {message_id} does not exist")
    return message


@router.get("/voicemail/messages", response_model=list[MessageOut],
            summary="Voicemail messages, newest first: an agent's own, or all for staff")
def list_messages(ivr: IvrDep, users: UsersDep, user: Listener,
                  mailbox: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
                  deleted: bool = False) -> list[MessageOut]:
    own = _own_mailboxes(ivr, users, user)
    ids = own if own is not None else [m.id for m in ivr.voicemail.mailboxes()]
    if mailbox is not None:
        ids = [i for i in ids if i == mailbox]
    statuses = ("deleted",) if deleted else ("new", "saved")
    return [MessageOut.of(m) for m in ivr.voicemail.messages(ids, statuses=statuses)]


@router.get("/voicemail/messages/{message_id}/audio", response_class=FileResponse,
            responses={200: {"content": {"audio/wav": {}}, "description": "the message"}})
def message_audio(message_id: Id, ivr: IvrDep, users: UsersDep, user: Listener) -> FileResponse:
    message = _readable(ivr, users, user, message_id)
    path = ivr.voicemail.file(message)
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"the file of voicemail message {message_id} is gone")
    return FileResponse(path, media_type="audio/wav",
                        filename=f"voicemail-{message_id}.wav")


@router.post("/voicemail/messages/{message_id}/done", response_model=MessageOut,
             summary="Mark the follow-up done")
def message_done(message_id: Id, ivr: IvrDep, users: UsersDep, user: Listener) -> MessageOut:
    _readable(ivr, users, user, message_id)
    return MessageOut.of(ivr.voicemail.mark_done(message_id, user.username))


@router.post("/voicemail/messages/{message_id}/status", response_model=MessageOut,
             summary="Mark a message saved or deleted")
def message_status(message_id: Id, body: MessageStatusIn, ivr: IvrDep, users: UsersDep,
                   user: Listener) -> MessageOut:
    _readable(ivr, users, user, message_id)
    return MessageOut.of(ivr.voicemail.mark(message_id, body.status))
