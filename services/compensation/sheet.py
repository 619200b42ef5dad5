"""The 结算单 as finance staff read it: one layout that the page and the PDF both render.

Built from a stored statement (row, sign-off events) and its document at reporting precision.
Page 1 carries what a clerk acts on (who pays whom, how much, in figures and 大写, status, who
signed when); then the components with their formulas, the data quality per section and
indicator, payment terms, and a technical appendix (hashes, rule version, monthly raw inputs).
Formulas are small markup (``<sub>``, ``<sup>``) that both HTML and reportlab paragraphs render,
so no character needs a glyph the PDF font lacks (e.g. U+2212 minus or superscript six).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.compensation.agreements import Tier
from services.compensation.document import (
    AttainmentRateWorking,
    ChangeIndexWorking,
    ClassStepWorking,
    ComponentWorking,
    FluxWorking,
    IndexThresholdWorking,
    IndicatorRow,
    StatementDocument,
)
from services.compensation.periods import Month
from services.standards.local_time import local
from services.standards.parameters import PARAMETERS
from services.standards.reporting import DEFAULT_TABLE

TITLE = "跨界断面横向生态保护补偿结算单"
STATUS_ZH = {
    "draft": "草稿（待生态环境局确认）",
    "insufficient data": "数据不足，暂停结算",
    "confirmed": "已确认（生态环境局），待财政局审批",
    "approved": "已审批（财政局），待通知",
    "notified": "已通知付款方，待支付",
    "paid": "已支付",
}
STATUS_SHORT = {
    "draft": "草稿",
    "insufficient data": "数据不足",
    "confirmed": "已确认",
    "approved": "已审批",
    "notified": "已通知",
    "paid": "已支付",
}
EVENT_ZH = {
    "draft": "计算（草稿）",
    "insufficient data": "计算（数据不足）",
    "confirmed": "生态环境局确认",
    "approved": "财政局审批金额",
    "notified": "通知付款",
    "paid": "登记支付",
}
ACTION_ZH = {"confirmed": "确认考核结果", "approved": "审批金额", "notified": "已通知付款方", "paid": "登记已支付"}
TIER_ZH = {Tier.AUTOMATIC: "自动监测", Tier.JOINT_MANUAL: "联合监测", Tier.MANUAL: "手工监测"}
ROLE_ZH = {"assessment": "考核断面", "inbound": "入境断面（扣除上游来水）"}
LEVEL_ZH = {"national": "国控", "provincial": "省控", "municipal": "市控"}
KIND_ZH = {"year": "年度", "quarter": "季度", "month": "月度", "custom": "自定义考核期"}
GRANULARITY_ZH = {"month": "按月计算", "quarter": "按季计算", "period": "按考核期计算"}
COMPONENT_ZH = {
    "index_threshold": "水质综合指数（P值）补偿",
    "class_step": "水质类别补偿",
    "change_index": "污染指数同比变化补偿",
    "flux": "污染物通量补偿",
    "attainment_rate": "月度达标率补偿",
}
CLASS_ZH = {1: "Ⅰ类", 2: "Ⅱ类", 3: "Ⅲ类", 4: "Ⅳ类", 5: "Ⅴ类", 6: "劣Ⅴ类"}
FLOW_NAME = "流量"


def class_zh(water_class: int | None) -> str:
    return CLASS_ZH.get(water_class, "—") if water_class is not None else "—"


def indicator_zh(code: str) -> str:
    if code == "flow":
        return FLOW_NAME
    parameter = PARAMETERS.get(code)
    return parameter.name_zh if parameter else code


def unit_of(code: str) -> str:
    parameter = PARAMETERS.get(code)
    return parameter.unit if parameter and parameter.unit != "1" else ""


def grouped(value: Decimal) -> str:
    """Thousands separators, the decimals as published: 5000000.00 → 5,000,000.00."""
    return f"{value:,f}"


def yuan(value: Decimal) -> str:
    return f"¥{grouped(value)}"


def signed_yuan(value: Decimal) -> str:
    """A component amount with its direction in words (the sign convention is not a clerk's business)."""
    if value > 0:
        return f"{yuan(value)}（下游付上游）"
    if value < 0:
        return f"{yuan(-value)}（上游付下游）"
    return "¥0.00"


def beijing(moment: datetime) -> str:
    return local(moment).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def concentration(code: str, value: Decimal | None) -> str:
    if value is None:
        return "—"
    unit = unit_of(code)
    return f"{value:f} {unit}".strip()


@dataclass(frozen=True)
class Signature:
    step: str
    actor: str
    at: str
    note: str


@dataclass(frozen=True)
class ComponentLine:
    number: int
    name: str
    formula: str  # markup: <sub>, <sup>
    inputs: str  # markup
    amount: str


@dataclass(frozen=True)
class QualityLine:
    section: str
    indicator: str
    valid: int
    expected: int
    completeness: str
    sources: str
    gaps: str
    mean: str
    target: str
    water_class: str


@dataclass(frozen=True)
class Sheet:
    statement_id: int
    title: str
    agreement: str
    agreement_id: str
    rule: str
    river: str
    period: str
    parties: str
    revision: str
    superseded_note: str | None
    status: str
    status_code: str
    settled: bool
    payer: str | None
    receiver: str | None
    direction: str
    amount: str | None
    amount_wan: str | None
    amount_capital: str | None
    illustrative_note: str | None
    recalculation: str | None
    signatures: list[Signature]
    blocked_reason: str | None
    components: list[ComponentLine]
    adjustments: list[tuple[str, str]]
    quality: list[QualityLine]
    statistics_note: str
    payment: list[tuple[str, str]]
    sections: list[tuple[str, str]]
    joint_confirmation: str  # 数据互认 of the period's months, as the statement read them
    technical: list[tuple[str, str]]
    monthly: list[list[str]] = field(default_factory=list)


def _term_text(document: StatementDocument) -> str:
    period = document.period
    return (
        f"{period.label}（{period.first_day:%Y年%m月%d日}至{period.last_day:%Y年%m月%d日}，"
        f"{KIND_ZH.get(period.kind, period.kind)}，{GRANULARITY_ZH.get(period.calculation_granularity, '')}）"
    )


def _index_inputs(working: IndexThresholdWorking) -> str:
    terms = "；".join(
        f"{indicator_zh(code)} C = {t.mean:f}，C<sub>0</sub> = {t.baseline:f}，C/C<sub>0</sub> = {t.ratio:f}，"
        f"K = {t.weight:f}"
        for code, t in working.terms.items()
    )
    band = f"P ≤ {working.band_upper:f}" if working.band_upper is not None else "超出各档上限"
    return f"K<sub>0</sub> = {working.k0:f}；{terms}。<b>P = {working.p_value:f}</b>，适用档位：{band}"


def _class_inputs(working: ClassStepWorking) -> str:
    means = "，".join(f"{indicator_zh(c)} {v:f}" for c, v in working.means.items())
    cap = f"，封顶 {yuan(working.cap)}" if working.cap is not None else ""
    if working.steps:
        better = "优于" if working.steps > 0 else "劣于"
        difference = f"{better}基准 {abs(working.steps)} 类 × 每类 {yuan(working.per_class)}{cap}"
    else:
        difference = "与基准相同，不补偿"
    return (
        f"年均值：{means}（mg/L）。实测 <b>{class_zh(working.water_class)}</b>，"
        f"基准 {class_zh(working.baseline_class)}，{difference}"
    )


def _change_inputs(working: ChangeIndexWorking) -> str:
    basis = "相对变化（%）" if working.basis == "relative_pct" else "绝对变化（百分点）"
    capped = "，已封顶" if working.capped else ""
    return (
        f"本年指数 {working.index:f}，上年指数 {working.index_year_before:f}；{basis} {working.change_points:f}，"
        f"计 <b>{working.whole_points}</b> 点 × 每点 {yuan(working.per_point)}，封顶 {yuan(working.cap)}{capped}"
    )


def _flux_inputs(working: FluxWorking) -> str:
    tonnes: dict[str, Decimal] = {}
    volume = Decimal(0)
    for period in working.periods.values():
        volume += period.volume_m3
        for code, line in period.indicators.items():
            tonnes[code] = tonnes.get(code, Decimal(0)) + line.tonnes
    loads = "，".join(
        f"{indicator_zh(c)} {tonnes[c]:f} 吨 × {grouped(working.prices[c])} 元/吨" for c in working.prices
    )
    return f"水量合计 {grouped(volume)} m<sup>3</sup>（{len(working.periods)} 个计算期）；超标负荷：{loads}"


def _attainment_inputs(working: AttainmentRateWorking) -> str:
    outcome = "达到" if working.met else "未达到"
    prorate = " × 达标率" if working.prorate else ""
    return (
        f"达到 {class_zh(working.target_class)} 的月数 {working.attained} / {working.periods}，达标率 "
        f"<b>{DEFAULT_TABLE.percent_value(working.rate):f}%</b>，{outcome}目标 "
        f"{DEFAULT_TABLE.percent_value(working.target_rate):f}%；约定金额 {yuan(working.agreed_amount)}{prorate}"
    )


FORMULAS = {
    "index_threshold": "P = K<sub>0</sub> × Σ K<sub>i</sub> × C<sub>i</sub> / C<sub>i0</sub>，按 P 值所在档位确定金额",
    "class_step": "金额 = (基准类别 - 实测类别) × 每类金额，封顶",
    "change_index": "指数 = 平均(C<sub>i</sub> / 类别限值)；金额 = 指数下降点数（取整）× 每点金额，封顶",
    "flux": "金额 = Σ (C - 目标值) × V / 10<sup>6</sup> × 单价（元/吨），V 为计算期水量（m<sup>3</sup>）；"
    "超标部分由上游支付",
    "attainment_rate": "达标率 = 达标月数 / 考核月数；达到目标率由下游支付约定金额（× 达标率），否则上游支付约定金额",
}


def _inputs(working: ComponentWorking) -> str:
    if isinstance(working, IndexThresholdWorking):
        return _index_inputs(working)
    if isinstance(working, ClassStepWorking):
        return _class_inputs(working)
    if isinstance(working, ChangeIndexWorking):
        return _change_inputs(working)
    if isinstance(working, FluxWorking):
        return _flux_inputs(working)
    return _attainment_inputs(working)


def _quality(document: StatementDocument, names: dict[str, str]) -> list[QualityLine]:
    lines = []
    for row in document.indicators:
        lines.append(
            QualityLine(
                section=names.get(row.section, row.section),
                indicator=indicator_zh(row.indicator),
                valid=row.valid,
                expected=row.expected,
                completeness=_completeness(row),
                sources="、".join(TIER_ZH[t] for t in row.sources) or "—",
                gaps=_gaps(row),
                mean=concentration(row.indicator, row.mean),
                target="—" if row.target is None else f"{row.target:f}",
                water_class=class_zh(row.water_class),
            )
        )
    return lines


def _completeness(row: IndicatorRow) -> str:
    automatic = sum(c.valid_by_source.get(Tier.AUTOMATIC, 0) for c in row.calculation.values())
    if not row.expected:
        return "—"
    return f"{DEFAULT_TABLE.percent_value(Decimal(automatic) / Decimal(row.expected)):f}%"


def _gaps(row: IndicatorRow) -> str:
    short = [label for label, cell in row.calculation.items() if cell.status == "insufficient"]
    excluded = [label for label, cell in row.calculation.items() if cell.status == "excluded"]
    parts = []
    if short:
        parts.append("数据不足：" + "、".join(short))
    if excluded:
        parts.append("经批准剔除：" + "、".join(excluded))
    return "；".join(parts) or "无"


def _monthly(document: StatementDocument, names: dict[str, str]) -> list[list[str]]:
    rows = []
    for row in document.indicators:
        for label, cell in row.calculation.items():
            counts = "，".join(f"{TIER_ZH[t]} {n}" for t, n in cell.valid_by_source.items()) or "—"
            used = TIER_ZH[cell.source] if cell.source else {"excluded": "剔除", "insufficient": "不足"}[cell.status]
            rows.append(
                [
                    names.get(row.section, row.section),
                    indicator_zh(row.indicator),
                    label,
                    counts,
                    str(cell.expected),
                    str(cell.invalid),
                    used,
                    concentration(row.indicator, cell.mean),
                ]
            )
    return rows


def _adjustments(document: StatementDocument) -> list[tuple[str, str]]:
    adjustments = document.adjustments
    if adjustments is None:
        return []
    lines = []
    for exclusion in adjustments.exclusions:
        lines.append(
            (
                "经批准剔除",
                f"{exclusion.start} 至 {exclusion.end}：{exclusion.reason}（{exclusion.approval_document}）",
            )
        )
    deduction = adjustments.inbound_deduction
    if deduction is not None and deduction.applies_to:
        arriving = deduction.inbound_flux_amount or Decimal(0)
        lines.append(
            (
                "入境来水扣除",
                f"入境断面通量金额 {signed_yuan(arriving)}，扣减 {yuan(deduction.amount)}（仅减少上游应付，不低于零）",
            )
        )
    caps = adjustments.caps
    if caps.per_period is not None:
        lines.append(("单期封顶", f"±{yuan(caps.per_period)}：封顶前 {signed_yuan(caps.before_caps)}"))
    if caps.per_term is not None:
        lines.append(("协议期封顶", f"±{yuan(caps.per_term)}：本期计入 {signed_yuan(caps.after_term_cap)}"))
    return lines


def _joint_confirmation(document: StatementDocument, names: dict[str, str]) -> str:
    joint = document.joint_confirmation
    if joint is None:
        return "未记录（本结算单早于数据互认功能）"
    required = "（协议要求互认后方可确认结算单）" if joint.required else ""
    if joint.confirmed:
        return f"已互认：{len(joint.months)} 个断面月的数据均经协议双方确认{required}"
    parties = {p.code: p.name for p in (document.agreement.parties.upstream, document.agreement.parties.downstream)}
    waiting: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for m in joint.months:
        if not m.confirmed:
            waiting.setdefault((m.section, tuple(m.missing)), []).append(m.month)
    open_months = [
        f"{names.get(section, section)} {month_runs(months)} 待 {'、'.join(parties.get(p, p) for p in missing)} 确认"
        for (section, missing), months in waiting.items()
    ]
    return f"未完成：{'；'.join(open_months)}{required}"


def month_runs(months: list[str]) -> str:
    """'2025-01 至 2025-12、2026-02': consecutive months (YYYY-MM) as one run, so a year waiting reads as one line."""
    runs: list[tuple[Month, Month]] = []
    for month in sorted({Month.from_label(label) for label in months}):
        if runs and runs[-1][1].shifted(1) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return "、".join(first.label if first == last else f"{first.label} 至 {last.label}" for first, last in runs)


def build(
    row: dict[str, Any], events: list[dict[str, Any]], document: StatementDocument, latest_revision: int
) -> Sheet:
    """The layout of one stored statement; ``document`` is already at reporting precision."""
    agreement, result = document.agreement, document.result
    up, down = agreement.parties.upstream, agreement.parties.downstream
    names = {s.code: s.name for s in document.sections}
    status = row["status"]
    superseded = f"已被第 {latest_revision} 版取代，请以最新版为准" if latest_revision > row["revision"] else None
    if result is not None and result.payer is not None and result.receiver is not None:
        role = {up.code: "上游", down.code: "下游"}
        payer: str | None = f"{result.payer.name}（{role[result.payer.code]}）"
        receiver: str | None = f"{result.receiver.name}（{role[result.receiver.code]}）"
        direction = f"{payer} 向 {receiver} 支付"
    else:
        payer = receiver = None
        direction = "本期双方无需支付" if result is not None else "数据不足，暂不结算"
    blocked = None
    if result is None:
        short = sorted(
            {
                f"{names.get(g.section or '', g.section or '')}{indicator_zh(g.indicator)} {g.period}"
                for g in document.gaps
            }
        )
        blocked = "以下数据不足，结算暂停（不插补、不替代）：" + "；".join(short)
    components = [
        ComponentLine(
            number=number,
            name=COMPONENT_ZH[working.type],
            formula=FORMULAS[working.type],
            inputs=_inputs(working),
            amount=signed_yuan(working.amount),
        )
        for number, working in enumerate(document.components, start=1)
    ]
    payment = document.payment
    return Sheet(
        statement_id=row["id"],
        title=TITLE,
        agreement=agreement.name,
        agreement_id=agreement.id,
        rule=f"第 {agreement.round} 轮，规则版本 v{agreement.version}（{agreement.effective_from} 起施行）",
        river=agreement.river,
        period=_term_text(document),
        parties=f"上游 {up.name}，下游 {down.name}",
        revision=f"第 {row['revision']} 版",
        superseded_note=superseded,
        status=STATUS_ZH.get(status, status),
        status_code=status,
        settled=result is not None,
        payer=payer,
        receiver=receiver,
        direction=direction,
        amount=yuan(result.amount_yuan) if result else None,
        amount_wan=f"{result.amount_wan_yuan:f} 万元" if result else None,
        amount_capital=f"人民币{result.amount_capital}" if result else None,
        illustrative_note=(agreement.illustrative_note or "示意参数") if agreement.illustrative else None,
        recalculation=f"重新计算：{row['reason']}（批准人：{row['approver']}）" if row.get("reason") else None,
        signatures=[
            Signature(EVENT_ZH.get(e["status"], e["status"]), e["actor"], beijing(e["at"]), e["note"] or "")
            for e in events
        ],
        blocked_reason=blocked,
        components=components,
        adjustments=_adjustments(document),
        quality=_quality(document, names),
        statistics_note=document.statistics.note,
        payment=[
            ("结算渠道", payment.channel),
            ("付款期限", f"收到付款通知后 {payment.deadline_days} 日内"),
            ("预算科目", payment.budget_line),
            ("资金用途", payment.permitted_use),
            ("结算年度", f"{document.period.fiscal_year} 年"),
        ],
        sections=[
            (
                f"{s.name}（{s.code}）",
                f"{ROLE_ZH[s.role]}，{LEVEL_ZH.get(s.control_level, s.control_level)}，{s.county or ''}"
                + (f"，权重 {s.weight:f}" if s.role == "assessment" and s.weight != 1 else ""),
            )
            for s in document.sections
        ],
        joint_confirmation=_joint_confirmation(document, names),
        technical=[
            ("结算单编号", f"#{row['id']}，{row['agreement_id']} {row['period']} 第 {row['revision']} 版"),
            ("协议规则 SHA-256", agreement.rule_sha256),
            ("输入数据 SHA-256", f"{document.inputs.sha256}（{document.inputs.sha256_format}）"),
            ("文档格式", f"schema {document.schema_version}"),
            ("统计方法", document.statistics.note),
            ("协议期此前累计", signed_yuan(document.inputs.term_total_before)),
            ("计算人", f"{row['created_by']}，{beijing(row['created_at'])}"),
        ],
        monthly=_monthly(document, names),
    )
