"""Statement exports (JSON, CSV, XLSX, PDF), all rendered from the same :func:`lines` of the stored document."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from services.compensation.canonical import canonical_json

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PDF_FONT_NAME = "EnvmonCJK"
Line = tuple[str, str, str]


@dataclass(frozen=True)
class StatementView:
    """A stored statement: its row (status, revision, hashes, who) and its sign-off events."""

    row: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.row["document"]))

    @property
    def filename(self) -> str:
        return f"statement-{self.row['agreement_id']}-{self.row['period']}-r{self.row['revision']}"


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def metadata(view: StatementView) -> dict[str, Any]:
    keys = (
        "id",
        "agreement_id",
        "period",
        "revision",
        "agreement_version",
        "status",
        "input_sha256",
        "rule_sha256",
        "amount",
        "reason",
        "approver",
        "created_by",
        "created_at",
    )
    return {key: view.row[key] for key in keys} | {"events": view.events}


def lines(view: StatementView) -> list[Line]:
    doc, row = view.document, view.row
    agreement, period, parties = doc["agreement"], doc["period"], doc["agreement"]["parties"]
    out: list[Line] = [
        ("表头", "协议", f"{agreement['name']}（{agreement['id']}，第{agreement['round']}轮）"),
        ("表头", "规则版本", f"v{agreement['version']} sha256 {agreement['rule_sha256']}"),
        ("表头", "上游 / 下游", f"{parties['upstream']['name']}（上游） / {parties['downstream']['name']}（下游）"),
        ("表头", "协议期限", f"{agreement['term']['start']} – {agreement['term']['end']}"),
        (
            "表头",
            "考核期",
            f"{period['label']}（{period['first_day']} – {period['last_day']}），"
            f"按{period['calculation_granularity']}计算",
        ),
        ("表头", "结算年度", str(period["fiscal_year"])),
        ("表头", "结算单", f"#{row['id']} 第{row['revision']}版，状态 {row['status']}"),
        ("表头", "输入数据 SHA-256", doc["inputs"]["sha256"]),
    ]
    if agreement["illustrative"]:
        out.append(("表头", "注意", f"示意参数，非正式协议文本：{agreement['illustrative_note'] or ''}"))
    if row["reason"]:
        out.append(("表头", "重算原因 / 批准人", f"{row['reason']} / {row['approver']}"))
    for s in doc["sections"]:
        out.append(
            (
                "断面",
                f"{s['name']}（{s['code']}）",
                f"{s['role']} 权重 {s['weight']}，{s['control_level']}，{s['county'] or ''}，"
                f"{s['latitude'] or '—'}, {s['longitude'] or '—'}",
            )
        )
    for i in doc["indicators"]:
        out.append(
            (
                "指标",
                f"{i['section']} {i['indicator']}",
                f"来源 {','.join(i['sources']) or '—'}；有效 {i['valid']} / 应测 {i['expected']}"
                f"（无效 {i['invalid']}）；"
                f"均值 {_text(i['mean'])}；基准 {_text(i.get('baseline'))}；目标 {_text(i.get('target'))}；"
                f"比值 {_text(i.get('ratio'))}；类别 {_text(i.get('water_class'))}",
            )
        )
    for gap in doc["gaps"]:
        out.append(("数据不足", f"{gap.get('section', '')} {gap['indicator']} {gap['period']}", _text(gap)))
    for c in doc["components"]:
        out.append(("计算", f"{c['type']}（{c['rule_version']}）", c["formula"]))
        out.append(("计算", f"{c['type']} 输入", _text(c["inputs"])))
        out.append(("计算", f"{c['type']} 中间值", _text(c["intermediates"])))
        out.append(("计算", f"{c['type']} 金额（元）", c["amount"]))
    if doc["adjustments"]:
        for key, value in doc["adjustments"].items():
            out.append(("调整", key, _text(value)))
    result = doc["result"]
    if result is None:
        out.append(("结果", "状态", "数据不足（insufficient data），暂停结算"))
    else:
        payer = result["payer"]["name"] if result["payer"] else "—"
        receiver = result["receiver"]["name"] if result["receiver"] else "—"
        out += [
            ("结果", "付款方 → 收款方", f"{payer} → {receiver}"),
            ("结果", "金额（元）", result["amount_yuan"]),
            ("结果", "金额（万元）", result["amount_wan_yuan"]),
            ("结果", "大写", result["amount_capital"]),
            ("结果", "协议期累计（元，正数为下游付上游）", doc["term"]["total_after"]),
        ]
    payment = doc["payment"]
    out += [
        ("付款", "渠道", payment["channel"]),
        ("付款", "期限", f"通知后 {payment['deadline_days']} 日内"),
        ("付款", "预算科目", payment["budget_line"]),
        ("付款", "资金用途", payment["permitted_use"]),
    ]
    out += [("签批", e["status"], f"{e['actor']} {_text(e['at'])} {e['note'] or ''}") for e in view.events]
    return out


def to_json(view: StatementView) -> bytes:
    return canonical_json({"statement": metadata(view), "document": view.document, "lines": lines(view)})


def to_csv(view: StatementView) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["部分", "项目", "内容"])
    writer.writerows(lines(view))
    return ("\ufeff" + buffer.getvalue()).encode()  # the BOM makes Excel read UTF-8


def to_xlsx(view: StatementView) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "结算单"
    sheet.append(["部分", "项目", "内容"])
    for line in lines(view):
        sheet.append(list(line))
    for column, width in zip("ABC", (10, 36, 120), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _register_font(path: Path) -> None:
    if PDF_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        if not path.exists():
            raise FileNotFoundError(f"CJK font {path} not found; set ENVMON_COMPENSATION_PDF_FONT to a TrueType font")
        pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, str(path), subfontIndex=0))


def to_pdf(view: StatementView, font: Path) -> bytes:
    _register_font(font)
    style = ParagraphStyle("cjk", fontName=PDF_FONT_NAME, fontSize=8, leading=11, wordWrap="CJK")
    title = ParagraphStyle("title", parent=style, fontSize=14, leading=20)
    doc = view.document

    def cell(value: str) -> Paragraph:
        return Paragraph(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    table = Table([[cell(a), cell(b), cell(c)] for a, b, c in lines(view)], colWidths=(18 * mm, 45 * mm, 115 * mm))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(buffer, pagesize=A4, title=view.filename, leftMargin=15 * mm, rightMargin=15 * mm)
    pdf.build(
        [Paragraph(f"跨界断面生态补偿结算单 — {doc['agreement']['river']} {doc['period']['label']}", title), table]
    )
    return buffer.getvalue()


def render(view: StatementView, fmt: str, font: Path) -> bytes:
    if fmt == "json":
        return to_json(view)
    if fmt == "csv":
        return to_csv(view)
    if fmt == "xlsx":
        return to_xlsx(view)
    if fmt == "pdf":
        return to_pdf(view, font)
    raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
