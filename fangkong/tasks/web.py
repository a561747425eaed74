"""The SLA board (issue 25): every open task against its deadline (DOMAIN.md §3), per kind and per owner (a
tracing team, a community, a site, a hospital), overdue and due soon, each a link to its list with the owner and
how late. Scoped to the user's jurisdiction by the session, like every read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from fangkong.kit import pii
from fangkong.kit.deps import SessionDep, SettingsDep
from fangkong.kit.i18n import t
from fangkong.kit.listexport import EXPORT_MAX, ExportQ, export_list, when
from fangkong.kit.webkit import lang_of, minutes_late, page_now, past_day, place_name, span, templates
from fangkong.protocol.deadlines import SAME_DAY
from fangkong.tasks import sla
from fangkong.tasks.models import TASK_KINDS

router = APIRouter(include_in_schema=False)
PAGE = 50
OWNERS = 25  # the most overdue owners; the list below pages through every task
KindQ = Annotated[str | None, Query(pattern=f"^({'|'.join(TASK_KINDS)})?$")]
StateQ = Annotated[str, Query(pattern="^(overdue|due_soon|open)$")]


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, session: SessionDep, settings: SettingsDep, kind: KindQ = None,
               owner: Annotated[str | None, Query(max_length=64, pattern=r"^[\w-]*$")] = None,
               state: StateQ = "overdue", page: Annotated[int, Query(ge=1, le=100_000)] = 1, export: ExportQ = None):
    now, lang, past = page_now(request), lang_of(request), past_day(request) is not None   # the header's day
    total = sla.count_tasks(session, now=now, kind=kind or None, owner=owner or None, state=state, past=past)
    limit, offset = (EXPORT_MAX, 0) if export else (PAGE, (page - 1) * PAGE)
    rows = sla.task_list(session, now=now, kind=kind or None, owner=owner or None, state=state, limit=limit,
                         offset=offset, past=past)
    if export:  # the list below the figures, every task the filters select (kit/listexport.py)
        return export_list(request, session, entity="tasks", title="nav_tasks", total=total, header=[
            "kind", "sla_owner", "person", "name", "case_id", "deadline", "minutes_late", "overdue"], rows=[
            [t(tk.kind, lang), f"{t('owner_' + tk.owner_kind, lang)} · {place_name(tk.owner_name or tk.owner_ref, lang)}",
             tk.person.person_id if tk.person else "", pii.name(tk.person.name) or "" if tk.person else "",
             tk.case.case_no if tk.case else "", when(tk.due_at), max(0, minutes_late(tk.due_at, now)),
             span(minutes_late(tk.due_at, now), lang) if minutes_late(tk.due_at, now) > 0 else ""]
            for tk in rows])
    # shown in the page's words (1小时, 当日（事不过夜）, 立即), not the settings' 1h / same_day / 0m
    clock = [(step, rule if rule == SAME_DAY else int(rule.total_seconds() // 60))
             for step, rule in settings.clock().items()]
    return templates.TemplateResponse(request, "tasks.html", {
        "lang": lang, "now": now, "kinds": sla.by_kind(session, now=now, past=past),
        "owners": sla.by_owner(session, now=now, kind=kind or None, limit=OWNERS, past=past),
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE)), "kind": kind or "",
        "owner": owner or "", "state": state, "clock": clock, "soon_h": int(sla.DUE_SOON.total_seconds() // 3600)})
