"""The one translation table: zh (default) and en, for the CLI, the bulletin and the pages."""

from __future__ import annotations

__all__ = ["t", "LANGS"]

LANGS = ("zh", "en")

_TABLE: dict[str, tuple[str, str]] = {
    "close": ("密切接触者", "close contacts"),
    "secondary": ("次密切接触者", "secondary contacts"),
    "companion": ("时空伴随者", "space-time companions"),
    "overlap": ("轨迹重合人员", "trajectory overlaps"),
    "centralized_isolation": ("集中隔离医学观察", "centralized isolation"),
    "home_isolation": ("居家隔离医学观察", "home isolation"),
    "home_monitoring": ("居家健康监测", "home health monitoring"),
    "health_monitoring": ("健康监测", "health monitoring"),
    "confirmed": ("确诊病例", "confirmed cases"),
    "asymptomatic": ("无症状感染者", "asymptomatic infections"),
    "suspected": ("可疑阳性", "suspected positive"),
    "red": ("红码", "red"),
    "yellow": ("黄码", "yellow"),
    "green": ("绿码", "green"),
    "case": ("感染者", "case"),
    "overdue_test": ("应检未检", "overdue test"),
    "app_title": ("防控指挥平台", "Epidemic command platform"),
    "overview": ("总览", "Overview"),
    "demo_banner": ("演示模式：数据为合成数据，尚未启用登录", "Demo mode: synthetic data, no login yet"),
    "new_cases": ("新增感染者", "New cases"),
    "traced": ("追踪管控风险人员", "Risk persons traced"),
    "tests": ("核酸检测结果", "Test results"),
    "negative": ("阴性", "negative"),
    "positive": ("阳性", "positive"),
    "pending": ("待出", "pending"),
    "isolation": ("隔离管控", "Under measures"),
    "days_since": ("社会面清零天数", "Days since the last community case"),
    "bulletin": ("疫情通报", "Daily bulletin"),
    "api_docs": ("接口文档", "API docs"),
    "total_cases": ("累计感染者", "Cumulative cases"),
    "hospital": ("定点医院收治", "In designated hospitals"),
    "none_yet": ("暂无", "none yet"),
    "status": ("状态", "Status"),
    "traced_at": ("流调完成时间", "Traced at"),
    "case_id": ("编号", "Case"),
    "community_new": ("社会面新增", "found in the community"),
    "control_new": ("管控中发现", "found under control"),
    # zones, codes, assistance (issue 5)
    "sealed": ("封控区", "sealed zone"),
    "controlled": ("管控区", "controlled zone"),
    "precaution": ("防范区", "precaution zone"),
    "high_risk": ("高风险区", "high-risk area"),
    "medium_risk": ("中风险区", "medium-risk area"),
    "low_risk": ("低风险区", "low-risk area"),
    "high_risk_area": ("高风险区居住", "lives in a high-risk area"),
    "medium_risk_area": ("中风险区居住", "lives in a medium-risk area"),
    "low_risk_area": ("低风险区居住", "lives in a low-risk area"),
    "sealed_resident": ("封控区居民", "sealed-zone resident"),
    "arrival_high": ("高风险地区来返", "arrival from a high-risk area"),
    "arrival_medium": ("中风险地区来返", "arrival from a medium-risk area"),
    "arrival_low": ("低风险地区来返", "arrival from a low-risk area"),
    "zones_sealed": ("新增封控管控区", "zones sealed"),
    "zones_lifted": ("解除封控管控区", "zones lifted"),
    # testing (issue 4)
    "temporary_control": ("临时管控", "temporary control"),
    "pool_member": ("混管阳性待复核", "positive pool, awaiting single re-test"),
    "pool_positive": ("混管阳性单采复核", "single re-test after a positive pool"),
    "recheck": ("复核", "re-check"),
    "repeat": ("复检", "repeat test"),
    "resample": ("重新采样", "re-sample"),
    "weak_positive": ("弱阳性", "weak positive"),
    "invalid": ("无效", "invalid"),
    "environmental": ("环境样本", "environmental samples"),
    "round": ("核酸检测轮次", "testing round"),
}


def t(key: str, lang: str = "zh") -> str:
    pair = _TABLE.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]
