"""Forms for the register: merchant sign-up, claiming a business, and staff approving members.

Forms only validate input shape; every rule about who may do what is in the services.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model, password_validation
from django.utils.translation import gettext_lazy as _

from ..models import Membership, MembershipRole, Merchant
from ..services.register import REGISTER_FIELDS

PASSWORD_MESSAGES = {
    "password_too_short": "密码太短，至少需要 %(min_length)d 个字符。",
}


def localize_password_errors(form, field: str) -> None:
    """Django's zh-Hans catalogue lacks some validator messages; replace those by code."""
    if field not in form.errors:
        return
    replaced = []
    for error in form.errors[field].as_data():
        template = PASSWORD_MESSAGES.get(error.code)
        if template:
            error = forms.ValidationError(_(template) % (error.params or {}), code=error.code)
        replaced.append(error)
    del form.errors[field]
    form.add_error(field, replaced)


class ChinesePasswordErrorsMixin:
    """For Django's password forms: show every validator message in Chinese."""

    localized_field = "new_password2"

    def _post_clean(self):
        super()._post_clean()
        localize_password_errors(self, self.localized_field)


class PasswordChangeForm(ChinesePasswordErrorsMixin, auth_forms.PasswordChangeForm):
    pass


class SetPasswordForm(ChinesePasswordErrorsMixin, auth_forms.SetPasswordForm):
    pass


class LoginForm(auth_forms.AuthenticationForm):
    """Sign-in where an e-mail login name is matched the way sign-up stored it (lower case, trimmed).

    Merchant accounts sign in with the address they registered (``services.accounts.normalize_email``);
    "Shop@Example.com" typed on a phone must find "shop@example.com". Staff login names have no "@"
    and are left exactly as typed.
    """

    def clean_username(self):
        from ..services.accounts import normalize_email

        value = self.cleaned_data.get("username") or ""
        return normalize_email(value) if "@" in value else value


class SignupForm(forms.Form):
    """A merchant's portal account: the e-mail address (also the login name), a password and consent.

    There is no username field and no "already registered" check here: the form validates shape only,
    so its answer is the same whether or not the address has an account (services.accounts).
    """

    email = forms.EmailField(
        label=_("电子邮箱"),
        max_length=150,
        help_text=_("作为登录名，并用于确认账号、找回密码和接收通知。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("确认密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("请再次输入相同的密码。"),
    )
    consent = forms.BooleanField(
        label=_("我已阅读并同意《用户协议》和《个人信息保护说明》"),
        error_messages={"required": _("请勾选同意后再注册。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password1"].help_text = password_validation.password_validators_help_text_html()

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", forms.ValidationError(_("两次输入的密码不一致。"), code="password_mismatch"))
        elif p2:
            email = cleaned.get("email") or ""
            probe = get_user_model()(username=email, email=email)
            try:
                password_validation.validate_password(p2, probe)
            except forms.ValidationError as exc:
                self.add_error("password2", exc)
            localize_password_errors(self, "password2")
        return cleaned


class ClaimForm(forms.Form):
    registration_number = forms.CharField(
        label=_("统一社会信用代码或登记号"),
        max_length=40,
        help_text=_("营业执照上的18位统一社会信用代码；个体摊位可填登记号。"),
    )
    code = forms.CharField(
        label=_("认领码"),
        max_length=20,
        help_text=_("市场监管部门当面交给您的10位认领码，例如 ABCDE-FGHJK。"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class MembershipAddForm(forms.ModelForm):
    """Staff approve a portal user for a merchant by typing the user's account name."""

    username = forms.CharField(
        label=_("用户名"), max_length=150, help_text=_("经营者的登录名；自行注册的账号即其注册邮箱。")
    )

    class Meta:
        model = Membership
        fields = ("merchant", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = MembershipRole.OWNER

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("没有该用户名的有效账号。"))
        self.cleaned_data["user"] = user
        return name


class MerchantAdminForm(forms.ModelForm):
    """The staff edit form of a merchant, labelled in the bureau's own terms.

    Each field carries the value the clerk was shown (a hidden ``initial-`` input), so ``changed_data``
    names what this clerk changed, not what differs from the row as it is now: another clerk's edit made
    meanwhile to another field is then not written back (``merchant_save`` saves only changed fields).
    A POST without those inputs is compared with the stored row, as Django does by default.
    """

    class Meta:
        model = Merchant
        fields = REGISTER_FIELDS
        labels = {
            "name": _("名称"),
            "former_names": _("曾用名（每行一个）"),
            "kind": _("类型"),
            "industry": _("行业"),
            "status": _("经营状态"),
            "uscc": _("统一社会信用代码"),
            "licence_number": _("登记号（无统一社会信用代码的个体摊位）"),
            "legal_representative": _("法定代表人/经营者"),
            "registered_on": _("登记日期"),
            "region": _("辖区"),
            "address": _("地址"),
            "parent_market": _("所在市场"),
            "is_large_venue": _("大型场所（须刊播公益广告）"),
            "is_time_honored": _("老字号"),
            "odr_enrolled": _("已加入在线消费纠纷解决（ODR）"),
        }
        help_texts = {
            "licence_number": _("没有统一社会信用代码的个体摊位填写登记号；两者至少填写一项。"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..resources import short_label

        for name in ("kind", "industry", "status"):
            if name in self.fields:
                self.fields[name].choices = [
                    (v, short_label(label)) for v, label in self.fields[name].choices
                ]
        for name, field in self.fields.items():
            field.show_hidden_initial = not self.is_bound or self.add_initial_prefix(name) in self.data
