"""Role-model stories (诚信典型库, issue #19 item 6): written, approved and published by the civility office
or city staff of the merchant's region (docs/REGISTER.md, "Role-model stories").

Every move goes through ``ROLE_MODEL_WORKFLOW``; a published story is on public pages, so publishing,
withdrawing and editing a published story bump the public pages version.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.public_cache import public_pages_changed
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import is_unrestricted, staff_role, user_covers_region
from integrity_portal.core.uploads import IMAGE_TYPES, check_upload

from ..audit_actions import AuditAction
from ..models import Merchant, RoleModelStatus, RoleModelStory
from ..workflow import ROLE_MODEL_WORKFLOW

#: Who writes and decides stories: the civility office (文明办) and the city bureau, in their region.
EDITOR_ROLES = frozenset({StaffRole.CIVILITY_OFFICE, StaffRole.CITY_BUREAU})
PHOTO_MAX_BYTES = 5 * 1024 * 1024
TEXT_MAX = 5000
TITLE_MAX = 120


def role_model_may_edit(actor: User | None, merchant: Merchant | None = None) -> bool:
    """A civility office or city bureau user (or a superuser) covering the merchant's region."""
    if actor is None:
        return False
    if not is_unrestricted(actor) and staff_role(actor) not in EDITOR_ROLES:
        return False
    return merchant is None or user_covers_region(actor, merchant.region_id)


def _check_editor(actor: User | None, merchant: Merchant) -> None:
    if actor is None or (not is_unrestricted(actor) and staff_role(actor) not in EDITOR_ROLES):
        raise NotPermitted(_("只有文明办或市级市场监管局工作人员可以编辑和审核诚信典型事迹。"))
    if not user_covers_region(actor, merchant.region_id):
        raise NotFound(_("您的辖区内没有该记录。"))


def role_model_photo_check(photo):
    """A story's photo: a JPEG or PNG checked by content (core.uploads), at most ``PHOTO_MAX_BYTES``."""
    return check_upload(photo, allowed=IMAGE_TYPES, max_bytes=PHOTO_MAX_BYTES, field="photo")


def _clean(*, year, title: str, text: str, photo) -> dict:
    errors = {}
    title = (title or "").strip()
    text = (text or "").strip()
    if not title:
        errors["title"] = _("请填写标题。")
    elif len(title) > TITLE_MAX:
        errors["title"] = _("标题不能超过%(n)d个字。") % {"n": TITLE_MAX}
    if not text:
        errors["text"] = _("请填写事迹正文。")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("事迹正文不能超过%(n)d个字。") % {"n": TEXT_MAX}
    this_year = timezone.localdate().year
    try:
        year = int(year)
    except (TypeError, ValueError):
        year = None
    if year is None or not 2000 <= year <= this_year:
        errors["year"] = _("年度须在2000年至%(y)d年之间。") % {"y": this_year}
    checked = None
    if photo:
        try:
            checked = role_model_photo_check(photo)
        except ValidationFailed as exc:
            errors["photo"] = exc.message
    if errors:
        raise ValidationFailed(" ".join(str(m) for m in errors.values()), details=errors)
    return {
        "year": year,
        "title": title,
        "text": text,
        "photo_name": checked.original_name if checked else "",
    }


def role_model_create(
    *, merchant: Merchant, year, title: str, text: str, actor: User | None, photo=None
) -> RoleModelStory:
    """A draft story; nothing is public until it is approved and published."""
    _check_editor(actor, merchant)
    data = _clean(year=year, title=title, text=text, photo=photo)
    with transaction.atomic():
        story = RoleModelStory(
            merchant=merchant,
            year=data["year"],
            title=data["title"],
            text=data["text"],
            created_by=acting_user(actor),
            photo_original_name=data["photo_name"],
        )
        if photo:
            story.photo.save(photo.name, photo, save=False)  # upload<detected ext>, from check_upload
        story.save()
        audit_log(actor=actor, action=AuditAction.ROLE_MODEL_CREATE, target=story, to_status=story.status)
    return story


def role_model_update(
    *,
    story: RoleModelStory,
    year,
    title: str,
    text: str,
    actor: User | None,
    photo=None,
    remove_photo: bool = False,
) -> RoleModelStory:
    """Edit a draft (an approved or published story goes back through approval: return it first)."""
    _check_editor(actor, story.merchant)
    data = _clean(year=year, title=title, text=text, photo=photo)
    with transaction.atomic():
        locked = RoleModelStory.objects.select_for_update().get(pk=story.pk)
        if locked.status != RoleModelStatus.DRAFT:
            raise TransitionNotAllowed(_("只能修改草稿；已审核或已发布的事迹请先退回或撤下。"))
        locked.year, locked.title, locked.text = data["year"], data["title"], data["text"]
        fields = ["year", "title", "text"]
        if photo:
            locked.photo.save(photo.name, photo, save=False)
            locked.photo_original_name = data["photo_name"]
            fields += ["photo", "photo_original_name"]
        elif remove_photo and locked.photo:
            locked.photo = ""
            locked.photo_original_name = ""
            fields += ["photo", "photo_original_name"]
        locked.save(update_fields=fields)
        audit_log(actor=actor, action=AuditAction.ROLE_MODEL_UPDATE, target=locked, data={"fields": fields})
    story.refresh_from_db()
    return story


def _move(
    story: RoleModelStory, target: str, *, actor: User | None, note: str = "", fields=None
) -> RoleModelStory:
    _check_editor(actor, story.merchant)
    with transaction.atomic():
        locked = RoleModelStory.objects.select_for_update().get(pk=story.pk)
        try:
            with transaction.atomic():
                ROLE_MODEL_WORKFLOW.transition(locked, target, actor=actor, note=note, fields=fields or {})
        except IntegrityError:
            raise ValidationFailed(
                _("该市场主体本年度已有一篇已发布的诚信典型事迹，请先撤下原事迹。")
            ) from None
    story.refresh_from_db()
    return story


def role_model_approve(*, story: RoleModelStory, actor: User | None, reason: str = "") -> RoleModelStory:
    """Approval is a second pair of eyes: the writer of the story cannot approve it."""
    if actor is not None and story.created_by_id == actor.pk and not is_unrestricted(actor):
        raise NotPermitted(_("撰写人不能审核自己撰写的事迹，请由另一位工作人员审核。"))
    return _move(
        story,
        RoleModelStatus.APPROVED,
        actor=actor,
        note=reason,
        fields={"approved_by": acting_user(actor), "approved_at": timezone.now()},
    )


def role_model_return(*, story: RoleModelStory, actor: User | None, reason: str = "") -> RoleModelStory:
    """Back to draft (an approved story to rework, or a withdrawn one to publish again after approval)."""
    return _move(
        story,
        RoleModelStatus.DRAFT,
        actor=actor,
        note=reason,
        fields={"approved_by": None, "approved_at": None},
    )


def role_model_publish(*, story: RoleModelStory, actor: User | None, reason: str = "") -> RoleModelStory:
    story = _move(
        story, RoleModelStatus.PUBLISHED, actor=actor, note=reason, fields={"published_at": timezone.now()}
    )
    transaction.on_commit(public_pages_changed)  # the profile, red list and library change
    return story


def role_model_withdraw(*, story: RoleModelStory, actor: User | None, reason: str = "") -> RoleModelStory:
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写撤下原因。"), details={"reason": _("请填写撤下原因。")})
    story = _move(
        story, RoleModelStatus.WITHDRAWN, actor=actor, note=reason, fields={"withdrawn_at": timezone.now()}
    )
    transaction.on_commit(public_pages_changed)  # the profile, red list and library change
    return story
