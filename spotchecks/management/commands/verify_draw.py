"""``manage.py verify_draw PLAN [--dump FILE] [--record FILE]``: recompute a spot-check draw and compare.

Builds the plan's full record (commitment, frozen lists, revealed seed, drawn tokens, openings, the tasks
as stored) and runs ``spotchecks.draw.verify`` on it: prints ``OK`` or the first mismatch and exits 1.
``--dump FILE`` also writes the record as JSON for ``python3 spotchecks/draw.py FILE``; ``--record FILE``
checks a record read from FILE (e.g. the published one) instead of the database's.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from spotchecks import draw as draw_algorithm
from spotchecks.models import SpotCheckPlan
from spotchecks.selectors import draw_record


class Command(BaseCommand):
    help = "Recompute a spot-check plan's draw from its seed and frozen lists; print OK or the first mismatch."

    def add_arguments(self, parser):
        parser.add_argument("plan", help="the plan's id")
        parser.add_argument("--dump", metavar="FILE", help="also write the full record as JSON to FILE")
        parser.add_argument("--record", metavar="FILE", help="verify the record in FILE instead of the database's")

    def handle(self, *args, plan, dump=None, record=None, **options):
        if record:
            try:
                with open(record, encoding="utf-8") as fh:
                    data = json.load(fh)
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read {record}: {exc}") from None
            self._report(draw_algorithm.verify(data, tasks=data.get("tasks")))
            return
        if not str(plan).isdigit():
            raise CommandError(f"plan must be a number, not {plan!r}")
        found = SpotCheckPlan.objects.filter(pk=int(plan)).first()
        if found is None:
            raise CommandError(f"no spot-check plan {plan}")
        data = draw_record(found, with_openings=True, with_tasks=True)
        if data is None:
            raise CommandError(f"plan {plan} is not approved yet: nothing is frozen to verify")
        if not data["seed"]:
            raise CommandError(f"plan {plan} is not drawn yet: the seed is still secret (commitment {data['commitment']})")
        if dump:
            with open(dump, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, sort_keys=True)
        self._report(draw_algorithm.verify(data, tasks=data["tasks"]))

    def _report(self, problems: list[str]) -> None:
        if problems:
            raise CommandError(f"MISMATCH: {problems[0]}")
        self.stdout.write("OK")
