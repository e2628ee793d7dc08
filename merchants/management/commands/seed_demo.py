"""Fill the database with demo data: regions, the register, every app's seeders, demo logins."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from integrity_portal.core.demo import demo_seeders
from integrity_portal.core.two_factor import recovery_codes_regenerate
from merchants import regions as region_tree
from merchants.demo import DEMO_LOGINS, DEMO_PASSWORD
from merchants.selectors.register import public_headline_counts_clear


class Command(BaseCommand):
    help = "Load the region fixture and deterministic demo data (idempotent: re-running adds nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--merchants", type=int, default=2000, help="number of market entities (default 2000)"
        )
        parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    def handle(self, *args, merchants: int, seed: int, **options):
        if merchants < 0 or merchants > 2_000_000:
            raise CommandError("--merchants must be between 0 and 2000000")
        started = time.perf_counter()
        call_command("loaddata", "regions", verbosity=0)
        region_tree.clear_cache()
        for seeder in demo_seeders():
            t0 = time.perf_counter()
            self.stdout.write(f"[{seeder.order:>2}] {seeder.name} …")
            seeder.fn(seed=seed, merchant_count=merchants, stdout=self.stdout)
            self.stdout.write(f"     {time.perf_counter() - t0:.1f} s")
        public_headline_counts_clear()  # later seeders changed stars; the home page must not show old counts
        self.stdout.write(
            self.style.SUCCESS(f"演示数据已就绪 / Demo data ready in {time.perf_counter() - started:.1f} s")
        )
        site = settings.SITE_URL.rstrip("/")
        self.stdout.write(f"演示账号 / Demo logins (password {DEMO_PASSWORD}):")
        for username, _region, role, what in DEMO_LOGINS:
            where = f"{site}/admin/" if role else f"{site}/portal/"
            self.stdout.write(
                f"  {'staff' if role else 'merchant'} {username} / {DEMO_PASSWORD} → {where}  ({what})"
            )
            user = get_user_model().objects.filter(username=username).first() if role else None
            if user is not None:
                # Staff sign-in asks for a second factor (core/two_factor.py). Fresh single-use recovery
                # codes on every run (the old ones stop working), so a newcomer can sign in without a phone.
                codes = recovery_codes_regenerate(user=user, actor=None)
                self.stdout.write(f"      两步验证恢复码 / recovery codes (one per sign-in): {' '.join(codes[:5])}")
        self.stdout.write(
            f"  工作人员登录后输入一个恢复码；在 {site}/accounts/two-factor/ 可绑定手机验证器。"
            f" / Staff: after the password, type one recovery code; bind an authenticator at {site}/accounts/two-factor/."
        )
        self.stdout.write(f"公众网站 / Public site: {site}/   开放数据 / API: {site}/api/docs/")
