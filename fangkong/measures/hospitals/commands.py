"""`fangkong hospitals …`: designated hospitals and beds, admissions, the escalation plan by case count."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from fangkong.cases import service as case_service
from fangkong.db.core import utcnow
from fangkong.kit.clikit import handle_errors, operator, out, parse_time, unit_of_work
from fangkong.measures.hospitals import service as hospitals
from fangkong.protocol.hospitals import DischargeSample

app = typer.Typer(help="Designated hospitals (定点医院): beds, admissions, escalation plan.", no_args_is_help=True)
AtOpt = Annotated[str | None, typer.Option(help="when (default now)")]


@app.command("add")
@handle_errors
def add_cmd(hospital_id: str, name: Annotated[str, typer.Option()],
            jurisdiction: Annotated[str, typer.Option(help="jurisdiction code, e.g. 1401")],
            beds: Annotated[int, typer.Option(min=0, max=100_000)],
            negative_pressure: Annotated[int, typer.Option(min=0, max=100_000, help="negative-pressure beds")] = 0,
            lat: float | None = None, lon: float | None = None) -> None:
    """Register a designated hospital. Example: `fangkong hospitals add H4 --name 第四医院 --jurisdiction 1401
    --beds 300 --negative-pressure 40`"""
    with unit_of_work(actor=operator()) as session:
        hospitals.add_hospital(session, hospital_id, name=name, jurisdiction=jurisdiction, beds=beds,
                               negative_pressure_beds=negative_pressure, lat=lat, lon=lon)


@app.command("list")
@handle_errors
def list_cmd() -> None:
    """Hospitals with beds in use. Example: `fangkong hospitals list`"""
    with unit_of_work() as session:
        table = Table(title="designated hospitals")
        for col in ("hospital", "name", "jurisdiction", "beds used", "negative-pressure used"):
            table.add_column(col)
        for b in hospitals.hospital_beds(session):
            h = b.hospital
            table.add_row(h.hospital_id, h.name, h.jurisdiction, f"{b.used}/{h.beds}",
                          f"{b.negative_pressure_used}/{h.negative_pressure_beds}")
    out.print(table)


@app.command("plan")
@handle_errors
def plan_cmd() -> None:
    """Active cases, the escalation steps in force and the next step. Example: `fangkong hospitals plan`"""
    with unit_of_work() as session:
        state = hospitals.plan(session)
        all_steps = hospitals.steps(session)
    out.print(f"active cases: {state.active_cases}")
    for s in all_steps:
        mark = "✔" if s in state.in_force else ("→" if s == state.next_step else " ")
        out.print(f" {mark} > {s.threshold}: {s.action}" + (f" (+{s.beds} beds)" if s.beds else ""), highlight=False)
    if state.next_step is not None:
        out.print(f"next step in {state.cases_to_next} more active cases: {state.next_step.action}", highlight=False)


@app.command("step")
@handle_errors
def step_cmd(threshold: Annotated[int, typer.Argument(min=0, max=10_000_000, help="applies above this many cases")],
             action: Annotated[str | None, typer.Argument(help="what to do (omit with --remove)")] = None,
             beds: Annotated[int, typer.Option(min=0, max=100_000, help="beds it adds")] = 0,
             remove: bool = False) -> None:
    """Set or remove a plan step (the first one set replaces seed 003's default plan).

    Example: `fangkong hospitals step 100 "腾空第四医院1号楼" --beds 200`
    """
    with unit_of_work(actor=operator()) as session:
        if remove:
            hospitals.remove_step(session, threshold)
        else:
            if not action:
                raise typer.BadParameter("give the action of the step", param_hint="ACTION")
            hospitals.set_step(session, threshold, action=action, beds=beds)


@app.command("admit")
@handle_errors
def admit_cmd(case_id: str, hospital_id: str,
              negative_pressure: Annotated[bool, typer.Option(help="in a negative-pressure bed")] = False,
              at: AtOpt = None) -> None:
    """Admit a case (closes its transfer task). Example: `fangkong hospitals admit C000001 H4 --negative-pressure`"""
    with unit_of_work(actor=operator()) as session:
        hospitals.admit(session, case_service.get_case(session, case_id), hospitals.get_hospital(session, hospital_id),
                        at=parse_time(at, "--at") or utcnow(), negative_pressure=negative_pressure)


@app.command("discharge")
@handle_errors
def discharge_cmd(case_id: str, at: AtOpt = None,
                  sample: Annotated[list[str] | None, typer.Option(
                      help="a discharge sample TIME=CT (the lower of N and ORF1ab; 'none' = no amplification), "
                           "repeated")] = None) -> None:
    """Discharge a case meeting the edition's criteria (edition 9: two samples 24 h apart, Ct ≥ 35); starts its
    post-discharge monitoring. Example: `fangkong hospitals discharge C000001 --sample 2022-03-20T08:00=36
    --sample 2022-03-21T09:00=none`"""
    samples = []
    for text in sample or []:
        when, _, ct = text.partition("=")
        try:
            value = None if ct.strip().lower() == "none" else float(ct)
        except ValueError:
            raise typer.BadParameter(f"{text!r}: give TIME=CT, e.g. 2022-03-20T08:00=36") from None
        samples.append(DischargeSample(parse_time(when, "--sample"), value))
    with unit_of_work(actor=operator()) as session:
        hospitals.discharge(session, case_service.get_case(session, case_id), at=parse_time(at, "--at") or utcnow(),
                            samples=samples)
