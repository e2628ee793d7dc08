"""The Alibaba Cloud SMS adapter (issue #16 item 2) against a local fake dysmsapi server: a signed
``SendSms`` GET (signature v1, HMAC-SHA1), verified by the fake server with the algorithm as Alibaba
documents it; OK, throttling, permanent refusals, HTTP 500, a refused connection and a hang. The real
service is never contacted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote_plus, urlsplit

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ValidationFailed
from notifications.models import Notice
from notifications.services import notice_deliver, notice_enqueue
from notifications.sms import AliyunSMSBackend, aliyun_signature, aliyun_string_to_sign

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
KEY_ID, SECRET, SIGN_NAME = "LTAI-test-id", "test-secret-not-real", "某市市场监管局"
TEMPLATE_CODE = "SMS_460000001"

# Alibaba Cloud's worked example of the SendSms signature (SMS docs, "HTTP协议及签名" / "Signature
# method"): these parameters, AccessKeySecret "testSecret", and the published results below.
DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001"
    "%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4"
    "%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1"
    "%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp"
    "%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
DOC_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def _doc_encode(value: str) -> str:
    """Alibaba's recipe, literally: URL-encode (form style), then + → %20, * → %2A, %7E → ~."""
    return quote_plus(value, encoding="utf-8").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def _expected_signature(params: dict, secret: str) -> str:
    """The fake server's own check, written from the documentation (not from notifications.sms)."""
    pairs = [f"{_doc_encode(k)}={_doc_encode(params[k])}" for k in sorted(params) if k != "Signature"]
    to_sign = "GET&" + _doc_encode("/") + "&" + _doc_encode("&".join(pairs))
    return base64.b64encode(
        hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()


def test_the_verifier_reproduces_alibabas_published_example():
    assert _expected_signature(DOC_PARAMS, "testSecret") == DOC_SIGNATURE


def test_the_adapter_signs_alibabas_published_example_exactly():
    assert aliyun_string_to_sign(DOC_PARAMS) == DOC_STRING_TO_SIGN
    assert aliyun_signature(DOC_PARAMS, "testSecret") == DOC_SIGNATURE
    assert aliyun_signature(DOC_PARAMS, "another secret") != DOC_SIGNATURE


class FakeDysms(ThreadingHTTPServer):
    """``answer`` is what the next request gets: "ok", "throttled", "illegal_number", "no_credit",
    "unknown_isv", "http500" or "hang". Every request is recorded with whether its signature held."""

    answer = "ok"
    requests: list
    release: threading.Event


ANSWERS = {
    "ok": (200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}),
    "throttled": (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发小时级流控Permits:5"}),
    "illegal_number": (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}),
    "no_credit": (200, {"Code": "isv.AMOUNT_NOT_ENOUGH", "Message": "账户余额不足"}),
    "unknown_isv": (200, {"Code": "isv.SOMETHING_NEW", "Message": "新规则"}),
    "http500": (500, {"Code": "InternalError", "Message": "The request processing has failed due to some unknown error."}),
}  # fmt: skip


class Handler(BaseHTTPRequestHandler):
    server: FakeDysms

    def do_GET(self):  # noqa: N802 (http.server's name)
        params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        signed = params.get("Signature") == _expected_signature(params, SECRET)
        self.server.requests.append({"params": params, "signed": signed})
        if self.server.answer == "hang":
            self.server.release.wait(5)
            return
        status, body = (
            400,
            {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"},
        )
        if signed:
            status, body = ANSWERS[self.server.answer]
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture
def dysms(settings):
    server = FakeDysms(("127.0.0.1", 0), Handler)
    server.requests, server.release = [], threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "notifications.sms.AliyunSMSBackend"
    settings.SMS_ALIYUN_ENDPOINT = f"http://127.0.0.1:{server.server_address[1]}/"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = KEY_ID
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = SECRET
    settings.SMS_ALIYUN_SIGN_NAME = SIGN_NAME
    settings.SMS_TEMPLATE_CODES = {"complaint.accepted": TEMPLATE_CODE}
    settings.SMS_TIMEOUT = 0.5
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def _notice(about, *, template="complaint.accepted", params=None, key="complaint:1:accepted") -> Notice:
    return notice_enqueue(
        key=key, channel="sms", address=PHONE, subject="", body="您的投诉（查询码 A1B2C3）已受理。",
        language="zh-hans", about=about, region_code="410802", sms_template=template,
        sms_params={"code": "A1B2C3"} if params is None else params,
    )  # fmt: skip


def test_a_notice_goes_out_as_a_signed_sendsms_request_with_its_template(about, dysms):
    notice = _notice(about)
    assert notice_deliver(notice_id=notice.pk) == "sent"

    [request] = dysms.requests
    assert request["signed"] is True
    params = request["params"]
    assert {k: params[k] for k in ("Action", "Version", "Format", "SignatureMethod", "SignatureVersion")} == {
        "Action": "SendSms", "Version": "2017-05-25", "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
    }  # fmt: skip
    assert (params["AccessKeyId"], params["PhoneNumbers"], params["SignName"]) == (KEY_ID, PHONE, SIGN_NAME)
    assert params["TemplateCode"] == TEMPLATE_CODE
    assert json.loads(params["TemplateParam"]) == {"code": "A1B2C3"}
    assert params["SignatureNonce"] and params["Timestamp"].endswith("Z")
    assert SECRET not in json.dumps(params)
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == ("sent", 1, "")


def test_two_requests_carry_different_nonces(about, dysms):
    for n in (1, 2):
        notice_deliver(notice_id=_notice(about, key=f"complaint:{n}:accepted").pk)
    nonces = {r["params"]["SignatureNonce"] for r in dysms.requests}
    assert len(nonces) == 2


def test_a_wrong_secret_is_refused_by_the_provider_and_fails_at_once(about, dysms, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "not-the-secret"
    notice = _notice(about)
    assert notice_deliver(notice_id=notice.pk) == "failed"
    assert dysms.requests[0]["signed"] is False
    notice.refresh_from_db()
    assert notice.attempts == 1 and "SignatureDoesNotMatch" in notice.last_error


@pytest.mark.parametrize("answer", ["throttled", "http500"])
def test_throttling_and_server_errors_are_retried_with_back_off(about, dysms, answer):
    dysms.answer = answer
    notice = _notice(about)
    assert notice_deliver(notice_id=notice.pk) == "queued"
    notice.refresh_from_db()
    assert notice.status == "queued" and notice.attempts == 1
    assert notice.next_attempt_at > notice.claimed_at
    expected = {
        "throttled": "isv.BUSINESS_LIMIT_CONTROL: 触发小时级流控",
        "http500": "HTTP 500: InternalError",
    }[answer]
    assert expected in notice.last_error
    assert not audit_entries_for(about).exists()  # a retry is not audited

    dysms.answer = "ok"
    Notice.objects.filter(pk=notice.pk).update(next_attempt_at=notice.claimed_at)
    assert notice_deliver(notice_id=notice.pk) == "sent"


@pytest.mark.parametrize(
    ("answer", "code", "message"),
    [
        ("illegal_number", "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
        ("no_credit", "isv.AMOUNT_NOT_ENOUGH", "账户余额不足"),
        ("unknown_isv", "isv.SOMETHING_NEW", "新规则"),
    ],
)
def test_a_permanent_refusal_fails_at_once_with_the_providers_code_and_message(
    about, dysms, answer, code, message
):
    dysms.answer = answer
    notice = _notice(about)
    assert notice_deliver(notice_id=notice.pk) == "failed"
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.next_attempt_at) == ("failed", 1, None)
    assert f"{code}: {message}" in notice.last_error
    [entry] = audit_entries_for(about).filter(action="notice.failed")
    assert code in entry.note and entry.data["permanent"] is True
    assert len(dysms.requests) == 1


def test_a_hung_provider_times_out_and_is_retried(about, dysms):
    dysms.answer = "hang"
    notice = _notice(about)
    started = time.monotonic()
    assert notice_deliver(notice_id=notice.pk) == "queued"
    assert time.monotonic() - started < 3  # SMS_TIMEOUT = 0.5 s, not the handler's 5 s
    notice.refresh_from_db()
    assert notice.attempts == 1 and "network" in notice.last_error and "timed out" in notice.last_error


def test_an_unreachable_provider_is_retried(about, dysms, settings):
    dysms.shutdown()
    dysms.server_close()  # nothing listens on the port any more: connection refused
    notice = _notice(about)
    assert notice_deliver(notice_id=notice.pk) == "queued"
    notice.refresh_from_db()
    assert "network" in notice.last_error and notice.status == "queued"


@pytest.mark.parametrize("template", ["", "complaint.no_such_template"])
def test_a_notice_without_a_configured_template_fails_at_once_without_a_request(about, dysms, template):
    notice = _notice(about, template=template)
    assert notice_deliver(notice_id=notice.pk) == "failed"
    notice.refresh_from_db()
    assert ("portal.NO_TEMPLATE" if not template else "portal.TEMPLATE_NOT_CONFIGURED") in notice.last_error
    assert dysms.requests == []


def test_missing_credentials_are_a_retried_configuration_error(about, dysms, settings):
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = ""
    notice = _notice(about)
    assert notice_deliver(notice_id=notice.pk) == "queued"
    notice.refresh_from_db()
    assert "SMS_ALIYUN_ACCESS_KEY_SECRET" in notice.last_error and dysms.requests == []


def test_the_other_backends_still_send_the_text(about, sms_file):
    notice_deliver(notice_id=_notice(about).pk)
    assert [(line["to"], line["text"]) for line in sms_file.lines()] == [
        (PHONE, "您的投诉（查询码 A1B2C3）已受理。")
    ]


def test_a_template_variable_over_35_characters_is_refused_at_enqueue(about):
    with pytest.raises(ValidationFailed) as refused:
        _notice(about, params={"code": "x" * 36})
    assert "'code'" in refused.value.message and "35" in refused.value.message
    _notice(about, params={"code": "x" * 35}, key="complaint:2:accepted")  # the limit itself is allowed
    assert Notice.objects.count() == 1


def test_a_text_over_500_characters_is_refused_at_enqueue(about):
    with pytest.raises(ValidationFailed) as refused:
        notice_enqueue(
            key="k",
            channel="sms",
            address=PHONE,
            subject="",
            body="字" * 501,
            language="zh-hans",
            about=about,
        )
    assert "500" in refused.value.message
    assert not Notice.objects.exists()
    # E-mail has no such limit.
    notice_enqueue(
        key="k",
        channel="email",
        address="a@example.com",
        subject="s",
        body="字" * 501,
        language="",
        about=about,
    )


def test_error_codes_are_classified_as_documented():
    retry, permanent = AliyunSMSBackend.is_retryable, lambda code: not AliyunSMSBackend.is_retryable(code)
    assert retry("isv.BUSINESS_LIMIT_CONTROL") and retry("Throttling.User") and retry("isp.SYSTEM_ERROR")
    assert retry("ServiceUnavailable") and retry("SomethingNew")
    assert permanent("isv.MOBILE_NUMBER_ILLEGAL") and permanent("isv.TEMPLATE_MISSING_PARAMETERS")
    assert permanent("isv.SMS_SIGNATURE_ILLEGAL") and permanent("isv.SMS_TEMPLATE_ILLEGAL")
    assert permanent("InvalidAccessKeyId.NotFound") and permanent("isp.RAM_PERMISSION_DENY")


def test_the_system_check_names_what_the_chosen_provider_lacks(settings):
    from notifications.checks import sms_backend_check

    settings.SMS_BACKEND = "notifications.sms.ConsoleSMSBackend"
    assert sms_backend_check() == []
    settings.SMS_BACKEND = "notifications.sms.NoSuchBackend"
    assert [c.id for c in sms_backend_check()] == ["notifications.E001"]

    settings.SMS_BACKEND = "notifications.sms.AliyunSMSBackend"
    settings.SMS_ALIYUN_ACCESS_KEY_ID, settings.SMS_ALIYUN_ACCESS_KEY_SECRET = KEY_ID, ""
    settings.SMS_ALIYUN_SIGN_NAME, settings.SMS_TEMPLATE_CODES = SIGN_NAME, {}
    settings.SMS_ALIYUN_ENDPOINT = "http://127.0.0.1:9/"
    checks = {c.id: c.msg for c in sms_backend_check()}
    assert set(checks) == {"notifications.E002", "notifications.W001", "notifications.W002"}
    assert (
        "SMS_ALIYUN_ACCESS_KEY_SECRET" in checks["notifications.E002"]
        and KEY_ID not in checks["notifications.E002"]
    )

    settings.SMS_ALIYUN_ACCESS_KEY_SECRET, settings.SMS_TEMPLATE_CODES = (
        SECRET,
        {"complaint.accepted": TEMPLATE_CODE},
    )
    settings.SMS_ALIYUN_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
    assert sms_backend_check() == []
