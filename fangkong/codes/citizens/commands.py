"""`fangkong citizens outbox`: the messages waiting for the SMS gateway (sign-in codes), for the local operator."""

from __future__ import annotations

from typing import Annotated

import typer

from fangkong.db.outbox import messages
from fangkong.kit.clikit import handle_errors, out, unit_of_work

__all__ = ["app"]

app = typer.Typer(help="Citizens: sign-in codes sent to registered phones (docs/security.md).", no_args_is_help=True)


@app.command("outbox")
@handle_errors
def outbox(phone: Annotated[str | None, typer.Option("--phone", help="only messages to this phone")] = None,
           limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20) -> None:
    """Messages waiting for the notification gateway, newest first (none is connected yet: in a drill or the
    demo, this is how a citizen's sign-in code is read). Example: `fangkong citizens outbox --phone 13800000001`"""
    with unit_of_work() as session:   # one line a message: a table would cut the message short
        for m in messages(session, recipient=phone, limit=limit):
            sent = f" (sent {m.sent_at.isoformat(timespec='seconds')})" if m.sent_at else ""
            out.print(f"{m.id} {m.created_at.isoformat(timespec='seconds')} {m.channel} {m.recipient}{sent}: {m.body}",
                      highlight=False, soft_wrap=True)
