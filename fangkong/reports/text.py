"""The bulletin as text, in the seeds' form (通报), Chinese by default and English on request."""

from __future__ import annotations

from datetime import date, timedelta

from fangkong.kit.i18n import t
from fangkong.reports.service import Bulletin

__all__ = ["render"]

#: the bulletin's sentences in each language, filled from the figures of _figures(); `date`: how a day is
#: written in a sentence (the title writes it with `title_date`)
_PHRASES: dict[str, dict] = {
    "zh": {
        "area": "本市",
        "date": lambda d: f"{d.month}月{d.day}日",
        "title_date": "%Y年%m月%d日",
        "title": "{area}疫情防控办通报（{title_date}）",
        "new": "{day}0—24时，{area}新增本土感染者{new}例，其中确诊病例{confirmed}例、无症状感染者{asymptomatic}例；"
               "社会面发现{community}例，隔离管控中发现{under_control}例。",
        "no_new": "{day}0—24时，{area}无新增本土感染者。",
        "imported": "新增境外输入感染者{imported}例，其中确诊病例{imported_confirmed}例、"
                    "无症状感染者{imported_asymptomatic}例。",
        "also_imported": "、境外输入感染者{total_imported}例",
        "cumulative": "截至{day}24时，累计报告本土感染者{local_total}例{also_imported}{hospital}。",
        "traced": "截至目前，共追踪管控风险人员{traced_total}人（当日新增{new_traced}人），其中，密接者{close}人，"
                  "次密接者{secondary}人，时空伴随者{companion}人，轨迹重合人员{overlap}人。",
        "tests": "核酸检测结果：{tests_positive}人阳性，{tests_negative}人阴性，{tests_pending}人结果待出。",
        "isolation": "目前集中隔离医学观察{in_site}人，居家隔离医学观察{at_home}人，健康监测{monitoring}人。",
        "temporary_control": "混管阳性人员临时管控{temporary_control}人，正在单管复核。",
        "rooms": "隔离点已用房间{rooms_used}间（开放房间共{rooms_total}间），定点医院占用床位{beds_used}张。",
        "environmental": "累计采集环境样本{env_total}份（当日{env_new}份），其中阴性{env_negative}份、"
                         "弱阳性{env_weak_positive}份、阳性{env_positive}份，{env_pending}份结果待出。",
        # an edition with high and low risk areas only (二十条), then one with sealed and controlled zones
        "zones_two": "当日新增高风险区{new_high}个，解除{lifted}个；目前高风险区{open_high}个、低风险区{open_low}个",
        "sealed_two": "，高风险区居民{sealed_residents}人足不出户、每日核酸（计入居家隔离医学观察）",
        "zones_three": "当日新增封控区{new_high}个、管控区{new_medium}个，解除{lifted}个；目前高风险区{open_high}个、"
                       "中风险区{open_medium}个、低风险区{open_low}个",
        "sealed_three": "，封控区居民{sealed_residents}人足不出户、每日核酸（计入居家隔离医学观察）",
        "never_community": "社会面尚未发现感染者。",
        "community_today": "今日社会面发现感染者，社会面清零天数归零。",
        "community_zero": "{first_clean}0时至{day}24时，{area}连续{days_clean}天未发生社会面新增感染病例，"
                          "实现“社会面清零”。",
        "days_clean": "社会面已连续{days_clean}天无新增感染者。",
        "end": "。",
        # where the cases are: discharged so far; all discharged; all current ones in designated hospitals;
        # some of them, the others awaiting transfer
        "discharged": "，累计出院{discharged}例",
        "all_out": "，均已出院",
        "all_in": "；现有{current}例，均在定点医院隔离治疗",
        "some_in": "；现有{current}例，其中{hospital}例在定点医院隔离治疗，{waiting}例待转运",
        "correction_title": "{title}（更正，第{version}版）",
        "correction": "更正说明：{reason}",
        "correction_strip": "：",
    },
    "en": {
        "area": "City",
        "date": lambda d: f"{d:%Y-%m-%d}",
        "title_date": "%Y-%m-%d",
        "title": "{area} epidemic control office bulletin, {title_date}",
        "new": "New local cases on {day}: {new} ({confirmed} confirmed, {asymptomatic} asymptomatic); "
               "{community} found in the community, {under_control} found under control.",
        "no_new": "No new local cases on {day}.",
        "imported": "New imported cases (境外输入): {imported} ({imported_confirmed} confirmed, "
                    "{imported_asymptomatic} asymptomatic).",
        "also_imported": "; cumulative imported cases: {total_imported}",
        "cumulative": "Cumulative local cases: {local_total}{also_imported}{hospital}.",
        "traced": "Risk persons traced and under measures: {traced_total} ({new_traced} new today): "
                  "{close} {close_label}, {secondary} {secondary_label}, {companion} {companion_label}, "
                  "{overlap} {overlap_label}.",
        "tests": "Test results: {tests_positive} positive, {tests_negative} negative, {tests_pending} pending.",
        "isolation": "In centralized isolation: {in_site}; home isolation: {at_home}; health monitoring: "
                     "{monitoring}.",
        "temporary_control": "Held in place after a positive pooled tube, awaiting single re-tests: "
                             "{temporary_control}.",
        "rooms": "Isolation rooms in use: {rooms_used} (of {rooms_total} open); designated-hospital beds in use: "
                 "{beds_used}.",
        "environmental": "Environmental samples: {env_total} ({env_new} today): {env_negative} negative, "
                         "{env_weak_positive} weak positive, {env_positive} positive, {env_pending} pending.",
        "zones_two": "Risk areas: {new_high} high-risk today, {lifted} lifted; open: {open_high} high-risk, "
                     "{open_low} low-risk areas",
        "sealed_two": "; {sealed_residents} sealed-zone residents stay home with daily tests "
                      "(counted under home isolation)",
        "zones_three": "Zones: {new_high} sealed and {new_medium} controlled today, {lifted} lifted; open: "
                       "{open_high} high-risk, {open_medium} medium-risk, {open_low} low-risk areas",
        "sealed_three": "; {sealed_residents} sealed-zone residents stay home with daily tests "
                        "(counted under home isolation)",
        "never_community": "No case has been found in the community.",
        "community_today": "A case was found in the community today: the community-zero counter restarts.",
        "community_zero": "No new community case for {days_clean} consecutive days ({first_clean} 00:00 to "
                          "{day} 24:00): community zero (社会面清零) reached.",
        "days_clean": "Days without a new community case: {days_clean}.",
        "end": ".",
        "discharged": ", {discharged} discharged",
        "all_out": ", all discharged",
        "all_in": "; {current} current, all treated in designated hospitals",
        "some_in": "; {current} current: {hospital} in designated hospitals, {waiting} awaiting transfer",
        "correction_title": "{title} (correction, version {version})",
        "correction": "Correction: {reason}",
        "correction_strip": None,
    },
}


def _figures(b: Bulletin, area: str, p: dict) -> dict:
    """Every figure a sentence of _PHRASES names."""
    confirmed, asymptomatic = _local(b)
    cat, env = b.traced_by_category, b.environmental
    first = b.last_community_case_day + timedelta(days=1) if b.last_community_case_day else None
    f = {"area": area, "day": p["date"](b.day), "title_date": b.day.strftime(p["title_date"]),
         "new": confirmed + asymptomatic, "confirmed": confirmed, "asymptomatic": asymptomatic,
         "community": b.new_community, "under_control": b.new_under_control,
         "imported": b.new_imported_confirmed + b.new_imported_asymptomatic,
         "imported_confirmed": b.new_imported_confirmed, "imported_asymptomatic": b.new_imported_asymptomatic,
         "total_imported": b.total_imported, "local_total": b.total_cases - b.total_imported,
         "traced_total": b.traced_total, "new_traced": b.new_traced,
         "tests_positive": b.tests_positive, "tests_negative": b.tests_negative, "tests_pending": b.tests_pending,
         "in_site": b.isolation_in_site, "at_home": b.isolation_at_home, "monitoring": b.monitoring,
         "temporary_control": b.temporary_control, "rooms_used": b.rooms_used, "rooms_total": b.rooms_total,
         "beds_used": b.hospital_beds_used, "days_clean": b.days_since_community_case,
         "first_clean": p["date"](first) if isinstance(first, date) else None,
         **{f"env_{k}": v for k, v in env.items()}, **b.zones}
    for c in ("close", "secondary", "companion", "overlap"):
        f[c], f[f"{c}_label"] = cat[c], t(c, "en")
    f["also_imported"] = p["also_imported"].format(**f) if b.total_imported else ""
    f["hospital"] = _hospital(b, p)
    return f


def _text(b: Bulletin, area: str, p: dict) -> str:
    f = _figures(b, area, p)

    def say(key: str) -> str:
        return p[key].format(**f)

    lines = [say("title"), "", say("new") if f["new"] else say("no_new")]
    if f["imported"]:
        lines.append(say("imported"))
    lines += [say("cumulative"), say("traced"), say("tests"), say("isolation")]
    if b.temporary_control:
        lines.append(say("temporary_control"))
    if b.rooms_total or b.rooms_used or b.hospital_beds_used:
        lines.append(say("rooms"))
    if b.environmental.get("total"):
        lines.append(say("environmental"))
    z = b.zones
    if z and any(z.values()):
        kind = "three" if "new_medium" in z else "two"
        lines.append(say(f"zones_{kind}") + (say(f"sealed_{kind}") if z.get("sealed_residents") else "") + p["end"])
    n = b.days_since_community_case
    if n is None:
        lines.append(say("never_community"))
    elif n == 0:
        lines.append(say("community_today"))
    elif b.community_zero:
        lines.append(say("community_zero"))
    else:
        lines.append(say("days_clean"))
    return "\n".join(lines)


def _local(b: Bulletin) -> tuple[int, int]:
    """The day's new local (本土) cases, confirmed and asymptomatic: the new cases less the imported ones."""
    return b.new_confirmed - b.new_imported_confirmed, b.new_asymptomatic - b.new_imported_asymptomatic


def _hospital(b: Bulletin, p: dict) -> str:
    """Where the cases are: admissions in force at the day's end, not every case ever declared."""
    current = b.total_cases - b.discharged
    figures = {"discharged": b.discharged, "current": current, "hospital": b.hospital_cases,
               "waiting": current - b.hospital_cases}
    out = p["discharged"].format(**figures) if b.discharged else ""
    if b.total_cases and current <= 0:
        return out + p["all_out"]
    if current and b.hospital_cases >= current:
        return out + p["all_in"].format(**figures)
    if current:
        return out + p["some_in"].format(**figures)
    return out


def render(b: Bulletin, *, lang: str = "zh", area: str | None = None,
           correction: tuple[int, str | None] | None = None) -> str:
    """The bulletin's text; `correction` = (version, reason) marks a corrected version (更正) as such."""
    p = _PHRASES["en" if lang == "en" else "zh"]
    text = _text(b, area or p["area"], p)
    if correction is None:
        return text
    version, reason = correction
    title, rest = text.split("\n", 1)
    return (p["correction_title"].format(title=title, version=version) + "\n" + rest + "\n"
            + p["correction"].format(reason=reason or "")).rstrip(p["correction_strip"])
