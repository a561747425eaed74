"""The web forms' part of the translation table (fangkong/kit/i18n.py looks a key up here after its own table;
kept apart so that the forms and the other pages can grow the table at the same time)."""

from __future__ import annotations

__all__ = ["FORMS"]

FORMS: dict[str, tuple[str, str]] = {
    "nav_entry": ("录入", "Data entry"),
    "entry_title": ("日常录入", "The day's entries"),
    "entry_none": ("您的角色没有可录入的表单", "Your role has no form to fill in"),
    "form_submit": ("提交", "Submit"),
    "form_cancel": ("取消", "Cancel"),
    "form_required": ("必填", "required"),
    "form_saved": ("已保存", "Saved"),
    "form_stale": ("此记录在您打开页面后已被他人更改，您的提交未覆盖它。现在的内容：",
                   "This record was changed after you opened the page; your entry did not overwrite it. As it is now:"),
    "form_stale_row": ("{what}：您看到的是“{seen}”，现在是“{now}”", "{what}: you saw '{seen}', it is now '{now}'"),
    "form_refused": ("未执行", "Not done"),
    "case_exists": ("{person} 已是病例或可疑阳性，未重复登记", "{person} is already a case or a suspected case; not recorded again"),
    "form_no_person": ("未找到人员 {person}", "no person {person} in the register"),
    "form_reload": ("重新载入", "Reload"),
    "val_when": ("{field}：“{input}”不在合理的时间范围内（2019-12-01 至今）",
                 "{field}: '{input}' is not a plausible time (from 2019-12-01 to now)"),
    # cases
    "cases_new_title": ("病例录入：报告病例、初筛阳性与复核", "Cases: declare, first positive, re-check"),
    "form_declare": ("报告病例", "Declare a case"),
    "form_declare_hint": ("复核阳性后由流调人员报告；填写发病日期即为确诊病例，否则为无症状感染者",
                          "after a positive re-check; with an onset date it is a confirmed case, else asymptomatic"),
    "form_positive": ("初筛阳性", "First positive result"),
    "form_positive_hint": ("登记为可疑阳性，等待复核", "recorded as a suspected case awaiting its re-check"),
    "form_waiting": ("待复核的可疑阳性", "Suspected cases awaiting their re-check"),
    "form_no_waiting": ("暂无待复核病例", "No case awaits a re-check"),
    "case_declared": ("已报告病例 {case}（{status}）", "Case {case} declared ({status})"),
    "case_suspected_recorded": ("已登记可疑阳性 {case}，待复核", "Suspected case {case} recorded, awaiting its re-check"),
    "case_rechecked": ("已复核：{status}", "Re-checked: {status}"),
    "ruled_out": ("已排除", "ruled out"),
    "btn_declare": ("报告", "Declare"),
    "btn_record": ("登记", "Record"),
    "btn_recheck": ("复核", "Re-check"),
    "field_person_id": ("人员编号", "person ID"),
    "field_sampled_at": ("采样时间", "sampled at"),
    "field_onset_date": ("发病日期", "onset date"),
    "field_isolated_at": ("隔离时间", "isolated at"),
    "field_imported": ("境外输入", "imported case"),
    "field_result": ("结果", "result"),
    "field_status": ("状态", "status"),
    "field_seen": ("页面所示状态", "status shown"),
    "field_at": ("时间", "time"),
    # test results (lab)
    "results_title": ("检测结果录入", "Test results"),
    "results_hint": ("管控人员今日应检的核酸检测；阳性即登记为可疑阳性，待复核",
                     "the tests due today of people under a measure; a positive one opens a suspected case"),
    "results_none": ("今日暂无待录入的检测", "No test awaits a result today"),
    "results_recorded": ("已录入：{result}", "Recorded: {result}"),
    "results_filter": ("按人员编号筛选", "filter by person ID"),
    "field_test_id": ("检测编号", "test"),
    "field_due_date": ("应检日期", "due"),
}
