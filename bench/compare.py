"""Side-by-side HTTP benchmark: mzhub against PostGraphile 5 on the same PostgreSQL tables.

    .venv/bin/python bench/compare.py --residents 200000 --seconds 10 --rounds 3 --concurrency 10

One page for every server: the first 50 residents of a township (ordered by id), each with
their cases (by id), each case with its entitlement and that entitlement's last 12 payments.

1. Creates the database `mzhub_bench_compare` (--reuse keeps an already seeded one), migrates
   and seeds it, and keeps it afterwards (--drop removes it).
2. Picks a township with at least --min-paid residents who have paid entitlements, preferring
   the one whose first page holds the most payments.
3. Starts the servers: mzhub (bench/serve_hub.py, one uvicorn worker each) as (a) compiled reads
   + policy + audit, (b) compiled, policy and audit off, (c) compiled + policy, audit off,
   (d) resolver path + policy + audit; (e) PostGraphile 5 on Node 22 (bench/postgraphile, a
   Node 22 binary from the npm registry is installed under bench/.work/node22 if the machine's
   node is older). (f) is PostgreSQL alone: pgbench running bench/postgraphile/page.sql, one
   statement building the same JSON. (g) is (a) with two worker processes. (h) is (a) with its
   audit events built but not written (the server's share of the audit's cost, against (c) and
   (a)). (i) is (f) with one audit event appended to the chain after each page, as a database
   doing the audit itself would (its events are synthetic: `audit_append` with fixed texts).
4. Checks that every server returns the same residents, cases and payments (exit 1 if not).
5. Drives each server with wrk (-t2, --concurrency connections, --latency) in alternating
   rounds (a, b, ..., g, then again), after a short warm-up each (and after waiting for the
   requests a wrk run abandons to finish), and samples the server
   process's CPU time (/proc/<pid>/stat) and that of the PostgreSQL backends serving the bench
   database around each run.
6. Prints requests/s (median of rounds), p50 and p99 latency, CPU ms per request and the ratios
   to PostGraphile and to PostgreSQL alone.

Load generator, servers and PostgreSQL share the machine: compare figures of one run only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg2  # type: ignore[import-untyped]
from seed_bench import DEFAULT_ADMIN_URL, create_database, drop_database
from serve_hub import bench_settings
from sqlalchemy.engine import URL, make_url

from hub.auth.keys import KeyStore
from hub.auth.tokens import issue_access_token
from hub.db.migrate import upgrade
from hub.domain.clock import SystemClock
from hub.seed import database_is_seeded, run_seed

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
PGL_DIR = BENCH / "postgraphile"
PAGE_SQL = PGL_DIR / "page.sql"
DB_NAME = "mzhub_bench_compare"
PAGE_SIZE = 50

HUB_QUERY = """query Page($division: String!) {
  residents(first: 50, filter: {divisionCode: $division}) {
    edges { node { id name idNumber phone address
      cases { id caseNumber status submittedAt
        entitlement { id monthlyAmount payments(last: 12) { id period amount status } } } } }
  }
}"""

# The same page in PostGraphile's schema (amber preset, default inflection). `divisionCodeUnder`
# is the table condition bench/postgraphile/graphile.config.mjs adds; `entitlementByCaseId` is
# the backward relation over the unique entitlements.case_id; `last: 12` with PRIMARY_KEY_ASC
# reads the 12 highest ids and returns them in ascending order.
PGL_QUERY = """query Page($division: String!) {
  allResidents(first: 50, orderBy: PRIMARY_KEY_ASC, condition: {divisionCodeUnder: $division}) {
    edges { node { id name idNumber phone address
      casesByApplicantId(orderBy: PRIMARY_KEY_ASC) { nodes { id caseNumber status submittedAt
        entitlementByCaseId { id monthlyAmount
          paymentsByEntitlementId(last: 12, orderBy: PRIMARY_KEY_ASC) {
            nodes { id period amount status } } } } } } }
  }
}"""

# A township (9-digit prefix) with at least `min_paid` residents holding a paid entitlement;
# among them the one whose first page (50 residents by id) holds the most payments and cases.
PICK_TOWNSHIP = """
with paid as (
  select left(r.division_code, 9) as township, count(distinct r.id) as residents
  from residents as r
  join cases as c on c.applicant_id = r.id
  join entitlements as e on e.case_id = c.id
  where exists (select 1 from payments as p where p.entitlement_id = e.id)
  group by 1
), numbered as (
  select id, left(division_code, 9) as township,
         row_number() over (partition by left(division_code, 9) order by id) as n
  from residents
), first_page as (
  select numbered.township, count(distinct c.id) as cases, count(p.id) as payments
  from numbered
  left join cases as c on c.applicant_id = numbered.id
  left join entitlements as e on e.case_id = c.id
  left join payments as p on p.entitlement_id = e.id
  where numbered.n <= %(page)s
  group by 1
)
select paid.township, paid.residents
from paid
join first_page using (township)
join divisions as d on d.code = paid.township || '000' and d.level = 4
order by paid.residents >= %(min_paid)s desc, first_page.payments desc, first_page.cases desc,
         paid.township
limit 1
"""

LUA_TEMPLATE = """-- generated by bench/compare.py
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
{auth}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  gql_errors = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif body ~= nil and string.find(body, '"errors"', 1, true) then
    gql_errors = gql_errors + 1
  end
end

function done(summary, latency, requests)
  local bad, errs = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    errs = errs + thread:get("gql_errors")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non200": %d, ' ..
    '"gql_errors": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    errs, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    kind: str  # "hub", "postgraphile" or "pgbench"
    compiled: bool = True
    policy: bool = True
    audit: str = "on"  # serve_hub.py --audit: on, off or unwritten
    workers: int = 1
    audited: bool = False  # pgbench: each page followed by an audit_append
    prepared: bool = True  # serve_hub.py --prepared


VARIANTS = (
    Variant("a", "mzhub compiled + policy + audit", "hub"),
    Variant("b", "mzhub compiled, policy/audit off", "hub", policy=False, audit="off"),
    Variant("c", "mzhub compiled + policy, audit off", "hub", audit="off"),
    Variant("d", "mzhub resolvers + policy + audit", "hub", compiled=False),
    Variant("e", "PostGraphile 5", "postgraphile"),
    Variant("f", "PostgreSQL alone (pgbench)", "pgbench"),
    # The shipped containers run two workers (deploy/Dockerfile): several processes append
    # to one audit chain.
    Variant("g", "mzhub as a, 2 worker processes", "hub", workers=2),
    Variant("h", "mzhub as a, audit events not written", "hub", audit="unwritten"),
    Variant("i", "PostgreSQL alone + audit append", "pgbench", audited=True),
    Variant("j", "mzhub as a, prepared reads off", "hub", prepared=False),
)


@dataclass
class Sample:
    """One measured run of one variant."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    server_cpu_ms: float | None = None  # per request
    pg_cpu_ms: float | None = None  # per request
    others: float = 0.0  # share of the machine's CPU used by other processes meanwhile
    idle: float = 0.0  # share of the machine's CPU left idle meanwhile (waits, not work)
    bad: int = 0


@dataclass
class Server:
    variant: Variant
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    script: Path | None = None  # the wrk script

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"


@dataclass(frozen=True)
class Target:
    township: str  # 9 digits
    paid_residents: int

    @property
    def division(self) -> str:
        return self.township + "000"

    @property
    def county(self) -> str:
        return self.township[:6] + "000000"

    @property
    def low_high(self) -> tuple[str, str]:
        return self.township.ljust(12, "0"), self.township.ljust(12, "9")


class BenchFailure(RuntimeError):
    """A step that cannot go on; main prints the message and exits 1."""


# -- database ---------------------------------------------------------------------------------


def libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def database_exists(admin_url: str, name: str) -> bool:
    with contextlib.closing(psycopg2.connect(admin_url)) as conn, conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (name,))
        return cur.fetchone() is not None


def resident_count(url: URL) -> int:
    with contextlib.closing(psycopg2.connect(libpq_url(url))) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from residents")
        return int(cur.fetchone()[0])


def reusable(url: URL, residents: int) -> bool:
    """Whether the kept database migrates to the current schema and holds this seed."""
    async_url = url.render_as_string(hide_password=False)
    try:
        upgrade(async_url)
    except Exception as exc:  # a migration the kept database cannot take: start over
        print(f"migrating the kept database failed: {str(exc).splitlines()[0]}")
        return False
    return asyncio.run(database_is_seeded(async_url)) and resident_count(url) == residents


def prepare_database(args: argparse.Namespace) -> URL:
    """The seeded bench database: reused when asked and seeded alike, else made afresh."""
    url = make_url(args.admin_url).set(drivername="postgresql+asyncpg", database=DB_NAME)
    async_url = url.render_as_string(hide_password=False)
    if args.reuse and database_exists(args.admin_url, DB_NAME):
        if reusable(url, args.residents):
            print(f"reusing database {DB_NAME} ({args.residents:,} residents)")
            return url
        print(f"database {DB_NAME} cannot be reused as is: making it afresh")
    drop_database(args.admin_url, DB_NAME)
    create_database(args.admin_url, DB_NAME)
    upgrade(async_url)
    started = time.perf_counter()
    asyncio.run(run_seed(async_url, args.residents, args.seed))
    with contextlib.closing(psycopg2.connect(libpq_url(url))) as conn:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("vacuum analyze")
    print(
        f"seeded {args.residents:,} residents into {DB_NAME} in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return url


def pick_township(url: URL, min_paid: int) -> Target:
    with contextlib.closing(psycopg2.connect(libpq_url(url))) as conn, conn.cursor() as cur:
        cur.execute(PICK_TOWNSHIP, {"page": PAGE_SIZE, "min_paid": min_paid})
        row = cur.fetchone()
    if row is None:
        raise BenchFailure("no township has a resident with a paid entitlement; seed more")
    target = Target(row[0], int(row[1]))
    if target.paid_residents < min_paid:
        print(
            f"note: no township has {min_paid} residents with paid entitlements at this "
            f"scale; using the best one ({target.paid_residents})"
        )
    return target


def page_sql() -> str:
    """page.sql with its pgbench variables (:low, :high) as psycopg2 parameters."""
    text = PAGE_SQL.read_text(encoding="utf-8")
    return re.sub(r"(?<![:\w]):(low|high)\b", r"%(\1)s", text)


# (i): after each page, one event appended to the chain by the hub's own `audit_append`, with
# texts of a page's sizes (a 16 KB resource list, 10 division codes); the hashes
# are consistent but the events are not the canonical JSON of anything (a synthetic chain).
_RESOURCE = (
    '{"divisionCode":"640122001001","fields":[{"field":"address","grant":"MASKED"},'
    '{"field":"idNumber","grant":"MASKED"},{"field":"name","grant":"FULL"},'
    '{"field":"phone","grant":"MASKED"}],"id":"UmVzaWRlbnQ6NjA","type":"Resident"}'
)
_HEAD = (
    '{"actor":{"clientId":"bench-compare","department":"human_resources",'
    '"division":"640122000000","roles":[],"subject":"bench-compare"},'
    '"at":"2026-11-28T00:00:00.000000Z","documentHash":"' + "ab" * 32 + '",'
    '"operationKind":"QUERY","operationName":"Page","outcome":"OK","policyVersion":"bench",'
    '"prevHash":"'
)
_SYNTHETIC_EVENT = (
    "now()", "bench-compare", "bench-compare", "human_resources", "640122000000", None,
    "QUERY", "Page", "ab" * 32, '{"division":"640122001000"}', None, "OK", "bench",
    "[" + ",".join([_RESOURCE] * 71) + "]",
    "".join(f" 6401220010{n:02d}" for n in range(1, 11)),
    _HEAD, '","purpose":null,"resources":', ',"variables":{"division":"640122001000"}}',
)  # fmt: skip


def _sql_array(value: str | None, kind: str) -> str:
    if value is None:
        return f"array[null::{kind}]"
    if value == "now()":
        return "array[now()]"
    # pgbench reads `:name` as a variable, inside string literals too: colons as escapes.
    escaped = value.replace("\\", "\\\\").replace("'", "''").replace(":", "\\x3a")
    return f"array[E'{escaped}'::{kind}]"


AUDIT_APPEND_SQL = "select out_seq from audit_append({});".format(  # noqa: S608 - constants
    ", ".join(
        _sql_array(value, "json" if n == 9 else "text") for n, value in enumerate(_SYNTHETIC_EVENT)
    )
)


def audited_page_script() -> Path:
    """page.sql, then the audit append: the pgbench script of (i)."""
    script = WORK / "pgbench" / "page-audited.sql"
    script.parent.mkdir(parents=True, exist_ok=True)
    page = PAGE_SQL.read_text(encoding="utf-8").rstrip()
    script.write_text(page + "\n" + AUDIT_APPEND_SQL.strip() + "\n", encoding="utf-8")
    return script


def database_page(url: URL, target: Target) -> dict[str, Any]:
    low, high = target.low_high
    with contextlib.closing(psycopg2.connect(libpq_url(url))) as conn, conn.cursor() as cur:
        cur.execute(page_sql(), {"low": low, "high": high})
        value = cur.fetchone()[0]
    return value if isinstance(value, dict) else json.loads(value)


# -- tools ------------------------------------------------------------------------------------


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, check=True, text=True, **kwargs)
    except subprocess.CalledProcessError as exc:
        output = "\n".join(part for part in (exc.stdout, exc.stderr) if part)
        raise BenchFailure(f"{' '.join(cmd)} exited {exc.returncode}\n{output}") from exc


def node_major(node: str) -> int:
    version = run([node, "--version"], capture_output=True).stdout.strip()
    return int(version.lstrip("v").split(".")[0])


def ensure_node22(explicit: str | None) -> str:
    """A Node >= 22 binary: --node, the machine's node, or node-linux-<arch>@22 from npm."""
    if explicit:
        if node_major(explicit) < 22:
            raise BenchFailure(f"--node {explicit} is older than Node 22")
        return explicit
    system = shutil.which("node")
    if system and node_major(system) >= 22:
        return system
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    package = f"node-linux-{arch}"
    prefix = WORK / "node22"
    node = prefix / "node_modules" / package / "bin" / "node"
    if not node.exists():
        print(f"installing {package}@22 into {prefix.relative_to(ROOT)}")
        prefix.mkdir(parents=True, exist_ok=True)
        run(
            [
                "npm",
                "install",
                "--prefix",
                str(prefix),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"{package}@22",
            ]
        )
    return str(node)


def node_env(node: str) -> dict[str, str]:
    """The environment with `node` first on PATH (npm's own scripts then run on it too)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(node).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def ensure_postgraphile(node: str) -> str:
    """`npm ci` in bench/postgraphile when node_modules is missing or older than the lock file;
    returns the installed PostGraphile version."""
    installed = PGL_DIR / "node_modules" / ".package-lock.json"
    lock = PGL_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        print("npm ci in bench/postgraphile")
        run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PGL_DIR, env=node_env(node))
    meta = json.loads((PGL_DIR / "node_modules" / "postgraphile" / "package.json").read_text())
    return str(meta["version"])


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("installing wrk (apt-get)")
    if subprocess.run(["apt-get", "install", "-y", "wrk"], check=False).returncode != 0:
        run(["apt-get", "update"])
        run(["apt-get", "install", "-y", "wrk"])


# -- CPU time from /proc ----------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 2 (comm) may hold spaces; the fields after it start with field 3 (state).
    return raw[raw.rindex(")") + 2 :].split()


def _parents() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            found[int(entry.name)] = int(fields[1])
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process, its live descendants and its reaped children (utime + stime)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    parents = _parents()
    todo, seen = [pid], {pid}
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in seen:
                seen.add(child)
                todo.append(child)
                if child_fields := _stat_fields(child):
                    ticks += int(child_fields[11]) + int(child_fields[12])
    return ticks / TICKS


class BackendMeter:
    """CPU seconds PostgreSQL spends on one database between `start` and `stop`: its backends
    (and autovacuum workers), found by process title, so other databases on the same server
    do not count. A thread samples them every `interval` seconds; a backend that exits during
    the run (pgbench's, at its end) counts up to its last sample."""

    def __init__(self, database: str, interval: float = 0.25) -> None:
        self.title = re.compile(rf"^postgres: .*\s{re.escape(database)}(\s|$)")
        self.interval = interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def snapshot(self) -> dict[int, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
            except OSError:
                continue
            if self.title.match(title) and (fields := _stat_fields(int(entry.name))):
                found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICKS
        return found

    def _sample(self) -> None:
        while not self.stopping.wait(self.interval):
            self.last.update(self.snapshot())

    def start(self) -> None:
        self.first = self.snapshot()
        self.last = dict(self.first)
        self.stopping.clear()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def stop(self) -> float | None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
        self.last.update(self.snapshot())
        if not self.last:
            return None  # no backend visible: PostgreSQL runs elsewhere
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())


class CpuMeter:
    """CPU seconds of a process tree between `start` and `stop`."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.began = 0.0

    def start(self) -> None:
        self.began = tree_cpu_seconds(self.pid)

    def stop(self) -> float:
        return tree_cpu_seconds(self.pid) - self.began


def machine_busy_seconds() -> float:
    """CPU seconds all processors spent busy since boot (/proc/stat, not idle nor iowait)."""
    ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICKS


def own_seconds() -> float:
    """CPU seconds of this script and its finished children (wrk, pgbench)."""
    me, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Usage:
    server: float | None  # CPU seconds of the server process
    database: float | None  # CPU seconds of the bench database's backends
    others: float  # share of all CPUs other processes used (someone else's load)
    idle: float  # share of all CPUs nobody used (idle or waiting for I/O)


class RunMeter:
    """CPU time around one measured run: the server's, the bench database backends', and what
    the rest of the machine used meanwhile (not counting this script, wrk or pgbench)."""

    def __init__(self, database: BackendMeter, server_pid: int | None) -> None:
        self.database = database
        self.server = CpuMeter(server_pid) if server_pid else None
        self.began = (0.0, 0.0, 0.0)

    def start(self) -> None:
        if self.server:
            self.server.start()
        self.database.start()
        self.began = (time.monotonic(), machine_busy_seconds(), own_seconds())

    def stop(self) -> Usage:
        server = self.server.stop() if self.server else None
        database = self.database.stop()
        elapsed, busy, own = (
            now - then
            for now, then in zip(
                (time.monotonic(), machine_busy_seconds(), own_seconds()), self.began, strict=True
            )
        )
        others = busy - own - (server or 0.0) - (database or 0.0)
        capacity = elapsed * (os.cpu_count() or 1)
        return Usage(server, database, max(0.0, others) / capacity, max(0.0, 1 - busy / capacity))


# -- servers ----------------------------------------------------------------------------------


def issue_token(url: URL, target: Target) -> str:
    """A county human-resources token: masked phone/address, need-to-know idNumber."""
    settings = bench_settings(url.render_as_string(hide_password=False), compiled=True, policy=True)
    clock = SystemClock()
    keys = KeyStore.load(settings.keys_dir, create_if_missing=True, clock=clock)
    token, _ = issue_access_token(
        keys,
        settings,
        clock,
        subject="bench-compare",
        client_id="bench-compare",
        department="human_resources",
        division=target.county,
        roles=[],
        scopes=[],
        ttl_seconds=12 * 3600,
    )
    return token


def start_server(variant: Variant, port: int, url: URL, node: str) -> Server:
    logs = WORK / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{variant.key}-{variant.kind}.log"
    if variant.kind == "hub":
        cmd = [sys.executable, str(BENCH / "serve_hub.py"),
               "--database-url", url.render_as_string(hide_password=False),
               "--port", str(port),
               "--compiled", "on" if variant.compiled else "off",
               "--policy", "on" if variant.policy else "off",
               "--audit", variant.audit,
               "--prepared", "on" if variant.prepared else "off",
               "--workers", str(variant.workers)]  # fmt: skip
        cwd, env = ROOT, dict(os.environ)
    else:
        cmd = [node, "server.mjs"]
        cwd, env = PGL_DIR, node_env(node)
        env.update(
            DATABASE_URL=libpq_url(url),
            PORT=str(port),
            NODE_ENV="production",
            GRAPHILE_ENV="production",
        )
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(variant, port, process, log)


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def request_body(server: Server, target: Target) -> dict[str, Any]:
    query = HUB_QUERY if server.variant.kind == "hub" else PGL_QUERY
    return {"query": query, "variables": {"division": target.division}}


def request_headers(server: Server, token: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if server.variant.kind == "hub":
        headers["Authorization"] = f"Bearer {token}"
    return headers


def fetch_page(server: Server, target: Target, token: str) -> tuple[dict[str, Any], int]:
    response = httpx.post(
        server.url,
        json=request_body(server, target),
        headers=request_headers(server, token),
        timeout=60,
    )
    if response.status_code != 200:
        raise BenchFailure(
            f"{server.variant.label}: HTTP {response.status_code}: {response.text[:500]}"
        )
    payload = response.json()
    if "errors" in payload:
        raise BenchFailure(
            f"{server.variant.label}: GraphQL errors: "
            f"{json.dumps(payload['errors'], ensure_ascii=False)[:800]}"
        )
    return payload, len(response.content)


def wait_ready(server: Server, target: Target, token: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchFailure(
                f"{server.variant.label} exited ({server.process.returncode}); "
                f"log {server.log}:\n{tail(server.log)}"
            )
        try:
            fetch_page(server, target, token)
            return
        except (httpx.TransportError, BenchFailure) as exc:
            last = str(exc)
        time.sleep(0.5)
    raise BenchFailure(
        f"{server.variant.label} not ready after {timeout:.0f} s ({last}); log "
        f"{server.log}:\n{tail(server.log)}"
    )


def tail(path: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@contextlib.contextmanager
def running(variants: list[Variant], url: URL, node: str, base_port: int) -> Iterator[list[Server]]:
    servers: list[Server] = []
    try:
        for i, variant in enumerate(variants):
            if variant.kind != "pgbench":
                servers.append(start_server(variant, base_port + i, url, node))
        yield servers
    finally:
        for server in servers:
            stop_server(server)


# -- correctness ------------------------------------------------------------------------------

# resident pk -> (name, [(case number, entitlement or None: [(period, amount)])])
Page = dict[int, tuple[str, list[tuple[str, list[tuple[str, Decimal]] | None]]]]


def hub_pk(global_id: str, type_name: str) -> int:
    raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()
    found, _, pk = raw.partition(":")
    if found != type_name:
        raise BenchFailure(f"global id {global_id!r} is not a {type_name}")
    return int(pk)


def pgl_pk(node_id: str, type_name: str) -> int:
    found, pk = json.loads(base64.b64decode(node_id))
    if found != type_name:
        raise BenchFailure(f"node id {node_id!r} is not a {type_name}")
    return int(pk)


def normalise_hub(payload: dict[str, Any]) -> Page:
    page: Page = {}
    for edge in payload["data"]["residents"]["edges"]:
        node = edge["node"]
        cases = []
        for case in node["cases"]:
            ent = case["entitlement"]
            payments = (
                None
                if ent is None
                else [(p["period"], Decimal(str(p["amount"]))) for p in ent["payments"]]
            )
            cases.append((case["caseNumber"], payments))
        page[hub_pk(node["id"], "Resident")] = (node["name"], cases)
    return page


def normalise_pgl(payload: dict[str, Any]) -> Page:
    page: Page = {}
    for edge in payload["data"]["allResidents"]["edges"]:
        node = edge["node"]
        cases = []
        for case in node["casesByApplicantId"]["nodes"]:
            ent = case["entitlementByCaseId"]
            payments = (
                None
                if ent is None
                else [
                    (p["period"], Decimal(str(p["amount"])))
                    for p in ent["paymentsByEntitlementId"]["nodes"]
                ]
            )
            cases.append((case["caseNumber"], payments))
        page[pgl_pk(node["id"], "Resident")] = (node["name"], cases)
    return page


def page_summary(page: Page) -> str:
    cases = [c for _, cs in page.values() for c in cs]
    entitled = [p for _, p in cases if p is not None]
    return (
        f"{len(page)} residents, {len(cases)} cases, {len(entitled)} entitlements, "
        f"{sum(len(p) for p in entitled)} payments"
    )


def differences(expected: Page, found: Page) -> list[str]:
    if list(expected) != list(found):
        return [f"resident ids differ: {list(expected)[:8]}... vs {list(found)[:8]}..."]
    problems = []
    for pk, (name, cases) in expected.items():
        other_name, other_cases = found[pk]
        if name != other_name:
            problems.append(f"resident {pk}: name {name!r} vs {other_name!r}")
        if [c for c, _ in cases] != [c for c, _ in other_cases]:
            problems.append(
                f"resident {pk}: cases {[c for c, _ in cases]} vs {[c for c, _ in other_cases]}"
            )
        elif cases != other_cases:
            problems.append(f"resident {pk}: payments differ: {cases} vs {other_cases}")
    return problems


def masked_count(payload: dict[str, Any], field_name: str) -> int:
    return sum(
        "*" in (edge["node"][field_name] or "") for edge in payload["data"]["residents"]["edges"]
    )


def check_pages(servers: list[Server], url: URL, target: Target, token: str) -> None:
    """Every server returns the page PostgreSQL builds alone: same residents, cases, payments."""
    reference = normalise_hub(database_page(url, target))
    if len(reference) != PAGE_SIZE:
        print(f"note: the township has only {len(reference)} residents")
    print(
        f"page: township {target.division}, {page_summary(reference)} "
        f"(PostgreSQL alone, {PAGE_SQL.relative_to(ROOT)})"
    )
    failed = False
    for server in servers:
        payload, size = fetch_page(server, target, token)
        if server.variant.kind == "hub":
            page = normalise_hub(payload)
            extra = (
                f", idNumber masked {masked_count(payload, 'idNumber')}/{len(page)}, "
                f"phone masked {masked_count(payload, 'phone')}/{len(page)}"
            )
        else:
            page = normalise_pgl(payload)
            extra = ""
        problems = differences(reference, page)
        verdict = "same page" if not problems else "MISMATCH"
        print(
            f"  {server.variant.key}) {server.variant.label:<36} {verdict}: {size:,} bytes{extra}"
        )
        for problem in problems[:10]:
            print(f"       {problem}")
        failed = failed or bool(problems)
    if failed:
        raise BenchFailure("the servers do not return the same page; nothing measured")


# -- load -------------------------------------------------------------------------------------


def write_wrk_script(server: Server, target: Target, token: str) -> Path:
    scripts = WORK / "wrk"
    scripts.mkdir(parents=True, exist_ok=True)
    body = json.dumps(request_body(server, target), separators=(",", ":"))
    auth = ""
    if server.variant.kind == "hub":
        auth = f'wrk.headers["Authorization"] = "Bearer {token}"'
    path = scripts / f"{server.variant.key}.lua"
    path.write_text(LUA_TEMPLATE.format(body=body, auth=auth), encoding="utf-8")
    return path


def wrk(server: Server, seconds: int, args: argparse.Namespace) -> dict[str, int]:
    """One wrk run; a request slower than --request-timeout counts as a socket error."""
    assert server.script is not None
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.concurrency}", f"-d{seconds}s", "--latency",
           f"--timeout={args.request_timeout}s", "-s", str(server.script), server.url]  # fmt: skip
    out = run(cmd, capture_output=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH ")), None)
    if line is None:
        raise BenchFailure(f"wrk printed no summary for {server.variant.label}:\n{out}")
    return dict(json.loads(line[len("BENCH ") :]))


def settle(server: Server, window: float = 0.5, limit: float = 20.0) -> None:
    """Wait for the requests a wrk run left behind: wrk closes its connections when time is
    up, which does not stop requests already running. Done when the server process uses at
    most one clock tick in `window` seconds (or after `limit`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = tree_cpu_seconds(server.process.pid)
        time.sleep(window)
        if tree_cpu_seconds(server.process.pid) - before <= 1 / TICKS:
            return


def measure_server(server: Server, args: argparse.Namespace, database: BackendMeter) -> Sample:
    wrk(server, args.warmup, args)
    settle(server)
    meter = RunMeter(database, server.process.pid)
    meter.start()
    result = wrk(server, args.seconds, args)
    usage = meter.stop()
    settle(server)  # so that the next run has the machine to itself
    n = result["requests"]
    stalled = 1 if n == 0 else 0  # not one request finished: the server is stuck
    return Sample(
        rps=n / (result["duration_us"] / 1e6),
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        requests=n,
        server_cpu_ms=None if usage.server is None or not n else usage.server * 1000 / n,
        pg_cpu_ms=None if usage.database is None or not n else usage.database * 1000 / n,
        others=usage.others,
        idle=usage.idle,
        bad=result["non200"] + result["gql_errors"] + result["socket_errors"] + stalled,
    )


def pgbench(
    url: URL,
    target: Target,
    seconds: int,
    concurrency: int,
    threads: int,
    log_prefix: Path | None,
    script: Path = PAGE_SQL,
) -> tuple[float, list[float], int]:
    """tps, per-transaction latencies in ms (when logged) and failed transactions."""
    low, high = target.low_high
    cmd = ["pgbench", "-n", "-M", "prepared", "-f", str(script), "-D", f"low={low}",
           "-D", f"high={high}", "-c", str(concurrency), "-j", str(threads),
           "-T", str(seconds), "-h", url.host or "127.0.0.1",
           "-p", str(url.port or 5432), "-U", url.username or "postgres"]  # fmt: skip
    if log_prefix is not None:
        log_prefix.parent.mkdir(parents=True, exist_ok=True)
        for old in log_prefix.parent.glob(f"{log_prefix.name}.*"):
            old.unlink()
        cmd += ["--log", f"--log-prefix={log_prefix}"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    out = run([*cmd, url.database or DB_NAME], capture_output=True, env=env).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", out)
    latencies: list[float] = []
    if log_prefix is not None:
        for path in log_prefix.parent.glob(f"{log_prefix.name}.*"):
            for line in path.read_text().splitlines():
                latencies.append(int(line.split()[2]) / 1000)
    return tps, latencies, int(failed.group(1)) if failed else 0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def measure_database(
    variant: Variant, url: URL, target: Target, args: argparse.Namespace, database: BackendMeter
) -> Sample:
    script = audited_page_script() if variant.audited else PAGE_SQL
    pgbench(url, target, args.warmup, args.concurrency, args.threads, None, script)
    meter = RunMeter(database, None)
    meter.start()
    log_prefix = WORK / "pgbench" / f"page-{variant.key}"
    tps, latencies, failed = pgbench(
        url, target, args.seconds, args.concurrency, args.threads, log_prefix, script
    )
    usage = meter.stop()
    n = max(len(latencies), 1)
    return Sample(
        rps=tps,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        requests=len(latencies),
        pg_cpu_ms=None if usage.database is None else usage.database * 1000 / n,
        others=usage.others,
        idle=usage.idle,
        bad=failed,
    )


def share_compiled(server: Server) -> str:
    """compiled / all root fields from /metrics, when the hub exports such a count."""
    with contextlib.suppress(httpx.HTTPError):
        text = httpx.get(server.url.replace("/graphql", "/metrics"), timeout=10).text
        counts = {"compiled": 0.0, "resolved": 0.0}
        for line in text.splitlines():
            if line.startswith("#") or "{" not in line or "_created" in line:
                continue
            labels, _, value = line.rpartition("} ")
            for strategy in counts:
                if f'"{strategy}"' in labels:
                    counts[strategy] += float(value)
        total = sum(counts.values())
        if total:
            return f"{counts['compiled'] / total:.0%}"
    return "n/a"


# -- report -----------------------------------------------------------------------------------


def median_of(samples: list[Sample], pick: Callable[[Sample], float | None]) -> float | None:
    values = [v for s in samples if (v := pick(s)) is not None]
    return statistics.median(values) if values else None


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def print_table(rows: list[tuple[Variant, list[Sample]]], shares: dict[str, str]) -> None:
    by_key = {v.key: samples for v, samples in rows}
    pgl = median_of(by_key.get("e", []), lambda s: s.rps)
    db = median_of(by_key.get("f", []), lambda s: s.rps)
    header = (
        f"{'server':<40}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}"
        f"{'PG ms/req':>11}{'vs PG5':>8}{'vs DB':>8}{'idle':>6}{'others':>7}{'bad':>5}"
    )
    print(header)
    print("-" * len(header))
    for variant, samples in rows:
        rps = median_of(samples, lambda s: s.rps)
        label = f"{variant.key}) {variant.label}"
        print(
            f"{label:<40}{fmt(rps):>9}{fmt(median_of(samples, lambda s: s.p50_ms)):>9}"
            f"{fmt(median_of(samples, lambda s: s.p99_ms)):>9}"
            f"{fmt(median_of(samples, lambda s: s.server_cpu_ms), 2):>12}"
            f"{fmt(median_of(samples, lambda s: s.pg_cpu_ms), 2):>11}"
            f"{fmt(rps / pgl if rps and pgl else None, 2):>8}"
            f"{fmt(rps / db if rps and db else None, 2):>8}"
            f"{median_of(samples, lambda s: s.idle * 100) or 0:>5.0f}%"
            f"{median_of(samples, lambda s: s.others * 100) or 0:>7.0f}%"
            f"{sum(s.bad for s in samples):>5}"
        )
    print(
        "req/s, p50, p99 and CPU: median of rounds. CPU ms/req: the server process only; PG "
        "ms/req: the PostgreSQL backends of the bench database. idle: CPU share nobody used "
        "(the machine waited: for commits, the network, the scheduler). others: CPU share other "
        "processes took meanwhile (load not from this benchmark; high values spoil a round). "
        "bad: non-200 responses, GraphQL errors, socket errors and timeouts, runs in which no "
        "request finished (pgbench: failed transactions), all rounds."
    )
    if shares:
        print(
            "share of root fields served compiled (/metrics): "
            + ", ".join(f"{key}) {share}" for key, share in shares.items())
        )


QUIET = 0.05  # a round is quiet when other processes took at most this share of the CPU


def print_round_ratios(results: dict[str, list[Sample]]) -> None:
    """Each mzhub variant against PostGraphile round by round (each pair ran back to back), and
    the median over all rounds and over the quiet ones (others at most 5 % in both runs): the
    machine's speed drifts between rounds, and a disturbed round hurts the two servers unequally,
    so a ratio of medians can flatter either side."""
    pgl = results.get("e", [])
    if not pgl:
        return
    print("per round against PostGraphile 5 (requests/s ratio, server CPU ratio):")
    for key, samples in results.items():
        if key in ("e", "f", "i") or not samples:
            continue
        pairs = list(zip(samples, pgl, strict=False))
        rps = [s.rps / e.rps for s, e in pairs if e.rps]
        cpu = [
            s.server_cpu_ms / e.server_cpu_ms
            for s, e in pairs
            if s.server_cpu_ms is not None and e.server_cpu_ms
        ]
        quiet = [(s, e) for s, e in pairs if e.rps and max(s.others, e.others) <= QUIET]
        quiet_rps = [s.rps / e.rps for s, e in quiet]
        quiet_cpu = [
            s.server_cpu_ms / e.server_cpu_ms
            for s, e in quiet
            if s.server_cpu_ms is not None and e.server_cpu_ms
        ]
        print(
            f"  {key}) rounds {', '.join(f'{r:.2f}' for r in rps)}; "
            f"median {fmt(statistics.median(rps) if rps else None, 2)}, "
            f"CPU {fmt(statistics.median(cpu) if cpu else None, 2)}; quiet rounds "
            f"{len(quiet)}: median {fmt(statistics.median(quiet_rps) if quiet_rps else None, 2)}, "
            f"CPU {fmt(statistics.median(quiet_cpu) if quiet_cpu else None, 2)}"
        )


def print_audit_split(results: dict[str, list[Sample]]) -> None:
    """The audit's cost in two shares, from medians: building and batching the events in the
    server (h against c), and appending them in the database (a against h); and mzhub against
    the database doing its own audit (a against i)."""

    def rps(key: str) -> float | None:
        return median_of(results.get(key, []), lambda s: s.rps)

    def cpu(key: str) -> float | None:
        return median_of(results.get(key, []), lambda s: s.server_cpu_ms)

    a, c, h, i = rps("a"), rps("c"), rps("h"), rps("i")
    parts = []
    if c and h:
        server = (cpu("h") or 0) - (cpu("c") or 0)
        parts.append(f"events built, not written (h/c) {h / c:.2f}x, server CPU +{server:.2f} ms")
    if a and h:
        parts.append(f"events appended by the database (a/h) {a / h:.2f}x")
    if a and i:
        parts.append(f"a against PostgreSQL alone with an audit append per page (a/i) {a / i:.2f}x")
    if parts:
        print("audit's cost: " + "; ".join(parts))


def machine_line(node: str, postgraphile: str) -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    node_version = run([node, "--version"], capture_output=True).stdout.strip()
    return (
        f"machine: {os.cpu_count()} CPU ({model}), Python {platform.python_version()}, "
        f"Node {node_version}, PostGraphile {postgraphile}"
    )


# -- main -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured run")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up before each run (s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=10, help="open connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk and pgbench threads")
    parser.add_argument(
        "--request-timeout", type=int, default=5, help="wrk counts slower requests as errors (s)"
    )
    parser.add_argument("--variants", default="abcdefghij", help="which of a-j to run")
    parser.add_argument(
        "--min-paid",
        type=int,
        default=50,
        help="residents with paid entitlements the township needs",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"reuse {DB_NAME} when it is seeded with --residents residents",
    )
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--base-port", type=int, default=8110)
    parser.add_argument("--node", help="a Node >= 22 binary (default: fetched from npm)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    variants = [v for v in VARIANTS if v.key in args.variants]
    if not variants:
        print("--variants names none of a-j", file=sys.stderr)
        return 2
    try:
        ensure_wrk()
        node = ensure_node22(args.node)
        postgraphile = ensure_postgraphile(node)
        url = prepare_database(args)
        try:
            return benchmark(args, variants, url, node, postgraphile)
        finally:
            if args.drop:
                drop_database(args.admin_url, DB_NAME)
    except BenchFailure as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


def benchmark(
    args: argparse.Namespace, variants: list[Variant], url: URL, node: str, postgraphile: str
) -> int:
    target = pick_township(url, args.min_paid)
    token = issue_token(url, target)  # before the servers start: they share its keys
    print(machine_line(node, postgraphile))
    print(
        f"township {target.division}: {target.paid_residents} residents with paid "
        f"entitlements; caller human_resources at county {target.county}"
    )
    database = BackendMeter(url.database or DB_NAME)
    with running(variants, url, node, args.base_port) as servers:
        for server in servers:
            wait_ready(server, target, token)
            server.script = write_wrk_script(server, target, token)
        check_pages(servers, url, target, token)
        by_key = {s.variant.key: s for s in servers}
        results: dict[str, list[Sample]] = {v.key: [] for v in variants}
        for round_no in range(1, args.rounds + 1):
            for variant in variants:
                if variant.kind == "pgbench":
                    sample = measure_database(variant, url, target, args, database)
                else:
                    sample = measure_server(by_key[variant.key], args, database)
                results[variant.key].append(sample)
                print(
                    f"round {round_no} {variant.key}) {variant.label:<36} "
                    f"{sample.rps:8.1f} req/s  p50 {sample.p50_ms:6.1f} ms  "
                    f"p99 {sample.p99_ms:6.1f} ms  CPU {fmt(sample.server_cpu_ms, 2)} ms/req"
                    f"  PG {fmt(sample.pg_cpu_ms, 2)} ms/req  idle {sample.idle:.0%}"
                    f"  others {sample.others:.0%}"
                    f"  bad {sample.bad}",
                    flush=True,
                )
        shares = {s.variant.key: share_compiled(s) for s in servers if s.variant.kind == "hub"}
    print()
    print(
        f"{args.residents:,} residents, page of {PAGE_SIZE} in {target.division}, "
        f"{args.rounds} rounds of {args.seconds:g} s, {args.concurrency} connections"
    )
    print_table(
        [(v, results[v.key]) for v in variants], {k: v for k, v in shares.items() if v != "n/a"}
    )
    print_round_ratios(results)
    print_audit_split(results)
    bad = sum(s.bad for samples in results.values() for s in samples)
    if bad:
        print(f"FAILED: {bad} bad responses under load (see the bad column)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
