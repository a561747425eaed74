"""`fangkong devices issue|list|revoke`: the local operator manages venue and checkpoint device tokens."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.auth.devices import service as devices
from fangkong.kit.clikit import handle_errors, operator, out, unit_of_work

__all__ = ["devices_app"]

devices_app = typer.Typer(help="Device tokens of venue scanners and checkpoint readers (docs/security.md).",
                          no_args_is_help=True)


@devices_app.command("issue")
@handle_errors
def issue(kind: Annotated[str, typer.Argument(help="venue (records scans at its venue) or checkpoint "
                                                   "(two-code checks)")],
          venue: Annotated[str | None, typer.Option("--venue", help="a venue device's venue id")] = None,
          label: Annotated[str | None, typer.Option("--label")] = None) -> None:
    """A new device token, printed once (only its hash is stored).

    Example: `fangkong devices issue venue --venue V0001845 --label "front door"`"""
    with unit_of_work(actor=operator()) as session:
        device, raw = devices.issue_device(session, kind=kind, venue_id=venue, label=label)
        out.print(f"device {device.device_id} ({device.kind}{', venue ' + device.venue_id if device.venue_id else ''})",
                  highlight=False)
    out.print(raw, highlight=False, soft_wrap=True)


@devices_app.command("list")
@handle_errors
def list_cmd(revoked: Annotated[bool, typer.Option("--revoked", help="also revoked devices")] = False) -> None:
    """Every device: kind, venue, label, who issued it, whether revoked."""
    with unit_of_work() as session:
        table = Table("device", "kind", "venue", "label", "issued", "by", "revoked")
        for d in devices.list_devices(session, include_revoked=revoked):
            table.add_row(d.device_id, d.kind, d.venue_id or "-", d.label or "", d.created_at.isoformat(timespec="minutes"),
                          d.created_by, d.revoked_at.isoformat(timespec="minutes") if d.revoked_at else "")
        out.print(table)


@devices_app.command("revoke")
@handle_errors
def revoke(device_id: str) -> None:
    """The device's token stops working (at once on this machine's processes' next look-up, within 30 s on
    running servers). Example: `fangkong devices revoke D000001`"""
    with unit_of_work(actor=operator()) as session:
        d = devices.revoke_device(session, device_id)
        out.print(f"device {d.device_id} revoked", highlight=False)
