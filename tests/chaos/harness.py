"""The chaos suite's moving parts: a world of pairs in the emulator, people acting in it, fault
and kill schedules, convergence detection, and the invariants every scenario ends with.

Everything here observes the product from outside, as an operator would: Jira (the emulator's
inspection API), MongoDB (read-only queries of each pair's database) and the supervisor's
``/health``. Nothing patches product code.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from jirasync_cli.emulator import JiraEmulator, RateLimit, Workflow
from jirasync_cli.jira.models import SOURCE_PROPERTY
from tests.fixtures.supervisor import Supervisor
from tests.helpers import plain, sync_config, wait_for, write_config

FULL = os.environ.get("JIRASYNC_CHAOS_FULL") == "1"
# How long convergence may take after the faults stop: a create whose outcome is unknown and
# that left no link (create screens without Linked Issues) is settled only once search has
# had 2 minutes to catch up (PairRuntime.create_settle_seconds), then made again.
CONVERGE_SECONDS = 240
INTERVAL_MINUTES = 0.05  # 3 s cycles (heartbeat every 1.5 s)
LEASE_TTL = "10"

# Who acts in Jira, and how their name shows in a mirrored comment's attribution line.
CUSTOMER, SUPPORT, DEVELOPERS = "bob", "alice", ("dan", "erin")
DISPLAY = {"bob": "Bob Lindqvist", "alice": "Alice Moreau", "dan": "Dan Okafor", "erin": "Erin Castillo"}
DEV_FLOW = {"To Do": "In Progress", "In Progress": "In Review", "In Review": "Done"}


@dataclass
class PairSpec:
    name: str
    user: str
    dev: str
    database: str
    user_keys: list[str] = field(default_factory=list)


def make_world(emu: JiraEmulator, specs: list[tuple[str, str, str]], issues_per_pair: int, tag: str) -> list[PairSpec]:
    """Projects for each pair and ``issues_per_pair`` open customer issues in each user project."""
    pairs = []
    for name, user, dev in specs:
        emu.add_project(user, workflow=Workflow.user_default())
        emu.add_project(dev, workflow=Workflow.dev_default())
        pair = PairSpec(name, user, dev, f"chaos_{name.replace('-', '_')}_{tag}")
        for i in range(issues_per_pair):
            pair.user_keys.append(
                emu.create_issue(
                    user,
                    summary=f"{user} problem {i}",
                    as_account=CUSTOMER,
                    description=f"Steps to reproduce problem {i}.",
                )
            )
        pairs.append(pair)
    return pairs


def write_configs(
    emu: JiraEmulator,
    pairs: list[PairSpec],
    directory: Path,
    *,
    token: str = "emulator-token",
    rate: float = 300.0,
    **overrides: Any,
) -> Path:
    for pair in pairs:
        doc = sync_config(
            pair.name,
            emu.url,
            pair.user,
            pair.dev,
            token=token,
            database=pair.database,
            syncIntervalMinutes=INTERVAL_MINUTES,
            **overrides,
        )
        doc["jira"]["maxRequestsPerSecond"] = rate
        doc["jira"]["timeoutSeconds"] = 20
        write_config(directory, doc)
    return directory


# -- people ---------------------------------------------------------------------------------
class People:
    """Support, customers and developers working in Jira through the emulator's Python API.

    Support escalates (Open → Will Do) a fixed share of the customer issues, spread over the
    first part of the run; developers walk the dev issues the sync created through To Do →
    In Progress → In Review → Done; customers and developers comment on linked issues. Every
    comment body is unique, so a body seen twice on one issue is a duplicate.
    """

    def __init__(
        self,
        emu: JiraEmulator,
        pairs: list[PairSpec],
        *,
        escalate_share: float = 0.9,
        escalate_within: float = 20.0,
        steps_per_second: float = 25.0,
        seed: int = 5,
    ) -> None:
        self.emu = emu
        self.pairs = pairs
        self.rng = random.Random(seed)
        self.escalate_within = escalate_within
        self.period = 1.0 / steps_per_second
        chosen = []
        for pair in pairs:
            keys = list(pair.user_keys)
            self.rng.shuffle(keys)
            chosen += [(pair, k) for k in keys[: int(round(len(keys) * escalate_share))]]
        self.rng.shuffle(chosen)
        self.to_escalate = chosen
        self.escalated: set[str] = set()
        self.dev_of: dict[str, str] = {}  # user key -> dev key (first seen)
        self.dev_status: dict[str, str] = {}  # dev key -> status (only developers move dev issues)
        self.seq = itertools.count(1)
        self.comments: list[tuple[str, str, str]] = []  # (issue key, body, account)
        self.actions = Counter()
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_scan = 0.0

    def start(self) -> People:
        self._thread = threading.Thread(target=self._run, name="people", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _scan(self) -> None:
        for pair in self.pairs:
            for issue in self.emu.issues(pair.dev):
                source = (issue.get("properties") or {}).get(SOURCE_PROPERTY)
                if isinstance(source, dict) and source.get("userKey"):
                    self.dev_of.setdefault(source["userKey"], issue["key"])
                    self.dev_status.setdefault(issue["key"], issue["status"])

    def _run(self) -> None:
        started = time.monotonic()
        escalations = iter(self.to_escalate)
        total = len(self.to_escalate)
        while not self._stop.wait(self.period):
            try:
                now = time.monotonic()
                if now - self._last_scan > 0.5:
                    self._scan()
                    self._last_scan = now
                elapsed_share = min(1.0, (now - started) / self.escalate_within) if self.escalate_within > 0 else 1.0
                due = int(total * elapsed_share)
                if len(self.escalated) < due:
                    pair, key = next(escalations)
                    self.emu.transition(key, "Will Do", as_account=SUPPORT)
                    self.escalated.add(key)
                    self.actions["escalate"] += 1
                    continue
                self._work()
            except Exception as exc:  # a person's mistake must not end the run silently
                self.errors.append(f"{type(exc).__name__}: {exc}")
                if len(self.errors) > 50:
                    return

    def _work(self) -> None:
        linked = list(self.dev_of.items())
        if not linked:
            return
        roll = self.rng.random()
        if roll < 0.55:
            moving = [d for d, s in self.dev_status.items() if s in DEV_FLOW]
            if moving:
                dev_key = self.rng.choice(moving)
                target = DEV_FLOW[self.dev_status[dev_key]]
                self.emu.transition(dev_key, target, as_account=self.rng.choice(DEVELOPERS))
                self.dev_status[dev_key] = target
                self.actions[f"dev {target}"] += 1
        elif roll < 0.78:
            user_key, _ = self.rng.choice(linked)
            body = f"customer note {next(self.seq)} on {user_key}"
            self.emu.add_comment(user_key, body, as_account=CUSTOMER)
            self.comments.append((user_key, body, CUSTOMER))
            self.actions["customer comment"] += 1
        else:
            _, dev_key = self.rng.choice(linked)
            who = self.rng.choice(DEVELOPERS)
            body = f"dev note {next(self.seq)} on {dev_key} by {who}"
            self.emu.add_comment(dev_key, body, as_account=who)
            self.comments.append((dev_key, body, who))
            self.actions["dev comment"] += 1


# -- faults and kills -------------------------------------------------------------------------
class FaultSchedule:
    """Steady 5xx, lost write responses and latency, plus 429 bursts switched on and off."""

    def __init__(
        self,
        emu: JiraEmulator,
        *,
        error_rate: float = 0.05,
        lost_response_rate: float = 0.02,
        latency_ms: tuple[float, float] = (1, 15),
        burst_every: float = 8.0,
        burst_for: float = 2.0,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.emu = emu
        self.error_rate, self.lost_response_rate, self.latency_ms = error_rate, lost_response_rate, latency_ms
        self.burst_every, self.burst_for = burst_every, burst_for
        self.limit = rate_limit or RateLimit(30, 8)
        self.bursts = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> FaultSchedule:
        faults = self.emu.faults
        faults.error_rate = self.error_rate
        faults.lost_response_rate = self.lost_response_rate
        faults.latency_ms = self.latency_ms
        self._thread = threading.Thread(target=self._bursts, name="rate-limit-bursts", daemon=True)
        self._thread.start()
        return self

    def _bursts(self) -> None:
        while not self._stop.wait(self.burst_every - self.burst_for):
            self.emu.faults.rate_limit = self.limit
            self.bursts += 1
            stopped = self._stop.wait(self.burst_for)
            self.emu.faults.rate_limit = None
            if stopped:
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self.emu.faults.clear()


class Killer:
    """SIGKILLs a random worker child of a supervisor every ``every`` seconds, relentlessly.

    Kills from outside never count towards a worker's ``failed`` state (only its own failures
    do), so the supervisor must bring every victim back promptly however often it is hit.
    """

    def __init__(self, sup: Supervisor, every: float, *, seed: int = 3) -> None:
        self.sup = sup
        self.every = every
        self.rng = random.Random(seed)
        self.kills: Counter[str] = Counter()
        self.log: list[tuple[float, str, int]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Killer:
        self._thread = threading.Thread(target=self._run, name="killer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                children = self.sup.children()
            except psutil.Error:
                continue
            if not children:
                continue
            name, pid = self.rng.choice(sorted(children.items()))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            self.kills[name] += 1
            self.log.append((time.time(), name, pid))


# -- MongoDB views ------------------------------------------------------------------------------
def database(mongo_url: str, pair: PairSpec):
    from pymongo import MongoClient

    return MongoClient(mongo_url, serverSelectionTimeoutMS=5000, tz_aware=True)[pair.database]


def wait_initial_sync(mongo_url: str, pairs: list[PairSpec], timeout: float = 90) -> None:
    def done() -> bool:
        for pair in pairs:
            state = database(mongo_url, pair).sync_state.find_one({"_id": "state"}) or {}
            if not state.get("initial_sync_completed"):
                return False
        return True

    wait_for(done, timeout, interval=0.3, message="initial full sync of every pair")


def wait_converged(
    mongo_url: str, pairs: list[PairSpec], since: datetime, timeout: float, sup: Supervisor | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Wait until each pair ran two consecutive clean cycles that began after ``since``.

    Clean: no error, nothing deferred, no write left to do, no retry pending, and no
    unsettled intent or create in the journal. Returns the ids of those two cycles per pair.
    """
    seen: dict[str, list[dict[str, Any]]] = defaultdict(list)
    clean_streak: Counter[str] = Counter()

    def check() -> bool:
        for pair in pairs:
            if clean_streak[pair.name] >= 2:
                continue
            db = database(mongo_url, pair)
            state = db.sync_state.find_one({"_id": "state"}) or {}
            cycle = state.get("last_cycle") or {}
            if not cycle or any(c["cycle"] == cycle["cycle"] for c in seen[pair.name]):
                continue
            seen[pair.name].append(cycle)
            started = datetime.fromisoformat(cycle["startedAt"])
            clean = (
                started > since
                and cycle.get("result") == "ok"
                and not cycle.get("errors")
                and not cycle.get("deferred")
                and not cycle.get("actions")
                and not cycle.get("recovered")
                and not state.get("retry_keys")
                and db.journal.count_documents({"state": "pending"}) == 0
                and db.issue_map.count_documents({"state": "pending"}) == 0
            )
            clean_streak[pair.name] = clean_streak[pair.name] + 1 if clean else 0
        return all(clean_streak[p.name] >= 2 for p in pairs)

    def describe() -> str:
        out = []
        for pair in pairs:
            last = seen[pair.name][-3:]
            out.append(
                f"{pair.name}: streak {clean_streak[pair.name]}, last cycles "
                + json.dumps(
                    [
                        {k: c.get(k) for k in ("startedAt", "result", "actions", "errors", "deferred", "recovered")}
                        for c in last
                    ],
                    default=str,
                )[:3000]
            )
        if sup is not None:
            try:
                out.append("health: " + json.dumps(sup.health(), default=str)[:2000])
            except OSError as exc:
                out.append(f"health unreachable: {exc}")
        return "\n".join(out)

    try:
        wait_for(check, timeout, interval=0.25, message="two clean cycles per pair")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{describe()}") from None
    return {name: [c["cycle"] for c in cycles[-2:]] for name, cycles in seen.items()}


# -- invariants ---------------------------------------------------------------------------------
@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)
    suspects: list[tuple[PairSpec, str]] = field(default_factory=list)  # user issues worth explaining
    details: str = ""

    def add(self, text: str, suspect: tuple[PairSpec, str] | None = None) -> None:
        self.problems.append(text)
        if suspect is not None and suspect not in self.suspects:
            self.suspects.append(suspect)

    def assert_none(self, context: str = "") -> None:
        if self.problems:
            shown = "\n  ".join(self.problems[:40])
            more = f"\n  ... and {len(self.problems) - 40} more" if len(self.problems) > 40 else ""
            details = f"\nWhat Jira and MongoDB show for the first of them:\n{self.details}" if self.details else ""
            raise AssertionError(f"{len(self.problems)} invariant violation(s){context}:\n  {shown}{more}{details}")


EXPECTED_USER_STATUS = {
    # dev status at the end -> user statuses the rules allow (In Review has no rule: the user
    # issue shows In Progress if the sync saw the dev issue In Progress on its way, else Will Do)
    "To Do": {"Will Do"},
    "In Progress": {"In Progress"},
    "In Review": {"Will Do", "In Progress"},
    "Done": {"Resolved"},
}


def check_invariants(
    emu: JiraEmulator,
    mongo_url: str,
    pairs: list[PairSpec],
    people: People | None,
    escalated: set[str],
    final_cycles: dict[str, list[str]] | None = None,
) -> Findings:
    """Everything a correct sync leaves behind once it has converged."""
    f = Findings()
    audit_suspects: list[tuple[PairSpec, str]] = []
    people_comments: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, body, who in people.comments if people else []:
        people_comments[key].append((body, who))

    for pair in pairs:
        db = database(mongo_url, pair)
        devs_by_user: dict[str, list[str]] = defaultdict(list)
        dev_issues = {i["key"]: i for i in emu.issues(pair.dev)}
        for key, issue in dev_issues.items():
            source = (issue.get("properties") or {}).get(SOURCE_PROPERTY)
            if not isinstance(source, dict):
                f.add(f"{key}: dev issue without {SOURCE_PROPERTY}")
                continue
            devs_by_user[source.get("userKey")].append(key)
            if source.get("pair") != pair.name:
                f.add(f"{key}: source property names pair {source.get('pair')!r}")
        f.stats["dev issues"] += len(dev_issues)

        # 0 duplicate dev issues
        for user_key, keys in devs_by_user.items():
            if len(keys) > 1:
                f.add(f"{user_key}: {len(keys)} dev issues {sorted(keys)} (duplicate creates)", (pair, user_key))

        mappings = {m["_id"]: m for m in db.issue_map.find({})}
        for user_key in pair.user_keys:
            user = emu.issue(user_key)
            reached = user_key in escalated
            mapping = mappings.get(user_key)
            devs = devs_by_user.get(user_key, [])
            suspect = (pair, user_key)
            if not reached:
                if devs or mapping:
                    f.add(f"{user_key}: never escalated but has dev issues {devs} / mapping {mapping}", suspect)
                if user["status"] != "Open":
                    f.add(f"{user_key}: never escalated but is {user['status']!r}")
                continue
            # mappings complete: exactly one mapping and one dev issue, and they agree
            if len(devs) != 1:
                f.add(f"{user_key}: reached Will Do but has {len(devs)} dev issues", suspect)
                continue
            dev_key = devs[0]
            if mapping is None or mapping.get("state") != "linked" or mapping.get("dev_key") != dev_key:
                f.add(f"{user_key}: mapping {mapping} does not name its dev issue {dev_key}", suspect)
            links = [link for link in user["links"] if link["key"] == dev_key]
            if len(links) != 1:
                f.add(f"{user_key}: {len(links)} links to {dev_key}", suspect)
            dev = dev_issues[dev_key]
            if dev["summary"] != user["summary"]:
                f.add(f"{dev_key}: summary {dev['summary']!r} != {user['summary']!r}")
            # status changes applied per the rules
            allowed = EXPECTED_USER_STATUS.get(dev["status"], set())
            if user["status"] not in allowed:
                f.add(
                    f"{user_key} is {user['status']!r} but its dev issue {dev_key} is {dev['status']!r} "
                    f"(expected one of {sorted(allowed)})",
                    suspect,
                )
            f.stats[f"dev {dev['status']}"] += 1

            # comments: nothing twice; every person's comment mirrored exactly once; templates once
            user_bodies = Counter(plain(c["body"]) for c in emu.comments(user_key))
            dev_bodies = Counter(plain(c["body"]) for c in emu.comments(dev_key))
            for key, bodies in ((user_key, user_bodies), (dev_key, dev_bodies)):
                for body, n in bodies.items():
                    if n > 1:
                        f.add(f"{key}: comment appears {n} times: {body[:80]!r}", suspect)
            expect_user: Counter[str] = Counter({f"Escalated to engineering as {dev_key}.": 1})
            if dev["status"] == "Done":
                expect_user[f"Fixed in {dev_key}."] += 1
            expect_dev: Counter[str] = Counter()
            for body, who in people_comments.get(user_key, []):
                expect_user[body] += 1
                expect_dev[f"{DISPLAY[who]} wrote:\n{body}"] += 1
            for body, who in people_comments.get(dev_key, []):
                expect_dev[body] += 1
                expect_user[f"{DISPLAY[who]} wrote:\n{body}"] += 1
            for key, got, want in ((user_key, user_bodies, expect_user), (dev_key, dev_bodies, expect_dev)):
                if got != want:
                    missing = want - got
                    extra = got - want
                    f.add(f"{key}: comments differ: missing {dict(missing)} extra {dict(extra)}", suspect)
            f.stats["comments checked"] += sum(user_bodies.values()) + sum(dev_bodies.values())

        # no mapping for anything we did not escalate, none pending
        for user_key, mapping in mappings.items():
            if user_key not in escalated:
                f.add(f"{user_key}: unexpected mapping {mapping}")
            if mapping.get("state") != "linked":
                f.add(f"{user_key}: mapping left {mapping.get('state')!r}")
        pending = list(db.journal.find({"state": "pending"}))
        if pending:
            f.add(f"{pair.name}: {len(pending)} unsettled intents: {[p['_id'] for p in pending[:5]]}")

        # audit: one create per dev issue, each naming the dev issue it made, no double create
        creates = list(db.audit.find({"action": "create_issue", "result": "ok"}))
        audited: dict[str, list[str]] = defaultdict(list)
        for entry in creates:
            detail = entry.get("detail") or {}
            user_key = entry["keys"][0]
            audited[user_key].append(detail.get("dev_key"))
            if detail.get("dev_key") not in dev_issues:
                f.add(f"{pair.name}: audit names a create of {detail.get('dev_key')} that is not in Jira")
            elif devs_by_user.get(user_key) != [detail.get("dev_key")]:
                f.add(
                    f"{pair.name}: audit says {user_key} got {detail.get('dev_key')}, "
                    f"Jira says {devs_by_user.get(user_key)}"
                )
        fresh = [e for e in creates if not (e.get("detail") or {}).get("recovered")]
        fresh_by_user = Counter(e["keys"][0] for e in fresh)
        for user_key, n in fresh_by_user.items():
            if n > 1:
                f.add(f"{pair.name}: audit records {n} fresh creates for {user_key}")
        unaudited = sorted(set(devs_by_user) - set(audited))
        if unaudited:
            f.add(
                f"{pair.name}: {len(unaudited)} dev issue(s) created without a create_issue audit entry, "
                f"e.g. for {unaudited[:5]}"
            )
        f.stats["audited creates"] += len(set(audited))
        if unaudited:
            audit_suspects.append((pair, unaudited[0]))
        # no error left in the last cycles (the clean ones convergence waited for)
        last = (final_cycles or {}).get(pair.name, [])
        for entry in db.audit.find({"cycle": {"$in": last}, "result": {"$in": ["error", "deferred"]}}):
            f.add(f"{pair.name}: cycle {entry['cycle']} audited {entry['result']}: {entry.get('detail')}")
    explained = (f.suspects + audit_suspects)[:2]
    f.details = "\n".join(explain(emu, mongo_url, p, key)[:6000] for p, key in explained)
    return f


def explain(emu: JiraEmulator, mongo_url: str, pair: PairSpec, user_key: str) -> str:
    """Everything known about one user issue and its dev partner, for a failure message."""
    db = database(mongo_url, pair)
    mapping = db.issue_map.find_one({"_id": user_key})
    dev_key = (mapping or {}).get("dev_key")
    keys = [k for k in (user_key, dev_key) if k]
    lines = [f"== {user_key} / {dev_key} mapping={mapping}"]
    for key in keys:
        issue = emu.issue(key)
        lines.append(f"-- {key} status={issue['status']} created={issue['created']} updated={issue['updated']}")
        for h in issue["changelog"]:
            lines.append(f"   change {h['created']} by {h['author']}: {h['items']}")
        for c in emu.comments(key):
            lines.append(f"   comment {c['id']} {c['created']} by {c['author']}: {plain(c['body'])[:70]!r}")
        snap = db.snapshots.find_one({"_id": key})
        lines.append(f"   snapshot {snap}")
    for entry in db.journal.find({"key": {"$in": keys}}):
        lines.append(f"   journal {entry}")
    for entry in db.audit.find({"keys": {"$in": keys}}).sort("ts", 1):
        entry.pop("_id", None)
        entry.pop("expires_at", None)
        lines.append(f"   audit {entry}")
    return "\n".join(lines)
