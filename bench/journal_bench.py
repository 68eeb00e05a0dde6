"""Figures for the journal's flat costs (issue 14, item 8), against a sandbox on loopback.

1. `angelctl journal`, `journal --json` and `order place ... --yes --json` (the profile sets
   `max_orders_per_minute`, so placing counts the journal's last minute) with a journal of 30
   intents (the rows `journal` lists: an empty journal would compare drawing an empty table)
   and with one of 100 k, interleaved run by run (two state folders, one sandbox): medians and
   the ratio of each (target <= 1.05).
2. The journal's reads in process at 100 k, with migration 4's indexes and with migration 3's.
3. `journal prune` on a copy of the 100 k journal, deleting the older half, while another
   connection writes one journal row every 20 ms as `order place` does (BEGIN IMMEDIATE …
   COMMIT): the prune's wall time, the file before and after, and the longest a writer waited
   (target: far under the 30 s busy timeout).

The 100 k intents (with their tags and four events each, as a placed order leaves them) are
written straight into the journal file with `executemany` in one transaction (a few seconds),
spread over the last 80 days, so the profile's default retention (90 days) keeps them all.

Usage: python bench/journal_bench.py [--runs 50] [--intents 100000] [--small 30]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from _util import angelctl_cmd, describe, sandbox_admin, user_env

REQUEST = {
    "side": "BUY",
    "symbol": "SBIN-EQ",
    "quantity": 1,
    "order_type": "LIMIT",
    "price": "790",
    "product": "DELIVERY",
    "variety": "NORMAL",
    "duration": "DAY",
    "exchange": "NSE",
    "token": "3045",
}


def fill(path: Path, profile: str, count: int) -> float:
    """``count`` accepted intents over the last 80 days; seconds taken."""
    from angelctl.orders.journal import Journal, tag_for

    started = time.perf_counter()
    journal = Journal(path)
    first = datetime.now(UTC) - timedelta(days=80)
    step = timedelta(days=79) / max(count, 1)
    request = json.dumps(REQUEST)
    intents, tags, events = [], [], []
    for i in range(count):
        at = (first + i * step).isoformat(timespec="milliseconds")
        iid = f"bench-{i:07d}"
        tag = tag_for(profile, iid)
        intents.append((iid, tag, profile, "S0001", "accepted", request, at, at, f"{i:015d}"))
        tags.append((tag, iid, profile, at))
        for kind, detail in (
            ("journalled", {"tag": tag}),
            ("sending", {}),
            ("send", {"http_attempt": 1, "reason": "first"}),
            ("accepted", {"order_id": f"{i:015d}"}),
        ):
            events.append((iid, at, kind, json.dumps(detail)))
    with journal.transaction() as db:
        db.executemany(
            "INSERT INTO intents (intent_id, tag, profile, client_code, state, request,"
            " created_at, updated_at, order_id) VALUES (?,?,?,?,?,?,?,?,?)",
            intents,
        )
        db.executemany("INSERT INTO tags VALUES (?,?,1,?,?)", tags)
        db.executemany("INSERT INTO events (intent_id, at, kind, detail) VALUES (?,?,?,?)", events)
    journal.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    journal.close()
    return time.perf_counter() - started


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:]}")
    return elapsed


def reads_by_index(path: Path, folder: Path) -> None:
    """The journal's reads in process at 100 k, with migration 4's indexes and with only
    migration 3's (the same file, its new indexes swapped for the old ones), interleaved."""
    from angelctl.orders.journal import Journal

    old = folder / "m3.sqlite3"
    shutil.copy(path, old)
    db = sqlite3.connect(old, isolation_level=None)
    for index in (
        "intents_profile_created_state",
        "intents_state_profile_created",
        "intents_created",
        "tags_intent",
        "risk_events_profile_at",
    ):
        db.execute(f"DROP INDEX {index}")
    db.execute("CREATE INDEX intents_state ON intents (state)")
    db.execute("CREATE INDEX intents_profile_created ON intents (profile, created_at)")
    db.close()
    journals = {"migration 4": Journal(path), "migration 3": Journal(old)}
    calls: dict[str, Any] = {
        "recent(30, profile)": lambda j: j.recent(30, "sandbox"),
        "recent(30)": lambda j: j.recent(30),
        "count_since(profile, 60 s)": lambda j: j.count_since("sandbox", seconds=60),
        # migration 3 had no index to name: its own statement, as it was
        "open_intents(profile)": lambda j: (
            j.open_intents("sandbox")
            if j.path != old
            else j.db.execute(
                "SELECT * FROM intents WHERE state IN ('journalled','sending','unknown')"
                " AND profile = 'sandbox' ORDER BY created_at"
            ).fetchall()
        ),
        "tags_of(intent)": lambda j: j.tags_of("bench-0050000"),
    }
    print("in-process reads at 100k intents, median of 40 calls (ms):")
    for label, call in calls.items():
        times: dict[str, list[float]] = {name: [] for name in journals}
        for _ in range(40):
            for name, journal in journals.items():
                started = time.perf_counter()
                call(journal)
                times[name].append((time.perf_counter() - started) * 1000)
        new, was = (statistics.median(times[n]) for n in journals)
        print(f"  {label:<28} migration 4 {new:8.3f}   migration 3 {was:8.3f}")
    for journal in journals.values():
        journal.close()


def prune_under_writes(path: Path, before: str, cmd: list[str], env: dict[str, str]) -> None:
    """`journal prune` while a writer commits a row every 20 ms: the writer's longest wait."""
    waits: list[float] = []
    stop = threading.Event()

    def writer() -> None:
        db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        while not stop.is_set():
            started = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO risk_events (at, profile, run_id, kind, detail)"
                " VALUES (?, 'other', 'bench', 'tick', '{}')",
                (datetime.now(UTC).isoformat(timespec="milliseconds"),),
            )
            db.execute("COMMIT")
            waits.append(time.perf_counter() - started)
            stop.wait(0.02)
        db.close()

    size = path.stat().st_size
    thread = threading.Thread(target=writer)
    thread.start()
    started = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "journal", "prune", "--before", before, "--yes", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    took = time.perf_counter() - started
    stop.set()
    thread.join()
    if proc.returncode != 0:
        raise SystemExit(f"journal prune exited {proc.returncode}: {proc.stderr[-500:]}")
    report = json.loads(proc.stdout)
    print(
        f"journal prune --before {before}: {report['intents']} intents, {report['events']} "
        f"events, {report['tags']} tags deleted in {took:.2f} s (wall, the command); file "
        f"{size / 1e6:.1f} MB -> {path.stat().st_size / 1e6:.1f} MB"
    )
    print(
        f"concurrent writer: {len(waits)} commits, median {statistics.median(waits) * 1000:.1f} "
        f"ms, longest {max(waits) * 1000:.0f} ms (busy timeout 30 000 ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--intents", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=30, help="intents in the small journal")
    args = parser.parse_args()

    from angelctl.sandbox import SandboxConfig, SandboxServer

    cmd = angelctl_cmd()
    with tempfile.TemporaryDirectory() as tmp, SandboxServer(SandboxConfig(port=0)) as server:
        url = server.rest_url
        envs: dict[str, dict[str, str]] = {}
        for name in ("0", "100k"):
            envs[name] = user_env(f"{tmp}/{name}")
        # One login (the sandbox paces logins), then the same folders for both.
        login = [*cmd, "login", "--sandbox", "--url", url, "--admin-token-stdin", "--quiet"]
        done = subprocess.run(login, env=envs["0"], input=server.admin_token, text=True)
        assert done.returncode == 0
        sync = subprocess.run([*cmd, "instruments", "sync", "--quiet"], env=envs["0"])
        assert sync.returncode == 0
        _limit_orders(envs["0"])
        shutil.copytree(f"{tmp}/0", f"{tmp}/100k", symlinks=True)
        # The small journal holds the 30 rows `journal` lists, so both listings render the same
        # 30 rows: an empty one would measure drawing an empty table against a full one.
        fill(Path(f"{tmp}/0/s/angelctl/journal.sqlite3"), "sandbox", args.small)
        journal_path = Path(f"{tmp}/100k/s/angelctl/journal.sqlite3")
        took = fill(journal_path, "sandbox", args.intents)
        size = journal_path.stat().st_size
        print(
            f"filled {args.intents} intents (4 events and a tag each) in {took:.1f} s with "
            f"executemany in one transaction; {size / 1e6:.1f} MB, "
            f"{size / max(args.intents, 1):.0f} bytes per intent"
        )
        admin = server.admin_token
        sandbox_admin(url, admin, "POST", "market/freeze", {"frozen": True})
        sandbox_admin(
            url, admin, "POST", "market/price", {"exch_seg": "NSE", "token": "3045", "ltp": "800"}
        )
        place = ["order", "place", "BUY", "SBIN", "--qty", "1", "--price", "790", "--yes", "--json"]
        commands = {
            "journal": ["journal"],
            "journal --json": ["journal", "--json"],
            "order place (max_orders_per_minute)": place,
        }
        times: dict[tuple[str, str], list[float]] = {}
        for run in range(-3, args.runs):  # three warm-up rounds
            for label, words in commands.items():
                for name in ("0", "100k"):
                    elapsed = timed([*cmd, *words], envs[name])
                    if run >= 0:
                        times.setdefault((label, name), []).append(elapsed)
        print(f"\n{args.runs} interleaved runs each (0 and 100k alternate run by run):")
        worst = 0.0
        for label in commands:
            print(describe(f"{label} @ {args.small}", times[(label, "0")]))
            print(describe(f"{label} @ {args.intents // 1000}k", times[(label, "100k")]))
            ratio = statistics.median(times[(label, "100k")]) / statistics.median(
                times[(label, "0")]
            )
            worst = max(worst, ratio)
            low = min(times[(label, "100k")]) / min(times[(label, "0")])
            print(
                f"  ratio {args.intents // 1000}k / {args.small}: medians {ratio:.3f} "
                f"(target <= 1.05), minimums {low:.3f}"
            )
        copy = Path(f"{tmp}/prune/journal.sqlite3")
        copy.parent.mkdir()
        shutil.copy(journal_path, copy)
        env = {**envs["100k"], "XDG_STATE_HOME": f"{tmp}/prune-state"}
        Path(env["XDG_STATE_HOME"], "angelctl").mkdir(parents=True)
        shutil.move(copy, Path(env["XDG_STATE_HOME"], "angelctl", "journal.sqlite3"))
        middle = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
        print()
        reads_by_index(journal_path, Path(tmp))
        print()
        prune_under_writes(
            Path(env["XDG_STATE_HOME"], "angelctl", "journal.sqlite3"), middle, cmd, env
        )
        return 0 if worst <= 1.05 else 1


def _limit_orders(env: dict[str, str]) -> None:
    """The profile sets max_orders_per_minute (high enough never to refuse the bench)."""
    from angelctl.config_edit import write_profile_values

    old = dict(os.environ)
    os.environ.update(env)
    try:
        from angelctl.config import config_path

        write_profile_values(config_path(), "sandbox", {"risk": {"max_orders_per_minute": 100_000}})
    finally:
        os.environ.clear()
        os.environ.update(old)


if __name__ == "__main__":
    raise SystemExit(main())
