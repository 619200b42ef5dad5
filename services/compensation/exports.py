"""Statement exports, all from the same stored document.

- JSON: the statement and its document (at reporting precision, or exact on request);
- CSV: machine-readable ``field,value`` rows, one per figure of the document (dotted paths);
- XLSX: the 结算单 in sheets with numeric cells and number formats, so Excel can sum them;
- PDF: the page's layout (:mod:`services.compensation.sheet`), result on page 1, technical appendix.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.compensation.agreements import Tier
from services.compensation.canonical import canonical_json
from services.compensation.document import StatementDocument
from services.compensation.sheet import TIER_ZH, Sheet, class_zh, indicator_zh, unit_of
from services.compensation.views import StatementView
from services.standards.local_time import local

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
PDF_FONT_NAME = "EnvmonCJK"
MARKUP = re.compile(r"<[^>]+>")
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"


class MissingGlyph(ValueError):
    """Text the PDF font cannot draw: a bug in the sheet's wording, never silently printed as boxes."""


def statement_fields(view: StatementView) -> dict[str, Any]:
    row = view.row
    return {
        "id": row["id"],
        "agreement_id": row["agreement_id"],
        "period": row["period"],
        "revision": row["revision"],
        "superseded_by_revision": view.superseded_by,
        "status": row["status"],
        "agreement_version": row["agreement_version"],
        "reason": row["reason"],
        "approver": row["approver"],
        "created_by": row["created_by"],
        "created_at": local(row["created_at"]).isoformat(),
        "events": [
            {"status": e["status"], "actor": e["actor"], "at": local(e["at"]).isoformat(), "note": e["note"]}
            for e in view.events
        ],
    }


def to_json(view: StatementView, document: StatementDocument) -> bytes:
    return canonical_json({"statement": statement_fields(view), "document": document.model_dump(mode="json")})


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), value[key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(f"{prefix}[{index}]", item)
    else:
        yield prefix, "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def to_csv(view: StatementView, document: StatementDocument) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["field", "value"])
    writer.writerows(_flatten("statement", statement_fields(view)))
    writer.writerows(_flatten("document", document.model_dump(mode="json")))
    return buffer.getvalue().encode()


def _plain(markup: str) -> str:
    return MARKUP.sub("", markup).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_xlsx(view: StatementView, document: StatementDocument, sheet: Sheet) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = "结算单"
    result = document.result
    rows: list[tuple[str, Any, str | None]] = [
        (sheet.title, None, None),
        ("协议", sheet.agreement, None),
        ("协议编号", sheet.agreement_id, None),
        ("规则", sheet.rule, None),
        ("考核期", sheet.period, None),
        ("双方", sheet.parties, None),
        ("数据互认", sheet.joint_confirmation, None),
        ("付款方", sheet.payer or "—", None),
        ("收款方", sheet.receiver or "—", None),
        ("金额（元）", result.amount_yuan if result else None, MONEY_FORMAT),
        ("金额（万元）", result.amount_wan_yuan if result else None, "#,##0.000000"),
        ("大写", sheet.amount_capital or "—", None),
        ("状态", sheet.status, None),
        ("版次", view.row["revision"], "0"),
        ("已被取代", sheet.superseded_note or "否", None),
        ("结算年度", document.period.fiscal_year, "0"),
    ]
    rows += [(s.step, f"{s.actor}，{s.at} {s.note}".strip(), None) for s in sheet.signatures]
    for label, value, number_format in rows:
        summary.append([label, value])
        if number_format:
            summary.cell(summary.max_row, 2).number_format = number_format
    summary["A1"].font = Font(bold=True, size=14)
    summary.column_dimensions["A"].width = 16
    summary.column_dimensions["B"].width = 90

    working = workbook.create_sheet("计算")
    working.append(["序号", "名称", "金额（元，正数为下游付上游）", "公式", "主要输入"])
    for entry, component in zip(sheet.components, document.components, strict=True):
        working.append([entry.number, entry.name, component.amount, _plain(entry.formula), _plain(entry.inputs)])
        working.cell(working.max_row, 3).number_format = MONEY_FORMAT
    for label, text in sheet.adjustments:
        working.append([None, label, None, None, text])
    for column, width in zip("ABCDE", (6, 26, 22, 60, 90), strict=True):
        working.column_dimensions[column].width = width

    quality = workbook.create_sheet("数据质量")
    quality.append(
        [
            "断面",
            "指标",
            "有效样本",
            "应测样本（自动）",
            "自动监测完整率",
            "来源",
            "缺口",
            "均值",
            "单位",
            "目标",
            "类别",
        ]
    )
    names = {s.code: s.name for s in document.sections}
    for row, line in zip(document.indicators, sheet.quality, strict=True):
        automatic = sum(c.valid_by_source.get(Tier.AUTOMATIC, 0) for c in row.calculation.values())
        completeness = Decimal(automatic) / Decimal(row.expected) if row.expected else None
        quality.append(
            [
                names.get(row.section, row.section),
                indicator_zh(row.indicator),
                row.valid,
                row.expected,
                completeness,
                "、".join(TIER_ZH[t] for t in row.sources),
                line.gaps,
                row.mean,
                unit_of(row.indicator),
                row.target,
                class_zh(row.water_class),
            ]
        )
        quality.cell(quality.max_row, 5).number_format = PERCENT_FORMAT

    monthly = workbook.create_sheet("月度数据")
    monthly.append(
        [
            "断面",
            "指标",
            "计算期",
            "自动监测有效",
            "联合监测有效",
            "手工监测有效",
            "应测（自动）",
            "无效",
            "采用",
            "均值",
        ]
    )
    for row in document.indicators:
        for label, cell in row.calculation.items():
            monthly.append(
                [
                    names.get(row.section, row.section),
                    indicator_zh(row.indicator),
                    label,
                    *(cell.valid_by_source.get(t, 0) for t in (Tier.AUTOMATIC, Tier.JOINT_MANUAL, Tier.MANUAL)),
                    cell.expected,
                    cell.invalid,
                    TIER_ZH[cell.source] if cell.source else cell.status,
                    cell.mean,
                ]
            )
    for worksheet in (quality, monthly):
        for cells in worksheet.iter_rows(min_row=1, max_row=1):
            for cell in cells:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _register_font(path: Path) -> set[int]:
    if PDF_FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        if not path.exists():
            raise FileNotFoundError(f"CJK font {path} not found; set ENVMON_COMPENSATION_PDF_FONT to a TrueType font")
        pdfmetrics.registerFont(TTFont(PDF_FONT_NAME, str(path), subfontIndex=0))
    font = pdfmetrics.getFont(PDF_FONT_NAME)
    return set(font.face.charToGlyph)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Pdf:
    def __init__(self, glyphs: set[int]) -> None:
        self.glyphs = glyphs
        self.body = ParagraphStyle("body", fontName=PDF_FONT_NAME, fontSize=8.5, leading=12, wordWrap="CJK")
        self.small = ParagraphStyle("small", parent=self.body, fontSize=7, leading=9)
        self.title = ParagraphStyle("title", parent=self.body, fontSize=15, leading=22, alignment=1)
        self.heading = ParagraphStyle("heading", parent=self.body, fontSize=10.5, leading=16, spaceBefore=6)
        self.big = ParagraphStyle("big", parent=self.body, fontSize=13, leading=18)

    def checked(self, markup: str) -> str:
        missing = sorted({ch for ch in _plain(markup) if ord(ch) not in self.glyphs and not ch.isspace()})
        if missing:
            raise MissingGlyph(f"the PDF font has no glyph for {', '.join(f'U+{ord(c):04X} {c!r}' for c in missing)}")
        return markup

    def text(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(self.checked(_escape(text)), style or self.body)

    def markup(self, markup: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(self.checked(markup), style or self.body)

    def table(self, rows: list[list[Paragraph]], widths: tuple[float, ...], header: bool = False) -> Table:
        table = Table(rows, colWidths=widths, repeatRows=1 if header else 0)
        style = [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")))
        table.setStyle(TableStyle(style))
        return table

    def pairs(self, pairs: list[tuple[str, str]], widths: tuple[float, float] = (32 * mm, 148 * mm)) -> Table:
        return self.table([[self.text(k), self.text(v)] for k, v in pairs], widths)


def to_pdf(view: StatementView, sheet: Sheet, font: Path) -> bytes:
    pdf = _Pdf(_register_font(font))
    story: list[Any] = [pdf.text(sheet.title, pdf.title), pdf.text(sheet.agreement, pdf.heading)]
    if sheet.superseded_note:
        story.append(pdf.text(f"【{sheet.superseded_note}】", pdf.big))
    if sheet.settled:
        result = [
            [pdf.text("付款方 → 收款方"), pdf.text(sheet.direction, pdf.big)],
            [pdf.text("金额"), pdf.text(f"{sheet.amount}（{sheet.amount_wan}）", pdf.big)],
            [pdf.text("大写"), pdf.text(sheet.amount_capital or "", pdf.big)],
        ]
    else:
        result = [[pdf.text("结果"), pdf.text(sheet.blocked_reason or sheet.direction, pdf.body)]]
    result.append([pdf.text("状态"), pdf.text(f"{sheet.status}，{sheet.revision}", pdf.big)])
    box = pdf.table(result, (32 * mm, 148 * mm))
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor("#0b5394"))]))
    story += [Spacer(0, 3 * mm), box, Spacer(0, 3 * mm)]
    story.append(
        pdf.pairs(
            [
                ("协议编号", f"{sheet.agreement_id}，{sheet.rule}"),
                ("考核期", sheet.period),
                ("双方", sheet.parties),
                ("数据互认", sheet.joint_confirmation),
                *sheet.sections,
                *([("重新计算", sheet.recalculation)] if sheet.recalculation else []),
                *([("注意", sheet.illustrative_note)] if sheet.illustrative_note else []),
            ]
        )
    )
    story.append(pdf.text("签批记录", pdf.heading))
    signatures = [[pdf.text(h) for h in ("环节", "签批人", "时间", "意见")]]
    signatures += [[pdf.text(s.step), pdf.text(s.actor), pdf.text(s.at), pdf.text(s.note)] for s in sheet.signatures]
    story.append(pdf.table(signatures, (36 * mm, 36 * mm, 48 * mm, 60 * mm), header=True))
    if sheet.components:
        story.append(pdf.text("计算过程", pdf.heading))
        rows = [[pdf.text(h) for h in ("名称", "公式", "主要输入（报告精度）", "金额")]]
        rows += [
            [pdf.text(c.name), pdf.markup(c.formula, pdf.small), pdf.markup(c.inputs, pdf.small), pdf.text(c.amount)]
            for c in sheet.components
        ]
        story.append(pdf.table(rows, (26 * mm, 48 * mm, 72 * mm, 34 * mm), header=True))
        if sheet.adjustments:
            story.append(pdf.pairs(sheet.adjustments))
    story.append(pdf.text("数据质量", pdf.heading))
    story.append(pdf.text(f"统计方法：{sheet.statistics_note}", pdf.small))
    quality = [[pdf.text(h) for h in ("断面", "指标", "有效/应测", "自动完整率", "来源", "均值", "类别", "缺口")]]
    quality += [
        [
            pdf.text(q.section, pdf.small),
            pdf.text(q.indicator),
            pdf.text(f"{q.valid} / {q.expected}"),
            pdf.text(q.completeness),
            pdf.text(q.sources),
            pdf.text(q.mean),
            pdf.text(q.water_class),
            pdf.text(q.gaps, pdf.small),
        ]
        for q in sheet.quality
    ]
    story.append(pdf.table(quality, (30 * mm, 20 * mm, 20 * mm, 17 * mm, 22 * mm, 22 * mm, 14 * mm, 35 * mm), True))
    story += [KeepTogether([pdf.text("付款", pdf.heading), pdf.pairs(sheet.payment)])]
    story += [PageBreak(), pdf.text("附录：技术信息（可复核）", pdf.heading), pdf.pairs(sheet.technical)]
    story.append(pdf.text("月度原始输入", pdf.heading))
    monthly = [[pdf.text(h, pdf.small) for h in ("断面", "指标", "计算期", "有效样本", "应测", "无效", "采用", "均值")]]
    monthly += [[pdf.text(cell, pdf.small) for cell in line] for line in sheet.monthly]
    story.append(pdf.table(monthly, (30 * mm, 18 * mm, 18 * mm, 40 * mm, 12 * mm, 12 * mm, 20 * mm, 30 * mm), True))

    footer = pdf.checked(f"{sheet.agreement_id} {view.row['period']} {sheet.revision} · 第 %d 页")

    def number_pages(canvas: Canvas, document: Any) -> None:
        canvas.setFont(PDF_FONT_NAME, 7)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, footer % document.page)

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, title=view.filename, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm
    ).build(story, onFirstPage=number_pages, onLaterPages=number_pages)
    return buffer.getvalue()


def render(view: StatementView, fmt: str, document: StatementDocument, sheet: Sheet, font: Path) -> bytes:
    if fmt == "json":
        return to_json(view, document)
    if fmt == "csv":
        return to_csv(view, document)
    if fmt == "xlsx":
        return to_xlsx(view, document, sheet)
    return to_pdf(view, sheet, font)
