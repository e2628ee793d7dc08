"""``manage.py recompute_ratings [--region CODE] [--stale-only] [--fan-out]``: the same service the tasks call.

``--fan-out`` queues one task per district (a Celery group) and waits for the results, so the
work spreads over every worker on the broker instead of running in this process."""

from __future__ import annotations

import resource

from django.core.management.base import BaseCommand, CommandError

from integrity_portal.core.errors import DomainError
from merchants.regions import region_exists
from merchants.services.rating import ratings_recompute


def _peak_rss_mb() -> float:
    """This process's own peak resident memory.

    ``/proc/self/status`` ``VmHWM`` where there is one: Linux carries ``ru_maxrss`` over ``exec`` from the
    process that forked this one, so a command started by a large parent (a benchmark that seeded 1.4M
    entities) would report the parent's peak, not its own.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Recompute star ratings in set-based SQL (all merchants, one region, or only stale ones)."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="GB/T 2260 code; the region and its descendants")
        parser.add_argument("--stale-only", action="store_true", help="only merchants flagged rating_stale")
        parser.add_argument(
            "--fan-out", action="store_true", help="one Celery task per district, run by the workers"
        )
        parser.add_argument(
            "--timeout", type=int, default=1800, help="seconds to wait for the fan-out (default 1800)"
        )

    def handle(self, *args, region=None, stale_only=False, fan_out=False, timeout=1800, **options):
        if region and not region_exists(region):
            raise CommandError(f"unknown region code: {region}")
        if fan_out:
            if stale_only:
                raise CommandError(
                    "--fan-out recomputes whole districts; it cannot be combined with --stale-only"
                )
            return self._fan_out(region, timeout)
        try:
            result = ratings_recompute(region_code=region, stale_only=stale_only, actor=None)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        peak_mb = _peak_rss_mb()
        self.stdout.write(
            f"considered={result.considered} changed={result.changed} history_rows={result.history_rows} "
            f"rated={result.rated} seconds={result.seconds:.3f} peak_rss_mb={peak_mb:.0f}"
        )

    def _fan_out(self, region, timeout: int) -> None:
        import time

        from merchants.tasks import recompute_ratings_fan_out

        started = time.perf_counter()
        results = recompute_ratings_fan_out(region).get(timeout=timeout, disable_sync_subtasks=False)
        self.stdout.write(
            f"districts={len(results)} considered={sum(r['considered'] for r in results)} "
            f"changed={sum(r['changed'] for r in results)} "
            f"history_rows={sum(r['history_rows'] for r in results)} "
            f"rated={sum(r['rated'] for r in results)} "
            f"slowest_district_seconds={max((r['seconds'] for r in results), default=0):.3f} "
            f"seconds={time.perf_counter() - started:.3f}"
        )
