"""A stateful Jira emulator (Cloud or Server/DC flavour) served over real HTTP.

Used by the test suite, the demo and the benchmarks, and by users trying configs offline::

    from jirasync_cli.emulator import JiraEmulator, Workflow
    with JiraEmulator(mode="cloud") as emu:
        emu.add_project("USER", name="Customer Support", workflow=Workflow.user_default())
        key = emu.create_issue("USER", summary="Login fails", as_account="alice")
"""

from .accounts import Account, default_accounts
from .emulator import JiraEmulator
from .errors import ApiError, EmulatorError
from .faults import RateLimit
from .jql import JqlError
from .sites import TwoSites, default_dc_accounts, two_sites
from .workflow import ScreenField, Status, Transition, Workflow

__all__ = [
    "Account",
    "ApiError",
    "EmulatorError",
    "JiraEmulator",
    "JqlError",
    "RateLimit",
    "ScreenField",
    "Status",
    "Transition",
    "TwoSites",
    "Workflow",
    "default_accounts",
    "default_dc_accounts",
    "two_sites",
]
