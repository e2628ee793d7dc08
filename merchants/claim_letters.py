"""Claim letters (认领函) as a PDF: four letters per A4 page, cut along the dashed lines (issue #20 item 1).

The letters are drawn from the plain codes just issued (``services.markets.market_claim_letters_issue``) and
never stored: the PDF is the response to the issuing request, sent with ``Cache-Control: no-store``.
Chinese text uses ReportLab's built-in ``STSong-Light`` CID font (no font file, as ``analysis/documents.py``);
the code itself is set in Courier-Bold, large, in an alphabet without 0/O and 1/I/L.
"""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

CJK_FONT = "STSong-Light"
CODE_FONT = "Courier-Bold"
LETTERS_PER_PAGE = 4
NO_LINE_START = "，。；：、）》」！？"


def _wrap(text: str, width: float, font: str, size: float) -> list[str]:
    """Break CJK text into lines of at most ``width`` points (character by character)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line = [], ""
    for ch in text:
        # Punctuation never starts a line (it may overhang the margin a little instead).
        if stringWidth(line + ch, font, size) > width and ch not in NO_LINE_START:
            lines.append(line)
            line = ""
        line += ch
    if line:
        lines.append(line)
    return lines


def claim_letters_pdf(*, letters, market_name: str, claim_url: str) -> bytes:
    """The letters, ``LETTERS_PER_PAGE`` to an A4 page (2 × 2), each a self-contained notice to one stall."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buffer = io.BytesIO()
    page_w, page_h = A4
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(_("市场主体认领函"))
    pdf.setAuthor(market_name)
    cell_w, cell_h = page_w / 2, page_h / 2
    margin = 10 * mm
    text_w = cell_w - 2 * margin
    for index, letter in enumerate(letters):
        slot = index % LETTERS_PER_PAGE
        if index and slot == 0:
            pdf.showPage()
        if slot == 0:
            pdf.setDash(3, 3)
            pdf.setLineWidth(0.3)
            pdf.line(cell_w, 0, cell_w, page_h)
            pdf.line(0, cell_h, page_w, cell_h)
            pdf.setDash()
        x0 = (slot % 2) * cell_w + margin
        top = page_h - (slot // 2) * cell_h - margin
        y = top - 6 * mm
        pdf.setFont(CJK_FONT, 15)
        pdf.drawCentredString(x0 + text_w / 2, y, _("市场主体认领函"))
        y -= 11 * mm
        pdf.setFont(CJK_FONT, 10)
        expires = date_format(timezone.localtime(letter.expires_at), "Y-m-d H:i")
        fields = [
            (_("经营者"), letter.stall_name),
            (_("统一社会信用代码／注册号"), letter.registration_number),
            (_("所在市场"), market_name),
        ]
        for label, value in fields:
            for line in _wrap(f"{label}：{value}", text_w, CJK_FONT, 10):
                pdf.drawString(x0, y, line)
                y -= 5.5 * mm
        y -= 4 * mm
        pdf.drawString(x0, y, _("认领码："))
        y -= 11 * mm
        pdf.setFont(CODE_FONT, 24)
        pdf.drawCentredString(x0 + text_w / 2, y, letter.code)
        y -= 9 * mm
        pdf.setFont(CJK_FONT, 9)
        body = _(
            "请经营者本人登录 %(url)s ，输入上面的统一社会信用代码（或注册号）和认领码，认领本店铺，"
            "即可查看信用星级、答复投诉、签署信用承诺。认领码仅能使用一次，有效期至 %(expires)s；"
            "请妥善保管，勿交给他人。重新打印认领函会生成新的认领码，本函随即失效。"
        ) % {"url": claim_url, "expires": expires}
        for line in _wrap(body, text_w, CJK_FONT, 9):
            pdf.drawString(x0, y, line)
            y -= 4.8 * mm
    if not letters:
        pdf.setFont(CJK_FONT, 12)
        pdf.drawString(margin, page_h - 2 * margin, _("没有认领函。"))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
