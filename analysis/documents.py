"""The monthly report as text in the reader's language, and its downloads: PDF (ReportLab with the
built-in ``STSong-Light`` CID font — no font file, so it works in the Docker image) and Excel.

``report_sections`` turns the stored figures (codes and numbers) into titled rows of label and value;
the admin page, the PDF and the workbook all show those same rows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from integrity_portal.core.exports import XlsxWriter

CJK_FONT = "STSong-Light"


@dataclass
class Section:
    title: str
    rows: list[tuple[str, str]]
    text: str = ""  # a section of free text (analysis, measures) instead of rows


def _pct(value) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def _rate(value) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _label(choices, code) -> str:
    return str(dict(choices).get(code, code or _("未关联经营者")))


def risk_text(risk: dict) -> str:
    """One risk line in words (rules: analysis.figures.RISK_RULES, docs/ANALYSIS.md)."""
    from merchants.models import Industry

    rule = risk["rule"]
    if rule == "industry_spike":
        return _("%(industry)s行业投诉举报 %(count)d 件，达到前三个月平均（%(average)s 件）的两倍以上。") % {
            "industry": _label(Industry.choices, risk["industry"]),
            "count": risk["count"],
            "average": risk["average"],
        }
    if rule == "complaints_rise":
        return _("投诉举报总量 %(count)d 件，较上期（%(previous)d 件）增长 50%% 以上。") % risk
    if rule == "repeat_merchant":
        return _("经营者“%(name)s”本期被投诉举报 %(count)d 次。") % risk
    if rule == "overdue":
        return _("%(count)d 件投诉举报超期未办结。") % risk
    if rule == "rating_down":
        return _("%(count)d 户经营者诚信星级下降。") % risk
    if rule == "psa_non_compliant":
        return _("%(count)d 份公益广告刊播报告未达标。") % risk
    return rule


def report_sections(report) -> list[Section]:
    from complaints.models import Category, Status
    from merchants.models import Industry

    f = report.figures or {}
    vol, prev, last = f.get("volume", {}), f.get("previous", {}), f.get("last_year", {})
    change = f.get("change", {})
    sections = [
        Section(
            _("基本情况"),
            [
                (_("辖区"), report.region.full_name),
                (_("月份"), date_format(report.month, "YEAR_MONTH_FORMAT")),
                (_("统计周期"), f"{f.get('period', {}).get('start', '')} — {f.get('period', {}).get('end', '')}"),
                (_("状态"), report.get_status_display()),
                (_("报送期限"), date_format(report.deadline)),
                (_("逾期"), _("是") if report.late else _("否")),
            ],
        ),
        Section(
            _("投诉举报趋势"),
            [
                (_("本期受理投诉举报"), str(vol.get("received", 0))),
                (_("其中投诉"), str(vol.get("complaints", 0))),
                (_("其中举报"), str(vol.get("reports", 0))),
                (_("本期办结"), str(vol.get("closed", 0))),
                (_("按期办结率"), _rate(vol.get("on_time_rate"))),
                (_("上期受理"), str(prev.get("received", 0))),
                (_("环比"), _pct(change.get("previous"))),
                (_("去年同期受理"), str(last.get("received", 0))),
                (_("同比"), _pct(change.get("last_year"))),
            ],
        ),
        Section(
            _("主要问题类别"),
            [(_label(Category.choices, r["category"]), str(r["count"])) for r in f.get("by_category", [])],
        ),
        Section(
            _("分行业情况（本期／前三月均值）"),
            [
                (_label(Industry.choices, r["industry"]), f"{r['count']} / {r['average']}")
                for r in f.get("by_industry", [])
            ],
        ),
        Section(_("被投诉较多的经营者"), [(r["name"], str(r["count"])) for r in f.get("top_merchants", [])]),
        Section(
            _("超期未办结事项"),
            [(_("合计"), str(f.get("overdue", {}).get("count", 0)))]
            + [
                (
                    r["tracking_code"],
                    _("%(status)s，期限 %(due)s，超期 %(days)d 日")
                    % {"status": _label(Status.choices, r["status"]), "due": r["due_on"], "days": r["days"]},
                )
                for r in f.get("overdue", {}).get("items", [])
            ],
        ),
        Section(
            _("信用与评级"),
            [(_("%(stars)s星") % {"stars": k}, str(v)) for k, v in f.get("ratings", {}).get("distribution", {}).items()]
            + [
                (_("星级上升"), str(f.get("ratings", {}).get("up", 0))),
                (_("星级下降"), str(f.get("ratings", {}).get("down", 0))),
                (_("行政处罚"), str(f.get("credit", {}).get("penalties", 0))),
                (_("列入黑名单"), str(f.get("credit", {}).get("black_listed", 0))),
            ],
        ),
        Section(
            _("公益广告刊播"),
            [
                (_("报告份数"), str(f.get("psa", {}).get("reports", 0))),
                (_("达标"), str(f.get("psa", {}).get("compliant", 0))),
                (_("未达标"), str(f.get("psa", {}).get("non_compliant", 0))),
                (_("核查属实"), str(f.get("psa", {}).get("verified", 0))),
            ],
        ),
        Section(
            _("风险提示"),
            [(str(i), risk_text(r)) for i, r in enumerate(f.get("risks", []), start=1)] or [("—", _("未发现规则提示的风险。"))],
        ),
        Section(_("研判分析"), [], text=report.analysis or "—"),
        Section(_("对策措施"), [], text=report.measures or "—"),
    ]
    compiled = report.compiled or {}
    if compiled:
        rows = [
            (d["name"], _("%(late)s研判：%(analysis)s；措施：%(measures)s") % {
                "late": _("（逾期）") if d.get("late") else "",
                "analysis": d.get("analysis", ""),
                "measures": d.get("measures", ""),
            })
            for d in compiled.get("districts", [])
        ]
        rows += [(d["name"], _("未提交")) for d in compiled.get("missing", [])]
        sections.append(Section(_("区县报告汇总"), rows))
    for section in sections:
        if not section.text and not section.rows:
            section.rows = [("—", _("无"))]
    return sections


def report_filename(report) -> str:
    return f"{report.region.name}{report.month:%Y-%m}月研判报告"


def report_pdf(report) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title = ParagraphStyle("title", fontName=CJK_FONT, fontSize=16, leading=22, alignment=1, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=CJK_FONT, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10, leading=15, wordWrap="CJK")

    def para(text, style=body):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=str(report), author=report.region.full_name,
    )
    story = [para(str(report), title)]
    for section in report_sections(report):
        story.append(para(section.title, heading))
        if section.text:
            story.append(para(section.text))
            continue
        table = Table([[para(k), para(v)] for k, v in section.rows], colWidths=[60 * mm, 114 * mm])
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.extend([table, Spacer(1, 2 * mm)])
    doc.build(story)
    return buffer.getvalue()


def report_xlsx(report) -> bytes:
    """One sheet per section, each row label and value (cells escaped by core.exports)."""
    sections = report_sections(report)
    first, rest = sections[0], sections[1:]
    header = [_("项目"), _("内容")]
    buffer = io.BytesIO()
    writer = XlsxWriter(
        buffer,
        header,
        title=first.title,
        sheets=[(s.title, header, s.rows or [(s.title, s.text)]) for s in rest],
    )
    for row in first.rows:
        writer.write(row)
    writer.close()
    return buffer.getvalue()
