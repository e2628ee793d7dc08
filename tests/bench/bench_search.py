"""Benchmark: uncached city-wide searches with random two- and three-character Chinese words (issue #15).

Run with ``make bench PYTEST_ARGS="-k search"`` on PostgreSQL. Seeds ``seed_demo --merchants $BENCH_MERCHANTS``
(default 140,000; ``--seed 1`` as the page benchmark), starts gunicorn (4 workers, DEBUG off, the Redis cache
of ``REDIS_URL``/``CACHE_URL`` if set) and loads, with 16 connections for ``BENCH_SECONDS`` each:

* ``/healthz/`` — the trivial view, the ceiling;
* ``/merchants/?q=<word>`` — the directory (default: operating entities, relevance order);
* ``/api/v1/merchants/?search=<word>`` — the open-data API.

Every request draws its word at random from a pool of distinct two- and three-character Chinese substrings of
the seeded names and addresses, the two wrk threads walking the pool from a random start so that no word is
asked twice in a run while the run's requests are fewer than the pool's words (both printed). The page cache
stores a search only from a worker's second request for it within 60 s (and looks a search up only then), so
every request is a miss but for words asked again from an earlier run: the measured path is the query and the
rendering. Redis's read hits in each run are printed as the bound on answers served from the cache. Before the load, the SQL of a 2- and a
3-character directory search is shown with ``EXPLAIN (ANALYZE, BUFFERS)``. After the load, the CPU each URL's
requests cost is printed per request and by process (gunicorn, PostgreSQL, Redis, wrk: ``/proc`` and the
finished children's rusage; the two cores are the budget). Targets at 140k: p95 ≤ 50 ms and
throughput ≥ 30 % of the trivial view; at 1.4M p95 ≤ 100 ms. ``BENCH_KEEP_DB=1`` keeps the seeded database
(``--reuse-db``) for a second run without seeding.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from .bench_pages import CONNECTIONS, ROOT, SECONDS, WRK_LUA, _free_port  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = int(os.environ.get("BENCH_MERCHANTS", "140000"))
POOL = int(os.environ.get("BENCH_WORDS", "20000"))
#: Rounds of every URL (``BENCH_ROUNDS``): a share is read against /healthz/ of the same round, and the median
#: of the rounds reported — on a shared VM the CPU's speed drifts by ±20 % within a minute (docs/BENCHMARKS.md §7).
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS", "1")))
CJK = re.compile(r"^[\u4e00-\u9fff]+$")

WRK_LUA_WORDS = """
local created = 0
setup = function(thread)
  created = created + 1
  thread:set("tid", created)
end
init = function(args)
  nexti = START + tid - 1
end
request = function()
  local word = WORDS[nexti % #WORDS + 1]
  nexti = nexti + 2
  return wrk.format(nil, PREFIX .. word)
end
"""
# The two wrk threads walk the pool from a random start, taking its words in turn (thread 1 the odd, thread 2
# the even places): no word is asked twice in a run until the pool runs out (the table prints the requests
# beside the pool's size). Drawn at random with repetition, a 10 s run at ~800 requests/s asked a third of its
# words again within the page cache's 60 s window, and some of those were served from the cache.


def _word_pool(size: int, seed: int = 15) -> list[str]:
    """Distinct 2- and 3-character Chinese substrings of the seeded names and addresses (half each)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, address FROM merchants_merchant TABLESAMPLE SYSTEM (10) LIMIT 20000")
        texts = [t for row in cursor.fetchall() for t in row]
    words = {2: set(), 3: set()}
    for text in texts:
        for n in (2, 3):
            for i in range(len(text) - n + 1):
                w = text[i : i + n]
                if CJK.match(w):
                    words[n].add(w)
    rng = random.Random(seed)
    pool = []
    for n in (2, 3):
        chosen = sorted(words[n])
        rng.shuffle(chosen)
        pool.extend(chosen[: size // 2])
    return pool


def _wrk(port: int, prefix: str, words: list[str] | None, seconds: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        if words is not None:
            quoted = ",".join('"' + urllib.parse.quote(w) + '"' for w in words)
            start = random.SystemRandom().randrange(len(words))
            script.write(f'PREFIX = "{prefix}"\nSTART = {start}\nWORDS = {{{quoted}}}\n')
            script.write(WRK_LUA_WORDS)
        script.write(WRK_LUA)
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            script.name,
            f"http://127.0.0.1:{port}{prefix if words is None else '/'}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    m = re.search(r"BENCH p50=([\d.]+) p95=([\d.]+) rps=([\d.]+) errors=(\d+) socket=(\d+)", out)
    return {
        "p50": float(m[1]),
        "p95": float(m[2]),
        "rps": float(m[3]),
        "errors": int(m[4]),
        "socket": int(m[5]),
    }


def _explain(word: str) -> str:
    try:
        from merchants.selectors.register import public_merchants
        from merchants.selectors.search import merchant_search_ranked
    except ImportError:  # the code before the search index: the directory's icontains
        from merchants.selectors.register import public_merchants

        qs = public_merchants().filter(name__icontains=word)[:20]
        sql, params = qs.query.sql_with_params()
    else:  # the candidates' query; the page then reads its 20 rows by primary key
        ranked = merchant_search_ranked(public_merchants().filter(status="operating"), word)
        sql, params = ranked.candidates_sql()
    try:
        from merchants.selectors.search_page import GENERIC_PLAN_SQL, SearchPages
    except ImportError:  # the code before the one-statement page
        return _explain_sql(sql, params)
    return _explain_search_page(word, SearchPages, GENERIC_PLAN_SQL)


def _explain_search_page(word: str, pages_class, generic_plan_sql: str) -> str:
    """The directory's page of a search as the shell runs it: the prepared statement on its generic plan."""
    from django.db import transaction

    from merchants.search import query_grams
    from merchants.selectors.register import public_merchants
    from merchants.selectors.search import SearchQuery
    from merchants.views.directory import CARD_COLUMNS, PAGE_SIZE

    pages = pages_class(
        public_merchants().filter(status="operating"), "relevance", CARD_COLUMNS, per_page=PAGE_SIZE
    )
    query = SearchQuery(word)
    pages(query, 1)  # prepares it on this connection
    values = {"text": query.text, "grams": list(query_grams(query.text)), "offset": 0}
    params = [values.get(kind, value) for kind, value in pages.slots]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(generic_plan_sql + "SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + pages.statement.execute_sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _explain_sql(sql: str, params) -> str:
    """EXPLAIN ANALYZE as the view runs the query: without parallel workers where the code says so."""
    try:
        from merchants.selectors.search import serial_plan
    except ImportError:  # the code before serial plans
        serial_plan = None
    plan = serial_plan(connection.alias) if serial_plan else contextlib.nullcontext()
    with plan, connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def _explain_api(word: str) -> str:
    """The API's first page of a search as the view runs it: ``SearchRows``' prepared statement on its generic
    plan, with the window the view would choose (shown first); before it, the keys in id order."""
    try:
        from merchants.selectors import search_api
    except ImportError:  # pragma: no cover
        search_api = None
    if search_api is None or not hasattr(search_api, "SearchRows"):  # the code before the one statement
        from merchants.selectors.register import public_merchant_keys
        from merchants.selectors.search import merchant_search_filter

        sql, params = merchant_search_filter(public_merchant_keys().order_by("-id"), word)[
            :51
        ].query.sql_with_params()
        return _explain_sql(sql, params)
    from django.db import transaction

    from merchants.search import query_grams
    from merchants.selectors.open_data_json import zone_name

    statement = search_api.SearchRows(connection.alias, ascending=False, zone=zone_name())
    window = search_api.window_size(word, connection.alias, 51)
    params = [2**63 - 1, window, word, 51, list(query_grams(word)), *statement.params]
    # prepares it on this connection (its generic plan), as the view's first search does
    statement(connection.alias, after=params[0], window=window, text=word, grams=params[4], want=51)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(search_api._PREFIX.strip().rstrip(";"))
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.statement.execute_sql, params)
        return f"window {window}\n" + "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture(scope="module")
def search_server(django_db_setup, django_db_blocker):
    if not settings.IS_POSTGRES:
        pytest.skip("search benchmark needs PostgreSQL: set DATABASE_URL")
    if not shutil.which("wrk"):
        pytest.skip("search benchmark needs wrk (apt-get install wrk)")
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM merchants_merchant")
            have = cursor.fetchone()[0]
        if have < COUNT:
            started = time.perf_counter()
            call_command("seed_demo", merchants=COUNT, seed=1, verbosity=0)
            print(f"\nseed_demo --merchants {COUNT}: {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE merchants_merchant")
            cursor.execute("SELECT count(*) FROM merchants_merchant")
            print(f"merchants: {cursor.fetchone()[0]}")
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_size_pretty(pg_relation_size(indexrelid)) FROM pg_index "
                "WHERE indrelid = 'merchants_merchant'::regclass ORDER BY 1"
            )
            print("indexes: " + ", ".join(f"{n} {s}" for n, s in cursor.fetchall()))
        words = _word_pool(POOL)
        print(f"word pool: {len(words)} distinct words ({sum(len(w) == 2 for w in words)} of two characters)")
        for word in ("五金", "火锅店"):
            started = time.perf_counter()
            plan = _explain(word)
            print(
                f"\nEXPLAIN ANALYZE, directory search {word!r} ({(time.perf_counter() - started) * 1000:.1f} ms):\n{plan}"
            )
            with contextlib.suppress(ImportError):  # the code before the keys-first API paging
                print(f"\nEXPLAIN ANALYZE, API search {word!r}, first page:\n{_explain_api(word)}")
        db = connection.settings_dict
        connection.close()
    port = _free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        DEBUG="false",
        SECRET_KEY="bench-only-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        CONN_MAX_AGE="600",
        API_ANON_RATE="1000000/second",
        API_USER_RATE="1000000/second",
        LOG_LEVEL="WARNING",
        # gunicorn reads ./gunicorn.conf.py, as in production: its worker recycling (max_requests 2,000) forks a
        # new worker from the preloaded master (preload_app). Before preloading each recycled worker re-imported
        # the app, seconds of CPU that stalled whole runs, and the benchmark turned recycling off; with it, the
        # benchmark measures the deployed configuration (docs/BENCHMARKS.md §7, ninth pass).
        GUNICORN_LOGLEVEL="warning",
    )
    server = subprocess.Popen(
        [
            sys_executable(),
            "-m",
            "gunicorn",
            "integrity_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        import http.client

        for _ in range(300):  # until a worker answers (a loaded machine takes a while to import the app)
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz/")
                if probe.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        yield port, words, server.pid, lambda: _stop_server(server)
    finally:
        _stop_server(server)


def _stop_server(server) -> None:
    """Stop gunicorn (its process group) and wait for it. The test calls it itself before it returns: the
    transactional test's table flush comes before this module fixture's teardown, and a request still in a
    worker then met the ``TRUNCATE`` (a deadlock, logged as a 500 after the measurement)."""
    import signal

    if server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=20)


def _cpu_by_process(server_group: int) -> dict[str, float]:
    """CPU seconds used so far by the server's processes (its process group), PostgreSQL, Redis and wrk:
    read before and after a run, the difference per request says where an answer's CPU goes (two cores).

    A process's own time plus its reaped children's (``cutime``/``cstime``): a worker that gunicorn recycles,
    or the PostgreSQL backend its connection had, leaves ``/proc`` within the run, and its CPU is then counted
    in its parent's children's time (the gunicorn master, the postmaster), so the difference never goes
    negative."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {"gunicorn": 0.0, "postgres": 0.0, "redis": 0.0, "wrk": 0.0}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        seconds = sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
        if int(fields[2]) == server_group:
            used["gunicorn"] += seconds
        elif name.startswith("postgres"):
            used["postgres"] += seconds
        elif name.startswith("redis-server"):
            used["redis"] += seconds
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk: a finished child of this process
    used["wrk"] = children.ru_utime + children.ru_stime
    return used


def _redis_read_hits() -> int:
    """Redis's count of reads that found their key (``keyspace_hits``, every database of the server): during
    a run, a bound on the answers served from the page cache — the run's other reads (the pages version, a
    few per second) count too. 0 without Redis."""
    url = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
    if not url or not url.startswith("redis"):
        return 0
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("stats")["keyspace_hits"])
    finally:
        client.close()


def sys_executable() -> str:
    import sys

    return sys.executable


def test_uncached_city_wide_searches_under_16_clients(search_server):
    port, words, server_group, stop_server = search_server
    runs = {
        "trivial view /healthz/": ("/healthz/", None),
        "trivial Django view /robots.txt": ("/robots.txt", None),
        "directory /merchants/?q=<word>": ("/merchants/?q=", words),
        "API /api/v1/merchants/?search=<word>": ("/api/v1/merchants/?search=", words),
    }
    import http.client

    probe = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    probe.request("GET", "/robots.txt")
    if probe.getresponse().status != 200:  # the code before /robots.txt (a "before" run in a worktree)
        del runs["trivial Django view /robots.txt"]
    rounds = []
    # Each URL once per round: on a shared VM the CPU's speed drifts by the minute.
    for _round in range(ROUNDS):
        results, cpu = {}, {}
        for label, (prefix, pool) in runs.items():
            _wrk(port, prefix, pool, 2)  # warm connections and workers
            before, hits_before = _cpu_by_process(server_group), _redis_read_hits()
            results[label] = _wrk(port, prefix, pool, SECONDS)
            after = _cpu_by_process(server_group)
            results[label]["redis_hits"] = _redis_read_hits() - hits_before
            requests = max(1.0, results[label]["rps"] * SECONDS)
            cpu[label] = {name: 1000 * (after[name] - before[name]) / requests for name in before}
        rounds.append((results, cpu))
    stop_server()  # before the transactional test's table flush (see ``_stop_server``)
    for number, (results, cpu) in enumerate(rounds, 1):
        if ROUNDS > 1:
            print(f"\nround {number} of {ROUNDS}")
        _print_round(results, cpu)
    if ROUNDS > 1:
        print(f"\nmedian of {ROUNDS} rounds (share of /healthz/ in the same round)   p95 ms   % healthz   (min-max)")
        for label in runs:
            shares = sorted(100 * r[label]["rps"] / r["trivial view /healthz/"]["rps"] for r, _cpu in rounds)
            p95 = statistics.median(r[label]["p95"] for r, _cpu in rounds)
            print(
                f"{label:45} {p95:8.1f} {statistics.median(shares):9.1f}%   ({shares[0]:.1f} – {shares[-1]:.1f})"
            )
    for results, _cpu in rounds:
        for label, r in results.items():
            assert r["errors"] <= max(CONNECTIONS, 0.001 * r["rps"] * SECONDS), f"{label}: {r['errors']} failed"


def _print_round(results: dict, cpu: dict) -> None:
    ceiling = results["trivial view /healthz/"]["rps"]
    django_view = results.get("trivial Django view /robots.txt", {"rps": float("nan")})["rps"]
    print(
        f"\n{'URL':45} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>9} {'% healthz':>10} {'% robots':>9} non-2xx socket"
        "  requests  Redis hits"
    )
    for label, r in results.items():
        print(
            f"{label:45} {r['p50']:8.1f} {r['p95']:8.1f} {r['rps']:9.1f} {100 * r['rps'] / ceiling:9.1f}% "
            f"{100 * r['rps'] / django_view:8.1f}% {r['errors']:7d} {r['socket']:6d} {r['rps'] * SECONDS:9.0f}"
            f" {r['redis_hits']:11d}"
        )
    print(f"\nCPU ms per request (/proc, 10 ms ticks) {'':14} gunicorn postgres   redis     wrk   total")
    for label, used in cpu.items():
        print(
            f"{label:45} {used['gunicorn']:8.2f} {used['postgres']:8.2f} {used['redis']:7.2f} {used['wrk']:7.2f}"
            f" {sum(used.values()):7.2f}"
        )
