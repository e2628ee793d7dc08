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


def _stars_label(level: str) -> str:
    return _("未评级") if level == "unrated" else _("%(n)s 星") % {"n": level}


def risk_text(risk: dict) -> str:
    """One risk line in words (rules: analysis.figures.RISK_RULES, docs/ANALYSIS.md)."""
    from merchants.models import Industry

    rule = risk["rule"]
    if rule == "industry_spike":
        return _("%(industry)s行业本月投诉举报 %(count)d 件，达到前三个月月均（%(average)s 件）的两倍以上。") % {
            "industry": _label(Industry.choices, risk["industry"]),
            "count": risk["count"],
            "average": risk["average"],
        }
    if rule == "complaints_rise":
        return _("投诉举报总量 %(count)d 件，较上月（%(previous)d 件）增长 50%% 以上。") % risk
    if rule == "repeat_merchant":
        return _("经营者“%(name)s”本月被投诉举报 %(count)d 次。") % risk
    if rule == "overdue":
        return _("%(count)d 件投诉举报超期未办结。") % risk
    if rule == "rating_down":
        return _("%(count)d 户经营者诚信星级下降。") % risk
    if rule == "psa_unreported":
        return _("%(count)d 家应刊播公益广告的场所尚未报告刊播情况。") % risk
    return rule


def report_sections(report) -> list[Section]:
    from complaints.models import Category, Status
    from merchants.models import Industry

    f = report.figures or {}
    vol, prev, last = f.get("volume", {}), f.get("previous", {}), f.get("last_year", {})
    change = f.get("change", {})
    stars, moves, credit, psa = f.get("stars", {}), f.get("rating_moves", {}), f.get("credit", {}), f.get("psa")
    sections = [
        Section(
            _("基本情况"),
            [
                (_("辖区"), report.region.full_name),
                (_("月份"), date_format(report.month, "YEAR_MONTH_FORMAT")),
                (_("数据月份"), f"{f.get('period', {}).get('start', '')} — {f.get('period', {}).get('end', '')}"),
                (_("超期事项统计日"), f.get("period", {}).get("as_of", "")),
                (_("状态"), report.get_status_display()),
                (_("报送期限"), date_format(report.deadline)),
                (_("逾期"), _("是") if report.late else _("否")),
            ],
        ),
        Section(
            _("投诉举报趋势"),
            [
                (_("本月登记投诉举报"), str(vol.get("received", 0))),
                (_("其中投诉"), str(vol.get("complaints", 0))),
                (_("其中举报"), str(vol.get("reports", 0))),
                (_("本月办结"), str(vol.get("closed", 0))),
                (_("按期办结率"), _rate(vol.get("on_time_rate"))),
                (_("上月登记"), str(prev.get("received", 0))),
                (_("环比"), _pct(change.get("previous"))),
                (_("去年同月登记"), str(last.get("received", 0))),
                (_("同比"), _pct(change.get("last_year"))),
            ],
        ),
        Section(
            _("主要问题类别"),
            [(_label(Category.choices, r["category"]), str(r["count"])) for r in f.get("by_category", [])],
        ),
        Section(
            _("分行业情况（本月／前三个月月均）"),
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
            _("信用与评级（月末户数／较上月末）"),
            [
                (_stars_label(level), f"{n} / {stars.get('change', {}).get(level, 0):+d}")
                for level, n in stars.get("end", {}).items()
            ]
            + [
                (_("星级上升"), str(moves.get("up", 0))),
                (_("星级下降"), str(moves.get("down", 0))),
                (_("行政处罚"), str(credit.get("penalties", 0))),
                (_("列入黑名单"), str(credit.get("black_added", 0))),
            ],
        ),
        Section(
            _("公益广告刊播（年度任务完成情况）"),
            [
                (_("应刊播场所"), str(psa["required"])),
                (_("已报告"), str(psa["reported"])),
                (_("已核查"), str(psa["verified"])),
                (_("达标"), str(psa["compliant"])),
                (_("达标率"), _rate(psa["rate"])),
            ]
            if psa
            else [("—", _("本年度未下达公益广告刊播任务。"))],
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
