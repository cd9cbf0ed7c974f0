"""The words officials write on seeded decisions: opinions (意见) and findings (核查结果)."""

from __future__ import annotations

import random

from hub.domain.workflow import Decision, TaskKind

_VERIFY_APPROVE = {
    "public_security": ("户籍及机动车登记信息核查无异常", "户籍人口与申报一致，无机动车登记"),
    "human_resources": ("就业及社保缴费信息核查无异常", "无工商登记，无企业职工养老保险缴费记录"),
    "housing": ("不动产登记信息核查无异常", "家庭名下住房1套，无商业用房"),
    "medical_security": ("医保参保及医疗费用信息核查属实", "已参加城乡居民基本医疗保险"),
    "disabled_federation": ("残疾人证信息核查属实", "残疾类别、等级与申报一致"),
}
_VERIFY_REJECT = {
    "public_security": "家庭成员名下登记有小型轿车1辆，不符合条件",
    "human_resources": "家庭成员有企业职工养老保险缴费记录，工资收入高于保障标准",
    "housing": "家庭成员名下有商品房2套，不符合条件",
    "medical_security": "医疗费用已由其他渠道全额报销",
    "disabled_federation": "残疾等级与申报不符，不符合补贴条件",
}
_RETURN = (
    "申请材料不全，请补充户口簿复印件",
    "户籍信息与申报不一致，请补正后重新提交",
    "请补充家庭成员收入证明",
    "公示期间收到异议，请补充说明材料",
)
_REVIEW_APPROVE = ("经入户调查，情况属实，同意上报", "经审核，符合条件，同意上报县民政局")
_REVIEW_REJECT = ("经入户调查核实，家庭人均收入高于当地保障标准，不予通过",)
_CERTIFY_APPROVE = ("经审批，符合条件，准予批准",)
_CERTIFY_REJECT = ("经审批，家庭经济状况不符合条件，不予批准",)
WITHDRAWN = "申请人主动撤回申请"
ACCEPTED = "材料齐全，予以受理"


def decision_text(
    rng: random.Random, kind: TaskKind, department: str, decision: Decision
) -> tuple[str, str | None]:
    """The (opinion, findings) written with a task decision."""
    if decision is Decision.RETURN:
        return rng.choice(_RETURN), None
    if kind is TaskKind.VERIFY:
        if decision is Decision.REJECT:
            return "核查不通过", _VERIFY_REJECT.get(department, "核查发现不符合条件的情形")
        opinion, findings = _VERIFY_APPROVE.get(department, ("核查无异常", "核查无异常"))
        return opinion, findings
    if kind is TaskKind.REVIEW:
        pool = _REVIEW_APPROVE if decision is Decision.APPROVE else _REVIEW_REJECT
    else:
        pool = _CERTIFY_APPROVE if decision is Decision.APPROVE else _CERTIFY_REJECT
    return rng.choice(pool), None
