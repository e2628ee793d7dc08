"""In-process cost of one uncached search request: CPU milliseconds of Python and of its PostgreSQL backend.

Under 16 clients on two shared cores the HTTP benchmark (``bench_search.py``) mostly measures the queue; the
CPU a request costs is what decides the throughput, and is much less disturbed by other processes' load.
Run against an already seeded database (``seed_demo --merchants 140000 --seed 1``), DEBUG off:

    DATABASE_URL=postgres://…/ip_bench140k REDIS_URL=redis://127.0.0.1:6379/6 DEBUG=false SECRET_KEY=x \\
      .venv/bin/python tests/bench/profile_search.py [REQUESTS] [page|api] [--cprofile]

Each request asks a different word (two- and three-character Chinese substrings of the seeded names and
addresses, as the benchmark; the cache is cleared first: use a cache of your own), through the Django test client (every middleware, the page cache's reads and
its admission filter: a first request is never served from the cache). Prints, per URL: wall p50/p95, Python
CPU (``time.process_time``) p50/p95/mean, the backend's CPU (``/proc/<pid>/stat`` of ``pg_backend_pid()``,
so the database server must run on this machine) per request, and the queries per request.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integrity_portal.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

CJK = re.compile(r"^[\u4e00-\u9fff]+$")
URLS = {"page": ("/merchants/", "q"), "api": ("/api/v1/merchants/", "search")}


def words(seed: int = 15, per_length: int = 2000) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, address FROM merchants_merchant ORDER BY id LIMIT 20000")
        texts = [t for row in cursor.fetchall() for t in row]
    found: dict[int, set[str]] = {2: set(), 3: set()}
    for text in texts:
        for n in (2, 3):
            found[n].update(w for i in range(len(text) - n + 1) if CJK.match(w := text[i : i + n]))
    rng = random.Random(seed)
    out = []
    for n in (2, 3):
        chosen = sorted(found[n])
        rng.shuffle(chosen)
        out.extend(chosen[:per_length])
    rng.shuffle(out)
    return out


def backend_cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 200
    only = args[1] if len(args) > 1 else ""
    pool = words()
    cache.clear()  # the API stores an answer at its first request: a second run would read them
    client = Client()
    for word in pool[-5:]:  # imports, templates, connections
        for path, param in URLS.values():
            client.get(path, {param: word})
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    for label, (path, param) in URLS.items():
        if only and only != label:
            continue
        profile = cProfile.Profile() if "--cprofile" in sys.argv else None
        wall, cpu, queries = [], [], []
        backend_before = backend_cpu_ms(backend)
        for word in pool[:count]:
            with CaptureQueriesContext(connection) as captured:
                t0, c0 = time.perf_counter(), time.process_time()
                if profile:
                    profile.enable()
                response = client.get(path, {param: word})
                if profile:
                    profile.disable()
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200, (word, response.status_code)
            queries.append(len(captured.captured_queries))
        db_cpu = (backend_cpu_ms(backend) - backend_before) / count

        def q(values, p):
            return statistics.quantiles(values, n=100)[p - 1]

        print(
            f"{label}: {count} requests | wall p50 {q(wall, 50):.1f} p95 {q(wall, 95):.1f} ms | Python CPU p50 "
            f"{q(cpu, 50):.1f} p95 {q(cpu, 95):.1f} mean {statistics.mean(cpu):.1f} ms | PostgreSQL CPU mean "
            f"{db_cpu:.1f} ms | total CPU mean {statistics.mean(cpu) + db_cpu:.1f} ms | queries "
            f"{min(queries)}–{max(queries)}"
        )
        if profile:
            pstats.Stats(profile).sort_stats(os.environ.get("NSORT", "cumulative")).print_stats(int(os.environ.get("NSTATS", 40)))


if __name__ == "__main__":
    main()
