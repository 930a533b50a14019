"""The ``flask --app surveyapp ...`` commands (product.md section 5).

Every command exits non-zero with a one-line reason on bad input (click's ``Error: ...``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from surveyapp.extensions import db
from surveyapp.models import Role, Round, User
from surveyapp.services import ServiceError
from surveyapp.services.links import open_link_url


def init_app(app: Flask) -> None:
    for group in (users_cli, rounds_cli, responses_cli, invitations_cli, mail_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo_command)
    app.cli.add_command(report_command)
    app.cli.add_command(retention_cli)
    app.cli.add_command(data_cli)
    app.cli.add_command(partner_types_cli)
    app.cli.add_command(localities_cli)


def _fail(message: str) -> click.ClickException:
    db.session.rollback()
    return click.ClickException(message)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from exc


def _rejected(path: Path, problems: list, message: str) -> click.ClickException:
    """Each bad row on its own line, then the one-line reason."""
    for problem in problems:
        click.echo(f"{path.name}: {problem}", err=True)
    return _fail(message)


def _get_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise _fail(f"there is no round {round_id}")
    return round_


def _parse_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-30", param_hint=name
        ) from None


# --- users -------------------------------------------------------------------------------------
@click.group("users", help="Staff accounts.")
def users_cli() -> None:
    pass


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a staff account (the first admin is made this way)."""
    from surveyapp.services.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(email, role, password)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


def _get_user(email: str) -> User:
    from surveyapp.services.users import find_user

    user = find_user(email)
    if user is None:
        raise _fail(f"there is no staff account {email.strip().lower()}")
    return user


def _apply(action: Callable[[], object], done: str) -> None:
    try:
        action()
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(done)


@users_cli.command("list")
@with_appcontext
def users_list() -> None:
    """Every staff account: email, role, status, sign-in, second factor, last log-in."""
    from surveyapp import timeutil
    from surveyapp.services.users import locked_until

    users = db.session.scalars(sa.select(User).order_by(User.email)).all()
    click.echo("email\trole\tstatus\tsign-in\tsecond factor\tlast log in")
    for user in users:
        status = "deactivated" if not user.active else "locked" if locked_until(user) else "active"
        via = "+".join(
            p for p, on in (("sso", user.oidc_subject), ("password", user.password_hash)) if on
        )
        click.echo(
            f"{user.email}\t{user.role}\t{status}\t{via or '-'}\t"
            f"{'on' if user.totp_enabled else 'off'}\t"
            f"{timeutil.format_datetime(user.last_login_at) or 'never'}"
        )


@users_cli.command("deactivate")
@click.argument("email")
@with_appcontext
def users_deactivate(email: str) -> None:
    """A leaver: no more log-ins, every session ends now."""
    from surveyapp.services.users import deactivate

    user = _get_user(email)
    _apply(lambda: deactivate(user), f"Deactivated {user.email}; every session has ended")


@users_cli.command("reactivate")
@click.argument("email")
@with_appcontext
def users_reactivate(email: str) -> None:
    """Let a deactivated account log in again (old sessions stay ended)."""
    from surveyapp.services.users import reactivate

    user = _get_user(email)
    _apply(lambda: reactivate(user), f"Reactivated {user.email}")


@users_cli.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def users_set_role(email: str, role: str) -> None:
    """Change an account's role (the last active admin cannot be demoted)."""
    from surveyapp.services.users import set_role

    user = _get_user(email)
    _apply(lambda: set_role(user, role), f"{user.email} is now {role}")


@users_cli.command("reset-password")
@click.argument("email")
@with_appcontext
def users_reset_password(email: str) -> None:
    """Email the account a single-use link to choose a new password (sent at once)."""
    from surveyapp.services.mail import deliver_now
    from surveyapp.services.users import issue_password_reset

    user = _get_user(email)
    try:
        reset = issue_password_reset(user)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    assert reset.outbox_id is not None
    if deliver_now(reset.outbox_id, db.session.commit) == "sent":
        hours = current_app.config["PASSWORD_RESET_HOURS"]
        click.echo(f"Emailed a password reset link to {user.email} (works once, {hours} hours)")
    else:
        click.echo(
            f"The reset email to {user.email} could not be sent now; `mail send` retries it",
            err=True,
        )


@users_cli.command("reset-two-factor")
@click.argument("email")
@with_appcontext
def users_reset_two_factor(email: str) -> None:
    """Turn off an account's second factor (a lost phone); they can set it up again."""
    from surveyapp.services.users import disable_totp

    user = _get_user(email)
    _apply(lambda: disable_totp(user), f"{user.email}'s second factor is off")


# --- rounds ------------------------------------------------------------------------------------
@click.group("rounds", help="Survey rounds.")
def rounds_cli() -> None:
    pass


@rounds_cli.command("create")
@click.option("--instrument", "instrument_ref", required=True, help="KEY or KEY@VERSION")
@click.option("--title", required=True)
@click.option("--partner-types", default="", help="Comma-separated slugs (default: all).")
@click.option("--localities", default="", help="Comma-separated locality names.")
@click.option("--min-group-size", type=int, default=None, help="Default 10 (or the copied one).")
@click.option("--opens-on", default=None, help="YYYY-MM-DD")
@click.option("--closes-on", default=None, help="YYYY-MM-DD")
@click.option("--compare-with", type=int, default=None, help="Round id to compare with.")
@click.option("--open", "open_now", is_flag=True, help="Open the round straight away.")
@click.option(
    "--copy-from",
    type=int,
    default=None,
    help="Copy partner types, localities, group size, signposts, messages and email wording "
    "from this round (options given here win).",
)
@with_appcontext
def rounds_create(
    instrument_ref: str,
    title: str,
    partner_types: str,
    localities: str,
    min_group_size: int | None,
    opens_on: str | None,
    closes_on: str | None,
    compare_with: int | None,
    open_now: bool,
    copy_from: int | None,
) -> None:
    """Create a round; prints its id alone on the last line."""
    import dataclasses

    from surveyapp.services import rounds as svc

    slugs = tuple(s for s in partner_types.split(",") if s.strip())
    names = tuple(s for s in localities.split(",") if s.strip())
    try:
        if copy_from is None:
            round_ = svc.create_round(
                instrument_ref=instrument_ref,
                title=title,
                partner_type_slugs=slugs,
                locality_names=names,
                min_group_size=10 if min_group_size is None else min_group_size,
                opens_on=_parse_date(opens_on, "--opens-on"),
                closes_on=_parse_date(closes_on, "--closes-on"),
                compared_round_id=compare_with,
            )
        else:
            copied = svc.settings_copied_from(
                _get_round(copy_from),
                title=title,
                opens_on=_parse_date(opens_on, "--opens-on"),
                closes_on=_parse_date(closes_on, "--closes-on"),
                instrument_ref=instrument_ref,
            )
            round_ = svc.create_round_from(
                dataclasses.replace(
                    copied,
                    partner_type_slugs=slugs or copied.partner_type_slugs,
                    locality_names=names or copied.locality_names,
                    min_group_size=copied.min_group_size
                    if min_group_size is None
                    else min_group_size,
                    compared_round_id=compare_with,
                )
            )
        if open_now:
            svc.open_round(round_)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(
        f"Created {round_.status} round {round_.id!r}: {round_.title} "
        f"({round_.instrument.key}@{round_.instrument.version})",
        err=True,
    )
    click.echo(str(round_.id))


@rounds_cli.command("open-link")
@click.argument("round_id", type=int)
@click.option("--partner-type", default=None, help="Fix the link to one partner type (slug).")
@click.option("--locality", default=None, help="Fix the link to one locality.")
@click.option("--name", default=None, help='The channel, e.g. "GP practice tablet".')
@click.option(
    "--shared-device", is_flag=True, help="Allow several responses from one device, in turn."
)
@with_appcontext
def rounds_open_link(
    round_id: int,
    partner_type: str | None,
    locality: str | None,
    name: str | None,
    shared_device: bool,
) -> None:
    """Create an open link for a round and print its URL."""
    from surveyapp.services.rounds import create_open_link

    round_ = _get_round(round_id)
    try:
        link = create_open_link(
            round_,
            partner_type_slug=partner_type,
            locality_name=locality,
            name=name,
            shared_device=shared_device,
        )
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(open_link_url(link.slug))


@rounds_cli.command("status")
@click.argument("round_id", type=int)
@with_appcontext
def rounds_status(round_id: int) -> None:
    """Invited, started, completed and rate per partner type and locality (counts only)."""
    from surveyapp.services.rounds import open_link_counts
    from surveyapp.services.rounds.open_links import format_link_counts
    from surveyapp.services.status import format_table, round_status

    round_ = _get_round(round_id)
    click.echo(f"Round {round_.id}: {round_.title} ({round_.status})")
    click.echo(format_table(round_status(round_)))
    counts = open_link_counts(round_)
    if counts:
        click.echo("")
        click.echo(format_link_counts(counts))


# --- responses ---------------------------------------------------------------------------------
@click.group("responses", help="Responses.")
def responses_cli() -> None:
    pass


@responses_cli.command("import")
@click.argument("round_id", type=int)
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def responses_import(round_id: int, csv_file: Path) -> None:
    """Import a wide CSV of responses: all rows or none."""
    from surveyapp.services.imports import ImportFailed, import_responses

    round_ = _get_round(round_id)
    content = _read_bytes(csv_file)
    try:
        batch = import_responses(round_, content, csv_file.name)
    except ImportFailed as exc:
        raise _rejected(csv_file, exc.problems, exc.message) from exc
    db.session.commit()
    click.echo(f"Imported {batch.row_count} responses into round {round_.id}")


# --- invitations and mail ----------------------------------------------------------------------
@click.group("invitations", help="Personal invitations and reminders.")
def invitations_cli() -> None:
    pass


@invitations_cli.command("add")
@click.argument("round_id", type=int)
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def invitations_add(round_id: int, csv_file: Path) -> None:
    """Add recipients (email, partner_type, optional locality): all rows or none."""
    from surveyapp.services.invitations import RecipientsRejected, add_invitations

    round_ = _get_round(round_id)
    content = _read_bytes(csv_file)
    try:
        result = add_invitations(round_, content, csv_file.name)
    except RecipientsRejected as exc:
        raise _rejected(csv_file, exc.problems, exc.message) from exc
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(
        f"Added {result.added} invitation(s) to round {round_.id}; "
        f"{result.already_invited} already invited"
    )


@invitations_cli.command("send")
@click.argument("round_id", type=int)
@click.option(
    "--reminders",
    is_flag=True,
    help="Queue reminders to people who have not completed, instead of invitations.",
)
@click.option("--now", is_flag=True, help="Also deliver the round's outbox straight away.")
@with_appcontext
def invitations_send(round_id: int, reminders: bool, now: bool) -> None:
    """Queue invitation (or reminder) emails in the outbox; `mail send` (or --now) delivers them."""
    from surveyapp.services.invitations import send_invitations, send_reminders
    from surveyapp.services.mail import deliver_pending

    round_ = _get_round(round_id)
    try:
        queued = send_reminders(round_) if reminders else send_invitations(round_)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(
        f"Queued {queued} {'reminder' if reminders else 'invitation'}(s) for round {round_.id}"
    )
    if now:
        result = deliver_pending(db.session.commit, round_id=round_id)
        db.session.commit()
        click.echo(f"Mail: {result}")
        if result.failed:
            raise click.ClickException(f"{result.failed} message(s) failed for good")


@invitations_cli.command("list")
@click.argument("round_id", type=int)
@click.option("--search", default="", help="Only addresses containing this text.")
@with_appcontext
def invitations_list(round_id: int, search: str) -> None:
    """Everyone invited, as CSV: email, partner type, locality, status (never their answers)."""
    import csv
    import sys

    from surveyapp.services.invitations import PARTICIPANTS_PER_PAGE, participants

    round_ = _get_round(round_id)
    writer = csv.writer(sys.stdout)
    writer.writerow(["email", "partner_type", "locality", "status"])
    page = 1
    while True:
        rows, total = participants(round_, search=search, page=page)
        for p in rows:
            writer.writerow([p.email or "", p.partner_type, p.locality or "", p.status])
        if page * PARTICIPANTS_PER_PAGE >= total:
            break
        page += 1


def _one_invitation(round_id: int, email: str, change: str) -> None:
    from surveyapp.services import invitations as svc

    round_ = _get_round(round_id)
    do = {
        "resend": svc.resend_invitation,
        "remove": svc.remove_invitation,
        "erase": svc.erase_invitation_email,
    }[change]
    try:
        do(round_, svc.invitation_by_email(round_, email))
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()


@invitations_cli.command("resend")
@click.argument("round_id", type=int)
@click.argument("email")
@with_appcontext
def invitations_resend(round_id: int, email: str) -> None:
    """Queue one person's invitation again (same link); `mail send` delivers it."""
    _one_invitation(round_id, email, "resend")
    click.echo(f"Queued the invitation to {email.strip().lower()}")


@invitations_cli.command("remove")
@click.argument("round_id", type=int)
@click.argument("email")
@with_appcontext
def invitations_remove(round_id: int, email: str) -> None:
    """Take one person off the round (not someone who completed: erase their address instead)."""
    _one_invitation(round_id, email, "remove")
    click.echo(f"Removed {email.strip().lower()} from round {round_id}")


@invitations_cli.command("erase-email")
@click.argument("round_id", type=int)
@click.argument("email")
@with_appcontext
def invitations_erase_email(round_id: int, email: str) -> None:
    """Erase one person's address from the round and its emails; the counts stay."""
    _one_invitation(round_id, email, "erase")
    click.echo(f"Erased the address from round {round_id}")


@click.group("mail", help="The outbox.")
def mail_cli() -> None:
    pass


@mail_cli.command("send")
@click.option("--round", "round_id", type=int, default=None, help="Only this round's mail.")
@with_appcontext
def mail_send(round_id: int | None) -> None:
    """Deliver the outbox (SMTP, or the instance mail folder when no server is set)."""
    from surveyapp.services.mail import deliver_pending, delivery_description

    # Committed after each message, so a failure part way never sends anything twice.
    result = deliver_pending(db.session.commit, round_id=round_id)
    db.session.commit()
    click.echo(f"Mail to {delivery_description()}: {result}")
    if result.failed:
        raise click.ClickException(
            f"{result.failed} message(s) failed for good; see the round's invitations page"
        )


# --- demo --------------------------------------------------------------------------------------
@click.command("demo")
@click.option(
    "--admin-email",
    default=None,
    help="Also create a demo admin with a random password (local demo only).",
)
@with_appcontext
def demo_command(admin_email: str | None) -> None:
    """Load demo data (idempotent): the standard instrument, two closed rounds and an open one."""
    from surveyapp.services.demo import load_demo

    summary = load_demo(admin_email=admin_email)
    db.session.commit()
    for line in summary:
        click.echo(line)


# --- report ------------------------------------------------------------------------------------
REPORT_FORMATS = ("csv", "xlsx", "html", "pdf", "summary-pdf")


@click.command("report")
@click.argument("round_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="csv", show_default=True
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write.",
)
@click.option(
    "--filter",
    "chosen",
    default="",
    metavar="DIMENSION:VALUE",
    help="One group only, e.g. locality:North, role_level:manager or training:yes.",
)
@with_appcontext
def report_command(round_id: int, fmt: str, out: Path, chosen: str) -> None:
    """Write a round's gap report: CSV (the item table of product.md section 5), XLSX (findings,
    item table, domain gaps, differences and change), HTML (one self-contained file) or PDF."""
    from surveyapp.reporting.exports import export_report
    from surveyapp.reporting.views import ReportExportError

    round_ = _get_round(round_id)
    if not out.parent.is_dir():
        raise _fail(f"cannot write {out}: there is no folder {out.parent}")
    try:
        exported = export_report(round_, fmt, chosen)
    except ReportExportError as exc:
        if exc.field == "filter":
            raise _fail(
                f"no group {chosen!r} in this report (use DIMENSION:VALUE, e.g. locality:North)"
            ) from exc
        raise _fail(exc.message) from exc
    try:
        out.write_bytes(exported.content)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}") from exc
    click.echo(f"Wrote the {fmt} report of round {round_id} to {out}")


# --- data protection ---------------------------------------------------------------------------
@click.group("retention", help="Erasing personal data after the retention period.")
def retention_cli() -> None:
    pass


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Only say what would be erased.")
@with_appcontext
def retention_run(dry_run: bool) -> None:
    """Erase invitation emails, emails sent and unfinished answers of rounds that ended more than
    RETENTION_DAYS ago (run daily from cron)."""
    from surveyapp.services.dataprotection import erase_expired_emails, retention_days

    try:
        erased = erase_expired_emails(dry_run=dry_run)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "Would erase" if dry_run else "Erased"
    for r in erased:
        click.echo(
            f"{verb} round {r.round_id} ({r.title}): {r.emails} email address(es), {r.messages} "
            f"email(s), {r.drafts} unfinished response(s)"
        )
    click.echo(
        f"{len(erased)} round(s) {'to erase' if dry_run else 'erased'}; retention is "
        f"{retention_days()} days after a round ends"
    )


@rounds_cli.command("erase")
@click.argument("round_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for the round's title to confirm.")
@with_appcontext
def rounds_erase(round_id: int, yes: bool) -> None:
    """Erase a round and everything of it (responses, invitations, emails, open links)."""
    from surveyapp.services.dataprotection import erase_round, round_contents, title_confirmed

    round_ = _get_round(round_id)
    contents = round_contents(round_)
    click.echo(
        f"Round {round_.id}: {round_.title} ({round_.status}): {contents.responses} "
        f"response(s), {contents.invitations} invitation(s), {contents.messages} "
        f"email(s), {contents.open_links} open link(s)",
        err=True,
    )
    for rid, title in contents.compared_by:
        click.echo(
            f"Round {rid} ({title}) is compared with it; its link to it will be removed "
            f"(its report then compares with the latest other closed round)",
            err=True,
        )
    if not yes and not title_confirmed(
        round_, click.prompt("Type the round's title to erase it", err=True)
    ):
        raise _fail("that is not the round's title; nothing was erased")
    title = round_.title
    erase_round(round_)
    db.session.commit()
    click.echo(f"Erased round {round_id}: {title}")


@click.group("data", help="Subject access requests.")
def data_cli() -> None:
    pass


@data_cli.command("export-email")
@click.argument("email")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
@click.option(
    "--format", "fmt", type=click.Choice(("json", "csv")), default="json", show_default=True
)
@click.option("--reference", default="", help="Case reference to record in the audit log.")
@with_appcontext
def data_export_email(email: str, out: Path | None, fmt: str, reference: str) -> None:
    """Everything held about an email address: its invitations and the emails sent to it."""
    from surveyapp.services import dataprotection as dp

    try:
        found = dp.subject_access(email, fmt=fmt, reference=reference)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    content = dp.subject_access_json(found) if fmt == "json" else dp.subject_access_csv(found)
    if out is None:
        click.echo(content, nl=False)
    else:
        try:
            out.write_text(content, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {out}: {exc.strerror}") from exc
    db.session.commit()
    click.echo(
        f"{len(found.invitations)} invitation(s) and {len(found.messages)} email(s) "
        f"found for {found.email}" + (f"; written to {out}" if out else ""),
        err=True,
    )


# --- reference data ----------------------------------------------------------------------------
def _reference(do: Callable[[], object], done: str) -> None:
    try:
        do()
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(done)


@click.group("partner-types", help="Partner types: list, add, rename, retire, restore.")
def partner_types_cli() -> None:
    pass


@partner_types_cli.command("list")
@with_appcontext
def partner_types_list() -> None:
    """Every partner type: slug, name and whether it is offered for new rounds."""
    import sqlalchemy as sa

    from surveyapp.models import PartnerType

    for p in db.session.scalars(sa.select(PartnerType).order_by(PartnerType.position)):
        click.echo(f"{p.slug}\t{p.label}\t{'in use' if p.active else 'retired'}")


@partner_types_cli.command("add")
@click.argument("label")
@with_appcontext
def partner_types_add(label: str) -> None:
    """Add a partner type (its slug is made from the name and printed)."""
    from surveyapp.services import reference

    try:
        partner_type = reference.add_partner_type(label)
    except ServiceError as exc:
        raise _fail(exc.message) from exc
    db.session.commit()
    click.echo(f"Added {partner_type.label}")
    click.echo(partner_type.slug)


@partner_types_cli.command("rename")
@click.argument("slug")
@click.argument("label")
@with_appcontext
def partner_types_rename(slug: str, label: str) -> None:
    """Give a partner type a new name (its slug stays)."""
    from surveyapp.services import reference

    _reference(
        lambda: reference.rename_partner_type(reference.partner_type_by_slug(slug), label),
        f"Renamed {slug}",
    )


@click.group("localities", help="Localities: list, add, rename, retire, restore.")
def localities_cli() -> None:
    pass


@localities_cli.command("list")
@with_appcontext
def localities_list() -> None:
    """Every locality and whether it is offered for new rounds."""
    import sqlalchemy as sa

    from surveyapp.models import Locality

    for loc in db.session.scalars(sa.select(Locality).order_by(Locality.name)):
        click.echo(f"{loc.name}\t{'in use' if loc.active else 'retired'}")


@localities_cli.command("add")
@click.argument("name")
@with_appcontext
def localities_add(name: str) -> None:
    """Add a locality (names differing only in case or spacing are refused)."""
    from surveyapp.services import reference

    _reference(lambda: reference.add_locality(name), f"Added {name.strip()}")


@localities_cli.command("rename")
@click.argument("name")
@click.argument("new_name")
@with_appcontext
def localities_rename(name: str, new_name: str) -> None:
    """Give a locality a new name."""
    from surveyapp.services import reference

    _reference(
        lambda: reference.rename_locality(reference.locality_by_name(name), new_name),
        f"Renamed {name.strip()}",
    )


def _retire_and_restore(
    group: click.Group,
    noun: str,
    argument: str,
    set_active: Callable[[str, bool], None],
) -> None:
    """Add ``retire`` and ``restore`` commands to a reference-data group: each finds the row
    named by ``argument`` and sets whether it is offered for new rounds."""
    for name, active, done, doc in (
        (
            "retire",
            False,
            "Retired",
            f"Stop offering a {noun} for new rounds (rounds using it keep it).",
        ),
        ("restore", True, "Restored", f"Offer a retired {noun} again."),
    ):

        def command(value: str, active: bool = active, done: str = done) -> None:
            _reference(lambda: set_active(value, active), f"{done} {value.strip()}")

        command.__doc__ = doc
        group.command(name)(
            click.argument("value", metavar=argument.upper())(with_appcontext(command))
        )


def _set_partner_type_active(slug: str, active: bool) -> None:
    from surveyapp.services import reference

    reference.set_partner_type_active(reference.partner_type_by_slug(slug), active)


def _set_locality_active(name: str, active: bool) -> None:
    from surveyapp.services import reference

    reference.set_locality_active(reference.locality_by_name(name), active)


_retire_and_restore(partner_types_cli, "partner type", "slug", _set_partner_type_active)
_retire_and_restore(localities_cli, "locality", "name", _set_locality_active)
