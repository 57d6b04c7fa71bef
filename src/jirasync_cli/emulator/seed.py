"""Demo data: user/dev project pairs with realistic issues, comments and workflow states."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .workflow import Workflow

if TYPE_CHECKING:
    from .emulator import JiraEmulator

PAIRS = [
    ("SUP", "Customer Support", "ENG", "Engineering"),
    ("CS", "Customer Success", "PLAT", "Platform"),
    ("HELP", "Help Desk", "CORE", "Core Services"),
    ("SVC", "Service Requests", "OPS", "Operations"),
]

PROBLEMS = [
    ('Login fails with "invalid session" after password reset', "Bug", "High", ["login", "auth"]),
    ("Export to CSV drops rows with non-ASCII names", "Bug", "Medium", ["export", "i18n"]),
    ("Dashboard takes 30+ seconds to load for large accounts", "Bug", "High", ["performance"]),
    ("Invoice PDF shows the wrong VAT rate for Austria", "Bug", "Highest", ["billing", "tax"]),
    ("Request: bulk-assign tickets from the list view", "Story", "Low", ["feature-request"]),
    ("Email notifications arrive twice", "Bug", "Medium", ["notifications"]),
    ("SSO via Okta redirects to a blank page", "Bug", "High", ["sso", "auth"]),
    ("Mobile app crashes when opening attachments over 20 MB", "Bug", "High", ["mobile", "attachments"]),
    ("Search ignores words with umlauts", "Bug", "Medium", ["search", "i18n"]),
    ("Add a webhook for status changes", "Story", "Medium", ["api", "feature-request"]),
    ("API returns 500 when the page size is 0", "Bug", "Low", ["api"]),
    ("Time zone of scheduled reports is off by one hour after DST", "Bug", "Medium", ["reports", "timezone"]),
    ("Cannot remove a user who owns shared filters", "Bug", "Medium", ["admin"]),
    ("Please document the rate limits of the public API", "Task", "Lowest", ["docs", "api"]),
    ("Data import stops at 10,000 records without an error", "Bug", "High", ["import"]),
    ("Dark mode: table headers are unreadable", "Bug", "Low", ["ui"]),
    ("Two-factor codes rejected when the phone clock drifts", "Bug", "High", ["auth", "2fa"]),
    ("Audit log misses permission changes", "Bug", "Medium", ["audit", "security"]),
    ("Allow custom fields in the customer portal", "Story", "Medium", ["portal", "feature-request"]),
    ("Session expires while typing a long reply", "Bug", "Medium", ["session"]),
]
CONTEXTS = [
    "since this morning",
    "for customers on the EU cluster",
    "only in Firefox",
    "after the last release",
    "for roughly 5% of our users",
    "on the enterprise plan",
    "when the account has more than 50 projects",
    "intermittently, about once an hour",
]
STEPS = [
    "Log in as a regular user",
    "Open the affected page",
    "Apply the default filter",
    "Click *Export* in the toolbar",
    "Wait for the spinner to finish",
    "Reload the page",
]
CUSTOMER_COMMENTS = [
    "Any update on this? Our team is blocked.",
    "We can reproduce it again today, see the screenshot in the original report.",
    "Thanks, the workaround helps for now.",
    "This also affects our second workspace.",
    "Could you give us an ETA? We have a release on Friday.",
]
AGENT_COMMENTS = [
    "Thanks for the report, I could reproduce it and escalated it to engineering.",
    "Could you tell us the browser version and the time it last happened?",
    "Engineering confirmed the root cause; a fix is planned for the next release.",
    "Workaround: clear the session cookie and log in again.",
    "I've linked this to the engineering ticket and will keep you posted.",
]
DEV_COMMENTS = [
    "Root cause: the cache key ignores the tenant id. Fix in review.",
    "Can't reproduce on staging, need the request id from the logs.",
    "Added a regression test; the fix is behind the `safe-export` flag.",
    "This is the same problem as last quarter's session bug, reusing that patch.",
    "Deployed to staging, please verify.",
]
USER_STATUSES = ["Open", "Open", "Will Do", "In Progress", "Waiting for Customer", "Resolved", "Closed"]
DEV_STATUSES = ["To Do", "To Do", "In Progress", "In Review", "Done"]


def issue_description(rng: random.Random, title: str) -> str:
    """A plausible bug report in wiki markup: context, steps to reproduce, expected and actual."""
    steps = rng.sample(STEPS, 3)
    return (
        f"{title} {rng.choice(CONTEXTS)}.\n\n"
        "h3. Steps to reproduce\n" + "\n".join(f"# {s}" for s in steps) + "\n\n"
        f"*Expected:* it works.\n*Actual:* {rng.choice(['an error page', 'nothing happens', 'a timeout'])}."
    )


def seed_pairs(emu: JiraEmulator, pairs: int = 2, issues_per_pair: int = 30, rng_seed: int = 1) -> list[dict[str, Any]]:
    """Create ``pairs`` user/dev project pairs with ``issues_per_pair`` customer issues each;
    about half are escalated to a linked dev issue. Returns one dict per pair:
    ``{"user_key": "SUP", "dev_key": "ENG", "user_issues": [...], "dev_issues": [...]}``."""
    rng = random.Random(rng_seed)
    out = []
    humans = {a.role: a.name for a in emu.accounts.accounts}
    agent, customer = humans.get("support agent", "alice"), humans.get("customer", "bob")
    devs = [a.name for a in emu.accounts.accounts if a.role == "developer"] or [agent]
    base = emu.now() - timedelta(days=14)
    for n in range(pairs):
        if n < len(PAIRS):
            ukey, uname, dkey, dname = PAIRS[n]
        else:
            ukey, uname, dkey, dname = f"USR{n}", f"Customer Project {n}", f"DEV{n}", f"Dev Project {n}"
        existing = {p["key"] for p in emu.summary()["projects"]}
        if ukey not in existing:
            emu.add_project(ukey, name=uname, workflow=Workflow.user_default(), lead=agent)
        if dkey not in existing:
            emu.add_project(dkey, name=dname, workflow=Workflow.dev_default(), lead=devs[0])
        user_issues, dev_issues = [], []
        for i in range(issues_per_pair):
            title, itype, prio, labels = PROBLEMS[(i + n * 7) % len(PROBLEMS)]
            at = base + timedelta(minutes=rng.randint(0, 13 * 24 * 60))
            reporter = rng.choice([customer, agent])
            key = emu.create_issue(
                ukey,
                summary=title,
                description=issue_description(rng, title),
                issuetype=itype,
                priority=prio,
                labels=labels,
                as_account=reporter,
                at=at,
                status=rng.choice(USER_STATUSES),
            )
            user_issues.append(key)
            for j in range(rng.randint(0, 3)):
                who = customer if j % 2 == 0 else agent
                text = rng.choice(CUSTOMER_COMMENTS if who == customer else AGENT_COMMENTS)
                emu.add_comment(key, text, as_account=who, at=at + timedelta(hours=j + 1))
            if rng.random() < 0.5:
                dev = emu.create_issue(
                    dkey,
                    summary=f"[{key}] {title}",
                    description=issue_description(rng, title),
                    issuetype="Bug" if itype == "Bug" else "Task",
                    priority=prio,
                    labels=["from-support"],
                    as_account=rng.choice(devs),
                    at=at + timedelta(hours=2),
                    status=rng.choice(DEV_STATUSES),
                )
                emu.link(dev, key, "Relates", as_account=agent, at=at + timedelta(hours=2))
                if rng.random() < 0.6:
                    emu.add_comment(
                        dev, rng.choice(DEV_COMMENTS), as_account=rng.choice(devs), at=at + timedelta(hours=5)
                    )
                dev_issues.append(dev)
        out.append({"user_key": ukey, "dev_key": dkey, "user_issues": user_issues, "dev_issues": dev_issues})
    return out
