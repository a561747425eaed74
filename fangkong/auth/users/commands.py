"""`fangkong users …`: the local operator manages users, their passwords and API tokens (docs/security.md)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from fangkong.auth import service
from fangkong.errors import InvalidInput
from fangkong.kit.clikit import handle_errors, operator, out, unit_of_work
from fangkong.protocol.roles import ROLES

__all__ = ["app"]

app = typer.Typer(help="Users: roles, jurisdictions, passwords, API tokens (docs/security.md).",
                  no_args_is_help=True)


EmailOpt = Annotated[str | None, typer.Option("--email", help="notifications by e-mail ('' clears)")]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="notifications by SMS ('' clears)")]
WebhookOpt = Annotated[str | None, typer.Option("--webhook", help="notifications to a personal work-chat robot, "
                                                "an http(s) URL ('' clears)")]
TeamOpt = Annotated[str | None, typer.Option("--team", help="the tracing team (team_id) the user works in: told "
                                             "when a case is assigned to it ('' clears)")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        raise InvalidInput("the two passwords differ")
    return first


@app.command("create")
@handle_errors
def create(username: str,
           role: Annotated[str, typer.Option("--role", help=f"one of: {', '.join(ROLES)}")],
           jurisdiction: Annotated[str, typer.Option("--jurisdiction", help="administrative code, e.g. 140105; "
                                                     "'' = the whole deployment")] = "",
           password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from "
                                                        "stdin (scripts); otherwise prompt")] = False,
           person: Annotated[str | None, typer.Option("--person", help="role citizen: the person id the account "
                                                      "is (they see and scan as that person only)")] = None,
           email: EmailOpt = None, phone: PhoneOpt = None, webhook: WebhookOpt = None, team: TeamOpt = None) -> None:
    """A new user. Example: `echo 's3cret-pass' | fangkong users create wang --role commander
    --jurisdiction 1401 --password-stdin --email wang@office.example --phone 13800000001`; a citizen:
    `... users create li --role citizen --person P0000042`"""
    password = _password(password_stdin)
    with unit_of_work(actor=operator()) as session:
        user = service.create_user(session, username, role=role, password=password, jurisdiction=jurisdiction,
                                   person_id=person, email=email, phone=phone, webhook=webhook, team=team)
        out.print(f"user {user.username}: {user.role}, jurisdiction {user.jurisdiction or '(all)'}",
                  highlight=False)


@app.command("list")
@handle_errors
def list_cmd() -> None:
    """Every user with role, jurisdiction, whether active, team and contacts."""
    with unit_of_work() as session:
        table = Table("username", "role", "jurisdiction", "active", "team", "contacts", "created by")
        for u in service.list_users(session):
            contacts = ", ".join(c for c in (u.email, u.phone, "webhook" if u.webhook else None) if c)
            table.add_row(u.username, u.role, u.jurisdiction or "(all)", "yes" if u.active else "no", u.team_id or "",
                          contacts, u.created_by)
        out.print(table)


@app.command("update")
@handle_errors
def update(username: str, role: Annotated[str | None, typer.Option("--role")] = None,
           jurisdiction: Annotated[str | None, typer.Option("--jurisdiction")] = None,
           active: Annotated[bool | None, typer.Option("--active/--disabled")] = None,
           password_stdin: Annotated[bool, typer.Option("--password-stdin", help="set a new password")] = False,
           email: EmailOpt = None, phone: PhoneOpt = None, webhook: WebhookOpt = None, team: TeamOpt = None,
           ) -> None:
    """Change a role, jurisdiction, password, contacts or team, or disable a user (their tokens stop working).
    Example: `fangkong users update wang --email wang@office.example --webhook ''`"""
    password = _password(True) if password_stdin else None
    with unit_of_work(actor=operator()) as session:
        user = service.update_user(session, service.get_user(session, username), role=role,
                                   jurisdiction=jurisdiction, active=active, password=password, email=email,
                                   phone=phone, webhook=webhook, team=team)
        out.print(f"user {user.username}: {user.role}, jurisdiction {user.jurisdiction or '(all)'}, "
                  f"{'active' if user.active else 'disabled'}", highlight=False)


@app.command("token")
@handle_errors
def token(username: str, label: Annotated[str | None, typer.Option("--label")] = None,
          days: Annotated[float, typer.Option("--days", help="valid this many days")] = 30) -> None:
    """Issue an API bearer token for a user (printed once; only its hash is stored)."""
    with unit_of_work() as session:
        raw = service.issue_token(session, service.get_user(session, username), label=label, days=days)
    out.print(raw, highlight=False, soft_wrap=True)


@app.command("tokens")
@handle_errors
def tokens(username: str) -> None:
    """A user's tokens that still work: id, label, created, expires, last used (never the token itself)."""
    with unit_of_work() as session:
        service.get_user(session, username)
        table = Table("id", "label", "created", "expires", "last used")
        when = lambda t: t.isoformat(timespec="minutes") if t else "-"  # noqa: E731
        for tk in service.tokens_of(session, username):
            table.add_row(str(tk.id), tk.label or "", when(tk.created_at), when(tk.expires_at), when(tk.last_used_at))
        out.print(table)


@app.command("revoke-token")
@handle_errors
def revoke_token(token_id: int) -> None:
    """Revoke a token by id (`fangkong users tokens NAME` lists them): it stops working at once."""
    with unit_of_work(actor=operator()) as session:
        token = service.revoke_token(session, service.get_token(session, token_id))
        out.print(f"token {token.id} of {token.user.username} revoked", highlight=False)
