"""Comments for leads and admins: the answers to the free-text question, themes and a search,
and a lead-only XLSX download. Never shown to managers or the public."""

from __future__ import annotations

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue

from surveyapp.services import comments as comment_svc
from surveyapp.services import quotes as quote_svc
from surveyapp.web.access import RUN_ROUNDS, roles_required
from surveyapp.web.rounds.blueprint import bp, get_round


@bp.get("/rounds/<int:round_id>/comments")
@roles_required(*RUN_ROUNDS)
def comments(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    found = comment_svc.round_comments(round_)
    query = request.args.get("q", "")[:200].strip()
    shown = comment_svc.search(found.table, query) if query else found.table
    instrument = round_.instrument.instrument()
    quotes = quote_svc.round_quotes(round_)
    return render_template(
        "rounds/comments.html",
        round=round_,
        quotes=quotes,
        published={q.response_id for q in quotes},
        found=found,
        shown=shown,
        query=query,
        question=instrument.comment.label if instrument.comment else "Comments",
    )


@bp.get("/rounds/<int:round_id>/comments.xlsx")
@roles_required(*RUN_ROUNDS)
def comments_xlsx(round_id: int) -> ResponseReturnValue:
    round_ = get_round(round_id)
    content = comment_svc.comments_xlsx(round_, comment_svc.round_comments(round_))
    return Response(
        content,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename=round-{round_.id}-comments.xlsx",
            "Cache-Control": "no-store",
        },
    )
