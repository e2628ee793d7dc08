"""The printable star plaque: an A5 SVG with the merchant's name, stars, year and a QR code.

The QR code points at ``/verify/<token>/?s=<stars>&y=<year>``: the token is random
(not derived from the id), and the verification page compares the printed stars
with the live rating so a photocopied or outdated plaque says so plainly.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

import qrcode
import qrcode.image.svg
from django.utils.translation import gettext as _

# A5 portrait in millimetres.
WIDTH, HEIGHT = 148, 210
QR_SIZE = 58


def _qr_svg(data: str) -> str:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    # Place the generated <svg> (its own viewBox keeps the modules square) inside the plaque.
    return re.sub(
        r"<svg\b([^>]*?)\swidth=\"[^\"]*\"\s+height=\"[^\"]*\"",
        lambda m: (
            f'<svg{m.group(1)} x="{(WIDTH - QR_SIZE) / 2}" y="112" width="{QR_SIZE}" height="{QR_SIZE}"'
        ),
        svg,
        count=1,
    )


def plaque_svg(*, merchant, stars: int | None, year: int, verify_url: str) -> str:
    glyphs = "★" * (stars or 0) + "☆" * (5 - (stars or 0))
    stars_text = _("%(n)d 星") % {"n": stars} if stars is not None else _("暂未评级")
    name = escape(merchant.name)
    name_size = 9 if len(merchant.name) <= 12 else 7 if len(merchant.name) <= 16 else 5.5
    reg = escape(merchant.registration_number)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}mm" height="{HEIGHT}mm" viewBox="0 0 {WIDTH} {HEIGHT}"
     role="img" aria-label="{escape(_("信用星级牌匾"))}: {name} {escape(stars_text)}" data-verify-url="{escape(verify_url)}">
  <style>
    text {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; }}
  </style>
  <rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fffdf6"/>
  <rect x="5" y="5" width="{WIDTH - 10}" height="{HEIGHT - 10}" fill="none" stroke="#b3121d" stroke-width="1.6" rx="3"/>
  <rect x="8" y="8" width="{WIDTH - 16}" height="{HEIGHT - 16}" fill="none" stroke="#c8961e" stroke-width="0.5" rx="2"/>
  <rect x="8" y="8" width="{WIDTH - 16}" height="26" fill="#b3121d"/>
  <text x="{WIDTH / 2}" y="25" font-size="10" fill="#fff" text-anchor="middle" font-weight="bold" letter-spacing="1.5">{escape(_("文明诚信经营 · 信用星级"))}</text>
  <text x="{WIDTH / 2}" y="52" font-size="{name_size}" fill="#1f2329" text-anchor="middle" font-weight="bold">{name}</text>
  <text x="{WIDTH / 2}" y="61" font-size="4" fill="#4a515c" text-anchor="middle">{escape(_("统一社会信用代码"))} {reg}</text>
  <text x="{WIDTH / 2}" y="85" font-size="17" fill="#c8961e" text-anchor="middle" letter-spacing="2">{glyphs}</text>
  <text x="{WIDTH / 2}" y="98" font-size="7" fill="#8c0e17" text-anchor="middle" font-weight="bold">{escape(stars_text)} · {year} {escape(_("年度"))}</text>
  {_qr_svg(verify_url)}
  <text x="{WIDTH / 2}" y="178" font-size="4.2" fill="#1f2329" text-anchor="middle">{escape(_("扫码核验实时星级；与实时结果不符的牌匾无效"))}</text>
  <text x="{WIDTH / 2}" y="186" font-size="2.6" fill="#5f6670" text-anchor="middle">{escape(verify_url)}</text>
  <text x="{WIDTH / 2}" y="197" font-size="3.6" fill="#5f6670" text-anchor="middle">{escape(_("市场监督管理局 · 文明办 监制"))}</text>
</svg>
"""
