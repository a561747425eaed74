"""The bulletin as text, in the seeds' form (通报), Chinese by default and English on request."""

from __future__ import annotations

from datetime import timedelta

from fangkong.kit.i18n import t
from fangkong.reports.service import Bulletin

__all__ = ["render"]


def _zh(b: Bulletin, area: str) -> str:
    d = f"{b.day.month}月{b.day.day}日"
    cat = b.traced_by_category
    lines = [f"{area}疫情防控办通报（{b.day:%Y年%m月%d日}）", ""]
    confirmed, asymptomatic = _local(b)
    new = confirmed + asymptomatic
    if new:
        lines.append(f"{d}0—24时，{area}新增本土感染者{new}例，其中确诊病例{confirmed}例、"
                     f"无症状感染者{asymptomatic}例；社会面发现{b.new_community}例，"
                     f"隔离管控中发现{b.new_under_control}例。")
    else:
        lines.append(f"{d}0—24时，{area}无新增本土感染者。")
    imported = b.new_imported_confirmed + b.new_imported_asymptomatic
    if imported:
        lines.append(f"新增境外输入感染者{imported}例，其中确诊病例{b.new_imported_confirmed}例、"
                     f"无症状感染者{b.new_imported_asymptomatic}例。")
    also = f"、境外输入感染者{b.total_imported}例" if b.total_imported else ""
    lines.append(f"截至{d}24时，累计报告本土感染者{b.total_cases - b.total_imported}例{also}{_hospital(b, 'zh')}。")
    lines.append(f"截至目前，共追踪管控风险人员{b.traced_total}人（当日新增{b.new_traced}人），其中，"
                 f"密接者{cat['close']}人，次密接者{cat['secondary']}人，时空伴随者{cat['companion']}人，"
                 f"轨迹重合人员{cat['overlap']}人。")
    lines.append(f"核酸检测结果：{b.tests_positive}人阳性，{b.tests_negative}人阴性，{b.tests_pending}人结果待出。")
    lines.append(f"目前集中隔离医学观察{b.isolation_in_site}人，居家隔离医学观察{b.isolation_at_home}人，"
                 f"健康监测{b.monitoring}人。")
    if b.temporary_control:
        lines.append(f"混管阳性人员临时管控{b.temporary_control}人，正在单管复核。")
    if b.rooms_total or b.rooms_used or b.hospital_beds_used:
        lines.append(f"隔离点启用房间{b.rooms_used}间（可用{b.rooms_total}间），定点医院占用床位{b.hospital_beds_used}张。")
    env = b.environmental
    if env.get("total"):
        lines.append(f"累计采集环境样本{env['total']}份（当日{env['new']}份），其中阴性{env['negative']}份、"
                     f"弱阳性{env['weak_positive']}份、阳性{env['positive']}份，{env['pending']}份结果待出。")
    lines.extend(_zones_zh(b.zones))
    n = b.days_since_community_case
    if n is None:
        lines.append("社会面尚未发现感染者。")
    elif n == 0:
        lines.append("今日社会面发现感染者，社会面清零天数归零。")
    elif b.community_zero:
        first = b.last_community_case_day + timedelta(days=1)
        lines.append(f"{first.month}月{first.day}日0时至{d}24时，{area}连续{n}天未发生社会面新增感染病例，"
                     "实现“社会面清零”。")
    else:
        lines.append(f"社会面已连续{n}天无新增感染者。")
    return "\n".join(lines)


def _en(b: Bulletin, area: str) -> str:
    cat = b.traced_by_category
    lines = [f"{area} epidemic control office bulletin, {b.day:%Y-%m-%d}", ""]
    confirmed, asymptomatic = _local(b)
    new = confirmed + asymptomatic
    if new:
        lines.append(f"New local cases on {b.day:%Y-%m-%d}: {new} ({confirmed} confirmed, "
                     f"{asymptomatic} asymptomatic); {b.new_community} found in the community, "
                     f"{b.new_under_control} found under control.")
    else:
        lines.append(f"No new local cases on {b.day:%Y-%m-%d}.")
    imported = b.new_imported_confirmed + b.new_imported_asymptomatic
    if imported:
        lines.append(f"New imported cases (境外输入): {imported} ({b.new_imported_confirmed} confirmed, "
                     f"{b.new_imported_asymptomatic} asymptomatic).")
    also = f"; cumulative imported cases: {b.total_imported}" if b.total_imported else ""
    lines.append(f"Cumulative local cases: {b.total_cases - b.total_imported}{also}{_hospital(b, 'en')}.")
    lines.append(f"Risk persons traced and under measures: {b.traced_total} ({b.new_traced} new today): "
                 f"{cat['close']} {t('close', 'en')}, {cat['secondary']} {t('secondary', 'en')}, "
                 f"{cat['companion']} {t('companion', 'en')}, {cat['overlap']} {t('overlap', 'en')}.")
    lines.append(f"Test results: {b.tests_positive} positive, {b.tests_negative} negative, "
                 f"{b.tests_pending} pending.")
    lines.append(f"In centralized isolation: {b.isolation_in_site}; home isolation: {b.isolation_at_home}; "
                 f"health monitoring: {b.monitoring}.")
    if b.temporary_control:
        lines.append(f"Held in place after a positive pooled tube, awaiting single re-tests: {b.temporary_control}.")
    if b.rooms_total or b.rooms_used or b.hospital_beds_used:
        lines.append(f"Isolation rooms in use: {b.rooms_used} (of {b.rooms_total} open); designated-hospital beds "
                     f"in use: {b.hospital_beds_used}.")
    env = b.environmental
    if env.get("total"):
        lines.append(f"Environmental samples: {env['total']} ({env['new']} today): {env['negative']} negative, "
                     f"{env['weak_positive']} weak positive, {env['positive']} positive, {env['pending']} pending.")
    lines.extend(_zones_en(b.zones))
    n = b.days_since_community_case
    if n is None:
        lines.append("No case has been found in the community.")
    elif n == 0:
        lines.append("A case was found in the community today: the community-zero counter restarts.")
    elif b.community_zero:
        first = b.last_community_case_day + timedelta(days=1)
        lines.append(f"No new community case for {n} consecutive days ({first:%Y-%m-%d} 00:00 to "
                     f"{b.day:%Y-%m-%d} 24:00): community zero (社会面清零) reached.")
    else:
        lines.append(f"Days without a new community case: {n}.")
    return "\n".join(lines)


def _local(b: Bulletin) -> tuple[int, int]:
    """The day's new local (本土) cases, confirmed and asymptomatic: the new cases less the imported ones."""
    return b.new_confirmed - b.new_imported_confirmed, b.new_asymptomatic - b.new_imported_asymptomatic


#: where the cases are, in each language: discharged so far; all discharged; all current ones in designated
#: hospitals; some of them, the others awaiting transfer
_HOSPITAL = {
    "zh": ("，累计出院{discharged}例", "，均已出院", "；现有{current}例，均在定点医院隔离治疗",
           "；现有{current}例，其中{hospital}例在定点医院隔离治疗，{waiting}例待转运"),
    "en": (", {discharged} discharged", ", all discharged", "; {current} current, all treated in designated hospitals",
           "; {current} current: {hospital} in designated hospitals, {waiting} awaiting transfer"),
}


def _hospital(b: Bulletin, lang: str) -> str:
    """Where the cases are: admissions in force at the day's end, not every case ever declared."""
    discharged, all_out, all_in, some_in = _HOSPITAL[lang]
    current = b.total_cases - b.discharged
    figures = {"discharged": b.discharged, "current": current, "hospital": b.hospital_cases,
               "waiting": current - b.hospital_cases}
    out = discharged.format(**figures) if b.discharged else ""
    if b.total_cases and current <= 0:
        return out + all_out
    if current and b.hospital_cases >= current:
        return out + all_in.format(**figures)
    if current:
        return out + some_in.format(**figures)
    return out


def _zones_zh(z: dict) -> list[str]:
    if not z or not any(z.values()):
        return []
    if "new_medium" not in z:  # an edition with high and low risk areas only (二十条)
        line = (f"当日新增高风险区{z['new_high']}个，解除{z['lifted']}个；目前高风险区{z['open_high']}个、"
                f"低风险区{z['open_low']}个")
        if z.get("sealed_residents"):
            line += f"，高风险区居民{z['sealed_residents']}人足不出户、每日核酸（计入居家隔离医学观察）"
        return [line + "。"]
    line = (f"当日新增封控区{z['new_high']}个、管控区{z['new_medium']}个，解除{z['lifted']}个；目前高风险区"
            f"{z['open_high']}个、中风险区{z['open_medium']}个、低风险区{z['open_low']}个")
    if z.get("sealed_residents"):
        line += f"，封控区居民{z['sealed_residents']}人足不出户、每日核酸（计入居家隔离医学观察）"
    return [line + "。"]


def _zones_en(z: dict) -> list[str]:
    if not z or not any(z.values()):
        return []
    if "new_medium" not in z:  # high and low risk areas only (the 20 measures)
        line = (f"Risk areas: {z['new_high']} high-risk today, {z['lifted']} lifted; "
                f"open: {z['open_high']} high-risk, {z['open_low']} low-risk areas")
    else:
        line = (f"Zones: {z['new_high']} sealed and {z['new_medium']} controlled today, {z['lifted']} lifted; "
                f"open: {z['open_high']} high-risk, {z['open_medium']} medium-risk, {z['open_low']} low-risk areas")
    if z.get("sealed_residents"):
        line += (f"; {z['sealed_residents']} sealed-zone residents stay home with daily tests "
                 "(counted under home isolation)")
    return [line + "."]


def render(b: Bulletin, *, lang: str = "zh", area: str | None = None,
           correction: tuple[int, str | None] | None = None) -> str:
    """The bulletin's text; `correction` = (version, reason) marks a corrected version (更正) as such."""
    area = area or ("本市" if lang != "en" else "City")
    text = _en(b, area) if lang == "en" else _zh(b, area)
    if correction is None:
        return text
    version, reason = correction
    title, rest = text.split("\n", 1)
    if lang == "en":
        return f"{title} (correction, version {version})\n{rest}\nCorrection: {reason or ''}".rstrip()
    return f"{title}（更正，第{version}版）\n{rest}\n更正说明：{reason or ''}".rstrip("：")
