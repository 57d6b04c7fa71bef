"""Two Jira sites at once: the customer's Cloud and the company's Data Center, for cross-site pairs.

Each site is its own :class:`JiraEmulator` on its own port, with its own accounts, clock
offset, time zone and status names, as two real sites differ::

    with two_sites() as sites:
        sites.add_pair_projects()  # CUS on Cloud (English), DEV on Data Center (German)
        key = sites.cloud.create_issue("CUS", "Login fails", as_account="bob")

The people who work on both sites (Dan, Erin) have the same e-mail address on both, as with a
company directory; Cloud hides it from other accounts, Data Center shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .accounts import BOT, Account, default_accounts
from .emulator import JiraEmulator
from .workflow import Workflow

DC_BOT = "jirasync-dc-bot"
DC_BOT_TOKEN = "dc-emulator-token"  # the Data Center bot's personal access token


def default_dc_accounts() -> list[Account]:
    """The Data Center site's people: its own bot, the developers (same e-mail addresses as
    on the Cloud site, other ids), an engineer the Cloud site does not know."""
    return [
        Account(
            DC_BOT,
            "jirasync bot (DC)",
            "jirasync-dc@ours.example",
            DC_BOT_TOKEN,
            role="bot",
            time_zone="America/New_York",
        ),
        Account(
            "dan",
            "Dan Okafor",
            "dan@example.com",
            "dan-dc-token",
            role="developer",
            account_id="dc:dan",
            time_zone="America/New_York",
        ),
        Account("erin", "Erin Castillo", "erin@example.com", "erin-dc-token", role="developer", account_id="dc:erin"),
        Account(
            "robert", "Robert Lind", "robert@ours.example", "robert-dc-token", role="developer", account_id="dc:robert"
        ),
    ]


@dataclass
class TwoSites:
    cloud: JiraEmulator
    dc: JiraEmulator

    def __iter__(self) -> Any:
        return iter((self.cloud, self.dc))

    def start(self) -> TwoSites:
        for site in self:
            site.start()
        return self

    def stop(self) -> None:
        for site in self:
            site.stop()

    def __enter__(self) -> TwoSites:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def add_pair_projects(
        self,
        user_key: str = "CUS",
        dev_key: str = "DEV",
        *,
        dev_workflow: Workflow | None = None,
        user_on_cloud: bool = True,
    ) -> tuple[JiraEmulator, JiraEmulator]:
        """The user project on one site (Cloud unless ``user_on_cloud`` is false) with the
        customer-support workflow, the dev project on the other with the German engineering
        workflow (or ``dev_workflow``); returns (user site, dev site)."""
        user_site, dev_site = (self.cloud, self.dc) if user_on_cloud else (self.dc, self.cloud)
        user_site.add_project(
            user_key, name="Customer Support", workflow=Workflow.user_default(), lead=_lead(user_site)
        )
        dev_site.add_project(
            dev_key, name="Entwicklung", workflow=dev_workflow or Workflow.dev_german(), lead=_lead(dev_site)
        )
        return user_site, dev_site


def _lead(site: JiraEmulator) -> str:
    return next(a.name for a in site.accounts.accounts if a.role != "bot")


def two_sites(
    *,
    cloud_timezone: str = "Europe/Berlin",
    dc_timezone: str = "America/New_York",
    cloud_clock_offset_seconds: float = 0.0,
    dc_clock_offset_seconds: float = -97.0,
    cloud_accounts: list[Account] | None = None,
    dc_accounts: list[Account] | None = None,
    **settings: Any,
) -> TwoSites:
    """A Cloud and a Data Center emulator, not started (use ``with`` or ``.start()``).

    The sites' clocks disagree (by default the Data Center clock is 97 s behind, as a server
    without NTP drifts) and so do their zones; ``settings`` go to both constructors
    (strictness switches, ``screens``, ``seed``)."""
    cloud = JiraEmulator(
        mode="cloud",
        timezone=cloud_timezone,
        clock_offset_seconds=cloud_clock_offset_seconds,
        accounts=cloud_accounts if cloud_accounts is not None else default_accounts(),
        **settings,
    )
    dc = JiraEmulator(
        mode="server",
        timezone=dc_timezone,
        clock_offset_seconds=dc_clock_offset_seconds,
        accounts=dc_accounts if dc_accounts is not None else default_dc_accounts(),
        **settings,
    )
    return TwoSites(cloud, dc)


__all__ = ["BOT", "DC_BOT", "DC_BOT_TOKEN", "TwoSites", "default_dc_accounts", "two_sites"]
