"""The printable star plaque: an A5 SVG with the merchant's name, stars, year and a QR code.

The QR code points at ``/verify/<token>/?s=<stars>&y=<year>``: the token is random
(not derived from the id), and the verification page compares the printed stars
with the live rating so a photocopied or outdated plaque says so plainly.

The SVG is built as an element tree and serialised by ``xml.etree.ElementTree``, never
by string formatting: a merchant name is typed by a clerk or carried in an import file,
and a name such as ``x" onload="alert(1)`` must stay text. ElementTree escapes ``&``,
``<``, ``>`` and ``"`` wherever a value lands (text or attribute); characters that
XML 1.0 cannot carry at all (NUL and the other C0 controls) are dropped first, so
the document always parses. The view also serves it under its own strict CSP.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import qrcode
import qrcode.image.svg
from django.utils.translation import gettext as _

from .validators import registration_number_label

SVG_NS = "http://www.w3.org/2000/svg"
# A5 portrait in millimetres.
WIDTH, HEIGHT = 148, 210
QR_SIZE = 58
FONT_CSS = 'text { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; }'

# The plaque's own policy (it replaces the site-wide one): an SVG opened as a document may run script, so
# nothing may load or run — only its <style> element and data: images are allowed.
PLAQUE_CSP = {"default-src": ["'none'"], "style-src": ["'unsafe-inline'"], "img-src": ["data:"]}

# Everything outside XML 1.0's Char production: C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: object) -> str:
    """The value as a string that XML 1.0 can carry (characters it forbids are removed)."""
    return _NOT_XML_CHAR.sub("", str(value))


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    """An SVG element (the root carries ``xmlns``, children inherit it); attribute names use ``_`` for ``-`` (``font_size`` → ``font-size``)."""
    values = {name.replace("_", "-"): xml_text(value) for name, value in attrs.items()}
    element = ET.Element(tag, values) if parent is None else ET.SubElement(parent, tag, values)
    if text is not None:
        element.text = xml_text(text)
    return element


def _qr_element(data: str) -> ET.Element:
    """The QR code as an SVG element placed in the plaque (its own viewBox keeps the modules square)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(data)
    qr.make(fit=True)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    # Our own library's output (the URL is escaped by it), not untrusted input.
    element = ET.fromstring(image.to_string(encoding="unicode"))  # noqa: S314
    # Inherit the plaque's default namespace: drop the parsed "{http://www.w3.org/2000/svg}" prefix.
    for node in element.iter():
        node.tag = node.tag.rpartition("}")[2]
    element.attrib.pop("version", None)
    element.set("x", str((WIDTH - QR_SIZE) / 2))
    element.set("y", "112")
    element.set("width", str(QR_SIZE))
    element.set("height", str(QR_SIZE))
    return element


def plaque_svg(*, merchant, stars: int | None, year: int, verify_url: str) -> str:
    glyphs = "★" * (stars or 0) + "☆" * (5 - (stars or 0))
    stars_text = _("%(n)d 星") % {"n": stars} if stars is not None else _("暂未评级")
    name = xml_text(merchant.name)
    name_size = 9 if len(name) <= 12 else 7 if len(name) <= 16 else 5.5
    centre = WIDTH / 2
    svg = _el(
        None,
        "svg",
        xmlns=SVG_NS,
        width=f"{WIDTH}mm",
        height=f"{HEIGHT}mm",
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        role="img",
        aria_label=f"{_('信用星级牌匾')}: {name} {stars_text}",
        data_verify_url=verify_url,
    )
    _el(svg, "style", FONT_CSS)
    _el(svg, "rect", x=0, y=0, width=WIDTH, height=HEIGHT, fill="#fffdf6")
    _el(svg, "rect", x=5, y=5, width=WIDTH - 10, height=HEIGHT - 10, fill="none", stroke="#b3121d",
        stroke_width=1.6, rx=3)
    _el(svg, "rect", x=8, y=8, width=WIDTH - 16, height=HEIGHT - 16, fill="none", stroke="#c8961e",
        stroke_width=0.5, rx=2)
    _el(svg, "rect", x=8, y=8, width=WIDTH - 16, height=26, fill="#b3121d")
    middle = {"x": centre, "text_anchor": "middle"}
    _el(svg, "text", _("文明诚信经营 · 信用星级"), y=25, font_size=10, fill="#fff", font_weight="bold",
        letter_spacing=1.5, **middle)
    _el(svg, "text", name, y=52, font_size=name_size, fill="#1f2329", font_weight="bold", **middle)
    _el(svg, "text", f"{registration_number_label(merchant.registration_number)} {merchant.registration_number}", y=61, font_size=4, fill="#4a515c",
        **middle)
    _el(svg, "text", glyphs, y=85, font_size=17, fill="#c8961e", letter_spacing=2, **middle)
    _el(svg, "text", f"{stars_text} · {year} {_('年度')}", y=98, font_size=7, fill="#8c0e17", font_weight="bold",
        **middle)
    svg.append(_qr_element(verify_url))
    _el(svg, "text", _("扫码核验实时星级；与实时结果不符的牌匾无效"), y=178, font_size=4.2, fill="#1f2329", **middle)
    _el(svg, "text", verify_url, y=186, font_size=2.6, fill="#5f6670", **middle)
    _el(svg, "text", _("市场监督管理局 · 文明办 监制"), y=197, font_size=3.6, fill="#5f6670", **middle)
    ET.indent(svg, space="  ")
    body = ET.tostring(svg, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
