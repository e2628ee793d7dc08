"""The privacy notice and user agreement: default texts (seeded by migration core 0004) and the
one service that edits them (superusers only, audited, version bumped)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import AuditAction, audit_log
from .errors import NotPermitted, ValidationFailed
from .models import LegalDocument

PRIVACY_TITLE = "个人信息保护说明"
PRIVACY_BODY = """本网站由市场监督管理局运营。我们依照《中华人民共和国个人信息保护法》处理您的个人信息，只收集办理事项所必需的信息。

一、我们收集哪些信息
投诉：姓名、手机号码、联系地址、电子邮箱（可选）、身份证号（可选）以及您提交的证明材料。
举报：可匿名；实名举报时收集姓名和手机号码。
评选异议：异议人姓名和联系电话。
经营者账户：电子邮箱、经营者名称、统一社会信用代码及联系人信息。

二、为什么收集
仅用于受理、核查、调解、答复和依法送达您提交的事项，以及对您进行办理结果反馈。统计数据（问题类别、金额、辖区、办理结果）只以不含个人信息的汇总形式公开。

三、保存多久
投诉、举报和异议办结之日起保存三年，期满后自动删除或匿名化您的个人信息及附件；汇总统计数据继续保留。

四、谁可以看到
只有承办您事项的市场监管部门工作人员（按辖区授权）可以查看您的个人信息。被投诉经营者只能看到办理所必需的信息，不会看到举报人身份。本网站公开页面不公开任何个人信息。

五、您的权利
您有权查阅、复制、更正和删除您的个人信息，有权撤回同意（撤回前的处理不受影响）。请携带有效身份证件到市场监督管理局窗口，或拨打 12315 提出申请，我们将在十五个工作日内答复。"""

TERMS_TITLE = "用户协议"
TERMS_BODY = """欢迎使用诚信经营公示平台（以下简称“本网站”）。使用本网站即表示您同意本协议。

一、真实信息
您提交的投诉、举报、异议和经营者资料应当真实、准确。捏造事实、诬告陷害或提交虚假材料的，依法承担相应责任。

二、账户安全
经营者账户由您自行保管，请勿将密码告知他人。因账户被他人使用产生的后果由账户持有人承担；发现账户异常请立即修改密码并告知我们。

三、公示信息
本网站依法公示经营者的登记信息、信用评价和处理结果。经营者对公示信息有异议的，可以通过本网站或窗口提出更正申请。

四、禁止行为
不得干扰本网站正常运行，不得批量抓取数据，不得上传含有病毒或违法内容的文件。

五、个人信息
我们按照《个人信息保护说明》处理您的个人信息。

六、协议变更
本协议修改后在本网站公布，版本号随之更新。"""

DEFAULTS = {
    "privacy": (PRIVACY_TITLE, PRIVACY_BODY),
    "terms": (TERMS_TITLE, TERMS_BODY),
}

TITLE_MAX = LegalDocument._meta.get_field("title").max_length
BODY_MAX = 50_000


def legal_document_update(*, document: LegalDocument, title: str, body: str, actor: User | None) -> LegalDocument:
    """Replace the text of one document. Superusers only: the notice binds every city. The version
    goes up only when the text actually changes, so a re-save without edits does not ask everyone
    to accept a 'new' version."""
    if actor is None or not (actor.is_active and actor.is_superuser):
        raise NotPermitted(_("只有系统管理员可以修改法律文本。"))
    title = (title or "").strip()
    body = (body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not title or len(title) > TITLE_MAX or "\x00" in title:
        errors["title"] = _("请填写标题（不超过 %(n)d 字）。") % {"n": TITLE_MAX}
    if not body or len(body) > BODY_MAX or "\x00" in body:
        errors["body"] = _("请填写正文（不超过 %(n)d 字）。") % {"n": BODY_MAX}
    if errors:
        raise ValidationFailed(next(iter(errors.values())), details=errors)
    with transaction.atomic():
        locked = LegalDocument.objects.select_for_update().get(pk=document.pk)
        if locked.title == title and locked.body == body:
            return locked
        old_version = locked.version
        locked.title, locked.body = title, body
        locked.version = old_version + 1
        locked.updated_by = actor
        locked.save(update_fields=["title", "body", "version", "updated_by", "updated_at"])
        audit_log(
            actor=actor,
            action=AuditAction.LEGAL_DOCUMENT_UPDATED,
            target=locked,
            from_status=f"v{old_version}",
            to_status=f"v{locked.version}",
            data={"kind": locked.kind, "version": locked.version},
        )
    document.refresh_from_db()
    return locked


def legal_document_for(kind: str) -> LegalDocument | None:
    """The stored document, or None before the seeding migration ran (tests use --nomigrations)."""
    return LegalDocument.objects.filter(kind=kind).first()
