#!/usr/bin/env python3
"""Benchmarks/campaign-system: the data-heavy figures of the campaign system, each beside a named peer.

1. `mailstorm seed` of 2M contacts through COPY (issue target: <= 60 s).
2. Import of 100k contacts through POST /api/contacts/import (target: <= 2 s; seed 004: 5-15 s),
   against psql's \\copy of the same rows into `contacts` itself, with its indexes and triggers (PostgreSQL's floor
   for loading them there), and of the same CSV into a bare table (its floor for reading them).
   Each load starts when the background search indexer has caught up, so none pays for another's rows.
3. Segment counts over 2M contacts through POST /api/segments/preview (target: <= 1 s; seed 004: 1-3 s),
   against pgbench running the same SQL.
4. Contact search pages at a fixed rate with `mailstorm http` (target: p95 <= 50 ms; seed 004: 200-500 ms),
   against pgbench running campaignd's own statement for each page (read from PostgreSQL's log), prepared, with
   the same parameters, at the same rate.

Usage: Benchmarks/campaign-system.py [--contacts 2000000] [--rounds 3] [--without-trigram]
--without-trigram drops the trigram index on email after seeding: what the index costs imports and saves searches.
"""
import argparse, glob, json, os, re, subprocess, tempfile, time
from common import Stack, api, percentile, release_binary

ap = argparse.ArgumentParser()
ap.add_argument("--contacts", type=int, default=2_000_000)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--rate", type=int, default=50, help="search requests per second")
ap.add_argument("--without-trigram", action="store_true", help="drop idx_contact_search_email_trgm after seeding")
a = ap.parse_args()


def csv_rows(start, n, copy_tenant=None):
    """The API's CSV; with `copy_tenant`, the same rows as COPY into contacts reads them (tenant first, tags an array)."""
    lines = [] if copy_tenant else ["email,first_name,last_name,company,source,tags,custom_fields"]
    for i in range(start, start + n):
        tags = f'"{{imported,b{i % 7}}}"' if copy_tenant else f"imported;b{i % 7}"
        lead = f"{copy_tenant}," if copy_tenant else ""
        lines.append(f'{lead}bench{i}@import{i % 50}.example.net,Bench,No{i},Acme,import,{tags},"{{""score"": {i % 100}}}"')
    return ("\n".join(lines) + "\n").encode()


def psql_copy(db, table_and_columns, body, header):
    """Seconds psql takes to \\copy `body` (CSV) into `table_and_columns`."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as f:
        f.write(body)
        f.flush()
        t0 = time.time()
        subprocess.run(["psql", db, "-qc", f"\\copy {table_and_columns} FROM '{f.name}' CSV{' HEADER' if header else ''}"],
                       check=True, capture_output=True)
        return time.time() - t0


def pgbench(db, sql, params, transactions=None, rate=None, duration=None):
    """Runs `sql` with pgbench (prepared, parameters bound like campaignd's); returns latencies in ms from its log,
    at a rate counted from each transaction's scheduled start, as mailstorm counts from the intended send."""
    with tempfile.TemporaryDirectory(prefix="ms-pgbench-") as d:
        script = os.path.join(d, "q.sql")
        with open(script, "w") as f:
            for i in range(len(params), 0, -1):
                sql = sql.replace(f"${i}", f":p{i}")
            # pgbench takes any :name as a variable, quoted or not; to_char prints a quoted ":" the same.
            sql = sql.replace("HH24:MI:SS", 'HH24":"MI":"SS')
            stray = [v for v in re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", sql) if not re.fullmatch(r"p\d+", v)]
            if stray:
                raise RuntimeError(f"pgbench would read :{stray[0]} as a variable in: {sql}")
            f.write(sql + ";\n")
        cmd = ["pgbench", "-n", "-M", "prepared", "-f", script, "-l", "--log-prefix", os.path.join(d, "log")]
        for i, p in enumerate(params, 1):
            cmd += ["-D", f"p{i}={p}"]
        # At a rate, as many connections as campaignd's pool here (CampaignConfig.defaultDBPool: 3 per core, 4 to 32,
        # which the stack leaves at its default): with one, pgbench queues
        # behind its own slow query, and its latencies count from each scheduled start (smith9 p95 54 ms, API 17).
        pool = min(max(3 * os.cpu_count(), 4), 32)
        cmd += ["-t", str(transactions)] if transactions else ["-R", str(rate), "-T", str(duration), "-c", str(pool)]
        r = subprocess.run(cmd + [db], capture_output=True, text=True, cwd=d)
        if r.returncode != 0:
            raise RuntimeError(f"pgbench failed: {r.stderr[-400:]}")
        lat = []
        for name in os.listdir(d):
            if name.startswith("log"):
                with open(os.path.join(d, name)) as f:
                    lat += [int(line.split()[2]) / 1000 for line in f]
        return lat


with Stack() as s:
    print(f"campaignd {s.url}  postgres {s.db}")
    seed_s = s.seed(a.contacts)
    print(f"\n1. seed {a.contacts:,} contacts through COPY: {seed_s:.1f} s ({a.contacts / seed_s:,.0f} rows/s); target <= 60 s")
    if a.without_trigram:
        s.psql("DROP INDEX idx_contact_search_email_trgm")
        print("   (trigram index on email dropped: --without-trigram)")

    token = s.login()
    print("\n2. import 100,000 contacts through the API (CSV) vs psql \\copy of the same rows")
    s.psql("CREATE TABLE IF NOT EXISTS copy_peer (email text, first_name text, last_name text, company text, source text, tags text, custom_fields text)")
    tenant = s.psql("SELECT tenant_id FROM users WHERE email = 'user1@tenant1.example'")
    api_t, into_t, bare_t = [], [], []
    for r in range(a.rounds):
        body = csv_rows(10_000_000 + r * 100_000, 100_000)
        s.wait_for_search_indexer()
        t0 = time.time()
        out = api(s.url, "POST", "/api/contacts/import", body, token, "text/csv")
        api_t.append(time.time() - t0)
        assert out["imported"] == 100_000, out
        s.wait_for_search_indexer()
        into_t.append(psql_copy(s.db, "contacts (tenant_id, email, first_name, last_name, company, source, tags, custom_fields)",
                                csv_rows(20_000_000 + r * 100_000, 100_000, copy_tenant=tenant), header=False))
        s.wait_for_search_indexer()
        bare_t.append(psql_copy(s.db, "copy_peer", body, header=True))
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(f"   API import: median {med(api_t):.2f} s (rounds {', '.join(f'{x:.2f}' for x in api_t)}); target <= 2 s")
    print(f"   psql \\copy of the same rows into contacts: median {med(into_t):.2f} s (rounds {', '.join(f'{x:.2f}' for x in into_t)}); "
          f"API / copy = {med(api_t) / med(into_t):.2f}x")
    print(f"   psql \\copy of the same CSV into a bare table: median {med(bare_t):.2f} s; API / copy = {med(api_t) / med(bare_t):.1f}x")

    print("\n3. segment counts over all contacts (POST /api/segments/preview) vs pgbench on the same SQL")
    segments = {
        "email ends_with @gmail.com": {"field": "email", "op": "ends_with", "value": "@gmail.com"},
        "company contains 'dyn' AND tag vip": {"all": [{"field": "company", "op": "contains", "value": "dyn"},
                                                      {"field": "tags", "op": "contains", "value": "vip"}]},
        "plan = pro AND created after 2026-01-01": {"all": [{"field": "custom_fields.plan", "op": "equals", "value": "pro"},
                                                            {"field": "created_at", "op": "after", "value": "2026-01-01"}]},
        "(source = api OR tag beta) AND NOT tag churned": {"all": [
            {"any": [{"field": "source", "op": "equals", "value": "api"}, {"field": "tags", "op": "contains", "value": "beta"}]},
            {"field": "tags", "op": "not_contains", "value": "churned"}]},
    }
    peer_sql = {
        "email ends_with @gmail.com": ("SELECT count(*) FROM contacts WHERE tenant_id = 1 AND email LIKE $1", ["%@gmail.com"]),
        "company contains 'dyn' AND tag vip": ("SELECT count(*) FROM contacts WHERE tenant_id = 1 AND (company ILIKE $1 AND tags @> ARRAY[$2]::text[])", ["%dyn%", "vip"]),
        "plan = pro AND created after 2026-01-01": ("SELECT count(*) FROM contacts WHERE tenant_id = 1 AND (custom_fields @> $1::jsonb AND created_at > $2::timestamptz)", ['{"plan":"pro"}', "2026-01-01"]),
        "(source = api OR tag beta) AND NOT tag churned": ("SELECT count(*) FROM contacts WHERE tenant_id = 1 AND ((source = $1 OR tags @> ARRAY[$2]::text[]) AND NOT (tags @> ARRAY[$3]::text[]))", ["api", "beta", "churned"]),
    }
    total = int(s.psql("SELECT count(*) FROM contacts WHERE tenant_id = 1"))
    print(f"   tenant 1 holds {total:,} contacts")
    for name, cond in segments.items():
        times, count = [], None
        for _ in range(5):
            t0 = time.time()
            count = api(s.url, "POST", "/api/segments/preview", json.dumps({"conditions": cond}).encode(), token)["count"]
            times.append((time.time() - t0) * 1000)
        sql, params = peer_sql[name]
        peer = pgbench(s.db, sql, params, transactions=5)
        print(f"   {name:48s} count {count:>8,}  API median {percentile(times, 50):7.1f} ms max {max(times):7.1f} ms"
              f"  | pgbench median {percentile(peer, 50):7.1f} ms")

    print(f"\n4. contact search pages at {a.rate} req/s for 10 s (mailstorm http) vs pgbench at the same rate")
    mailstorm = release_binary("mailstorm")
    searches = {
        "first page, no filter": "",
        "tag=vip&company=acme": "tag=vip&company=acme",
        "status=unsubscribed&source=event": "status=unsubscribed&source=event",
        "deep page: after=1500000&tag=beta": "after=1500000&tag=beta",
        "email contains 'smith9'": "email=smith9",
        # A common substring and a rare one: the page must stay cheap whichever the planner would guess.
        "email contains 'gmail'": "email=gmail",
        "email contains 'kwame.okafor1999'": "email=kwame.okafor1999",
    }
    for name, query in searches.items():
        path = "/api/contacts?limit=50" + (f"&{query}" if query else "")
        url = s.url + path
        # The peer runs campaignd's own statement for this page, prepared as campaignd prepares it.
        sql, params = s.logged_statement(lambda: api(s.url, "GET", path, token=token), "json_agg(c ORDER BY c.id)")
        with tempfile.TemporaryDirectory(prefix="ms-search-") as d:
            subprocess.run([mailstorm, "http", url, "--rate", str(a.rate), "--duration", "10s", "--header", f"Authorization: Bearer {token}",
                            "--quiet", "--out", d], check=True, capture_output=True)
            summary = json.load(open(glob.glob(os.path.join(d, "*", "summary.json"))[0]))
        lat = summary["latency_ms"]
        peer = pgbench(s.db, sql, params, rate=a.rate, duration=10)
        print(f"   {name:36s} API p50 {lat['p50']:6.2f}  p95 {lat['p95']:6.2f}  p99 {lat['p99']:6.2f} ms  errors {summary['requests']['errors']}"
              f"  | pgbench p50 {percentile(peer, 50):6.2f}  p95 {percentile(peer, 95):6.2f} ms")
