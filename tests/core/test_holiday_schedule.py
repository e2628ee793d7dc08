"""The official holiday calendar as the portal's own data (issue #12 item 3).

Expected dates are worked out by hand from the State Council notices (2026: National Day and
Mid-Autumn 1–7 Oct off, Sun 20 Sep and Sat 10 Oct worked), never from the code under test.
Years the package does not have (2031) get test schedules loaded from files, as the bureau would.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.checks import holiday_schedule_check
from integrity_portal.core.errors import ValidationFailed
from integrity_portal.core.holidays import chinesecalendar_years, holiday_schedule_fill_from_chinesecalendar
from integrity_portal.core.models import AuditEntry, HolidaySchedule, HolidayScheduleDay, WorkingDayOverride
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.workdays import add_working_days, add_working_days_ex, is_working_day
from tests.factories import make_staff

pytestmark = pytest.mark.django_db

FAR_YEAR = 2031  # a year chinesecalendar 1.11 (2004–2026) does not have


def write_csv(tmp_path, text: str, name: str = "holidays.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD_2031 = (
    "date,kind,name\n2031-01-01,holiday,测试元旦\n2031-01-02,holiday,测试元旦\n2031-01-04,workday,测试元旦\n"
)


def test_national_day_2026_matches_the_official_schedule():
    # Tue 29 Sep + 7: Wed 30 Sep, (1–7 Oct off), Thu 8, Fri 9, Sat 10 (worked), Mon 12, Tue 13, Wed 14.
    assert add_working_days(date(2026, 9, 29), 7) == date(2026, 10, 14)
    assert add_working_days_ex(date(2026, 9, 29), 7) == (date(2026, 10, 14), False)
    assert is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert is_working_day(date(2026, 9, 20))  # make-up Sunday
    assert not is_working_day(date(2026, 10, 7))
    # The calendar came from the portal's own table, filled from chinesecalendar on first use.
    schedule = HolidaySchedule.objects.get(year=2026)
    assert schedule.source == "chinesecalendar"
    assert schedule.days.filter(date=date(2026, 10, 10), kind="workday").exists()
    assert schedule.days.get(date=date(2026, 10, 1)).name == "国庆节"
    assert [e.action for e in audit_entries_for(schedule)] == ["holiday_schedule.fill"]


def test_the_calendar_reads_the_stored_schedule_not_the_package(tmp_path):
    # A correction entered by the bureau wins over what the package says.
    call_command("sync_holidays_from_chinesecalendar", verbosity=0)
    call_command(
        "load_holidays",
        write_csv(tmp_path, "date,kind,name\n2026-10-01,holiday,国庆节\n2026-10-12,holiday,本地测试\n"),
    )
    assert not is_working_day(date(2026, 10, 12))
    assert not is_working_day(date(2026, 10, 10))  # no longer a make-up day in the stored schedule
    assert is_working_day(date(2026, 10, 2))  # an ordinary Friday once the stored schedule says so


def test_overrides_still_win_over_the_schedule():
    WorkingDayOverride.objects.create(date=date(2026, 10, 10), is_working_day=False, reason="本地调整")
    assert add_working_days(date(2026, 9, 29), 7) == date(2026, 10, 15)


def test_fill_never_invents_a_year_the_package_lacks():
    assert FAR_YEAR not in chinesecalendar_years()
    with pytest.raises(ValidationFailed):
        holiday_schedule_fill_from_chinesecalendar(year=FAR_YEAR)
    call_command("sync_holidays_from_chinesecalendar", verbosity=0)
    stored = set(HolidaySchedule.objects.values_list("year", flat=True))
    assert stored == set(chinesecalendar_years())
    assert FAR_YEAR not in stored
    assert (2027 in stored) == (2027 in chinesecalendar_years())  # 1.11: not there, so not made up
    # Asking about the far year counts Monday–Friday and writes nothing.
    assert add_working_days(date(FAR_YEAR, 1, 3), 1) == date(FAR_YEAR, 1, 6)
    assert not HolidaySchedule.objects.filter(year=FAR_YEAR).exists()


def test_a_year_without_a_schedule_is_monday_to_friday_and_provisional():
    # Fri 27 Dec 2030 + 7 Mon–Fri days: 30, 31 Dec, 1, 2, 3, 6, 7 Jan 2031.
    assert add_working_days_ex(date(2030, 12, 27), 7) == (date(FAR_YEAR, 1, 7), True)
    assert add_working_days(date(FAR_YEAR, 1, 1), 0) == date(FAR_YEAR, 1, 1)


def test_check_warns_about_next_year_from_1_november_and_not_on_31_october():
    # 2026 is known; 2027 is not in chinesecalendar 1.11 and nobody has entered it in this database.
    assert 2027 not in chinesecalendar_years()
    assert holiday_schedule_check(today=date(2026, 10, 31)) == []
    warnings = holiday_schedule_check(today=date(2026, 11, 1))
    assert [w.id for w in warnings] == ["core.W001"]
    assert "2027" in warnings[0].msg


def test_check_warns_when_the_current_year_has_no_schedule(tmp_path):
    warnings = holiday_schedule_check(today=date(FAR_YEAR, 3, 3))
    assert [w.id for w in warnings] == ["core.W002"]
    assert str(FAR_YEAR) in warnings[0].msg
    call_command("load_holidays", write_csv(tmp_path, GOOD_2031))
    assert holiday_schedule_check(today=date(FAR_YEAR, 3, 3)) == []


def test_load_holidays_enters_a_year_and_a_second_load_replaces_it(tmp_path, capsys):
    call_command(
        "load_holidays",
        write_csv(tmp_path, GOOD_2031),
        "--notice-number",
        "测试〔2030〕1号",
        "--notice-date",
        "2030-11-10",
    )
    schedule = HolidaySchedule.objects.get(year=FAR_YEAR)
    assert (schedule.source, schedule.notice_number, schedule.notice_date) == (
        "file",
        "测试〔2030〕1号",
        date(2030, 11, 10),
    )
    assert not is_working_day(date(FAR_YEAR, 1, 2))
    assert is_working_day(date(FAR_YEAR, 1, 4))  # make-up Saturday
    assert add_working_days_ex(date(FAR_YEAR, 3, 3), 1) == (date(FAR_YEAR, 3, 4), False)

    call_command("load_holidays", write_csv(tmp_path, "date,kind,name\n2031-01-01,holiday,元旦\n", "v2.csv"))
    schedule.refresh_from_db()
    assert list(schedule.days.values_list("date", flat=True)) == [date(FAR_YEAR, 1, 1)]
    assert is_working_day(date(FAR_YEAR, 1, 2))  # the replacement dropped it
    assert not is_working_day(date(FAR_YEAR, 1, 4))
    entries = list(audit_entries_for(schedule).order_by("id"))
    assert [e.action for e in entries] == ["holiday_schedule.load", "holiday_schedule.replace"]
    assert len(entries[1].data["previous"]["days"]) == 3 and len(entries[1].data["new"]["days"]) == 1


BAD_FILES = {
    "bad date": ("date,kind,name\n2031-02-30,holiday,x\n", "第 2 行"),
    "unknown kind": ("date,kind,name\n2031-01-01,holiday,x\n2031-01-02,rest,x\n", "第 3 行"),
    "weekday make-up": ("date,kind,name\n2031-01-01,holiday,x\n2031-01-06,workday,x\n", "第 3 行"),
    "duplicate date": ("date,kind,name\n2031-01-01,holiday,x\n2031-01-01,holiday,y\n", "第 3 行"),
    "two years": ("date,kind,name\n2031-01-01,holiday,x\n2032-01-01,holiday,y\n", "第 3 行"),
    "no header": ("2031-01-01,holiday,x\n", "第 1 行"),
    "no holiday": ("date,kind,name\n2031-01-04,workday,x\n", "没有放假"),
    "empty": ("date,kind,name\n", "没有日期"),
    "NUL byte": ("date,kind,name\n2031-01-01,holiday,x\x00\n", "NUL"),
    "hostile name": ("date,kind,name\n2031-01-01,holiday," + '<b>"' * 20 + "\n", "第 2 行"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_load_holidays_refuses_a_bad_file_with_one_line_and_writes_nothing(case, tmp_path):
    call_command("load_holidays", write_csv(tmp_path, GOOD_2031, "good.csv"))
    before = (
        list(HolidayScheduleDay.objects.values_list("date", "kind", "name")),
        AuditEntry.objects.count(),
    )
    text, expected = BAD_FILES[case]
    with pytest.raises(CommandError) as refused:
        call_command("load_holidays", write_csv(tmp_path, text, "bad.csv"))
    message = str(refused.value)
    assert expected in message and "\n" not in message
    after = (list(HolidayScheduleDay.objects.values_list("date", "kind", "name")), AuditEntry.objects.count())
    assert after == before


def test_load_holidays_refuses_dates_outside_the_given_year(tmp_path):
    with pytest.raises(CommandError, match="2031"):
        call_command("load_holidays", write_csv(tmp_path, GOOD_2031), "--year", "2032")
    assert not HolidaySchedule.objects.exists()


def test_load_holidays_refuses_a_missing_file_and_a_bad_notice_date(tmp_path):
    with pytest.raises(CommandError):
        call_command("load_holidays", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="notice-date"):
        call_command("load_holidays", write_csv(tmp_path, GOOD_2031), "--notice-date", "10/11/2030")
    assert not HolidaySchedule.objects.exists()


def test_admin_banner_names_the_missing_years_for_staff(client, regions, monkeypatch):
    from integrity_portal.core import workdays

    monkeypatch.setattr(workdays, "today", lambda: date(2030, 11, 2))
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    html = client.get(reverse("admin:index")).content.decode()
    assert "holiday-schedule-banner" in html
    assert "2030 年的法定节假日安排尚未录入" in html and "2031 年" in html


def test_admin_banner_is_absent_when_the_years_are_known(client, regions, monkeypatch):
    from integrity_portal.core import workdays

    monkeypatch.setattr(workdays, "today", lambda: date(2026, 10, 31))
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    assert "holiday-schedule-banner" not in client.get(reverse("admin:index")).content.decode()


def test_non_superuser_staff_get_403_on_the_schedule_admin(client, regions):
    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    assert client.get(reverse("admin:core_holidayschedule_changelist")).status_code == 403
    assert client.get(reverse("admin:core_holidayschedule_add")).status_code == 403
    assert client.post(reverse("admin:core_holidayschedule_add"), {"year": FAR_YEAR}).status_code == 403
    assert not HolidaySchedule.objects.exists()


def _admin_form(year, days):
    data = {
        "year": year,
        "notice_number": "测试〔2030〕2号",
        "notice_date": "2030-11-12",
        "days-TOTAL_FORMS": str(len(days)),
        "days-INITIAL_FORMS": "0",
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    for i, (day, kind, name) in enumerate(days):
        data.update({f"days-{i}-date": day, f"days-{i}-kind": kind, f"days-{i}-name": name})
    return data


def test_superuser_enters_a_schedule_in_the_admin_audited(client, regions):
    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(admin_user)
    url = reverse("admin:core_holidayschedule_add")
    refused = client.post(url, _admin_form(FAR_YEAR, [("2031-01-06", "workday", "周一调休")]))
    assert refused.status_code == 200 and not HolidaySchedule.objects.exists()
    response = client.post(
        url, _admin_form(FAR_YEAR, [("2031-01-01", "holiday", "测试元旦"), ("2031-01-04", "workday", "测试")])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = HolidaySchedule.objects.get(year=FAR_YEAR)
    assert (schedule.source, schedule.entered_by) == ("admin", admin_user)
    assert not is_working_day(date(FAR_YEAR, 1, 1)) and is_working_day(date(FAR_YEAR, 1, 4))
    entry = audit_entries_for(schedule).get()
    assert entry.action == "holiday_schedule.load" and entry.actor == admin_user


def test_manage_py_check_reports_the_missing_year(monkeypatch):
    from io import StringIO

    from integrity_portal.core import workdays

    monkeypatch.setattr(workdays, "today", lambda: date(2030, 11, 1))
    out, err = StringIO(), StringIO()
    call_command("check", stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert "core.W002" in text and "core.W001" in text and "2031" in text
