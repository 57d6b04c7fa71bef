"""What a transition's screen needs from us (``GET issue/{key}/transitions?expand=transitions.fields``).

Real workflows often put a screen on the way into a done status with a required
*Resolution*; posting the transition without it fails with 400 ``{"errors": {"resolution":
"Field Resolution is required."}}``, and posting a field that is not on the screen fails
with "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown.".
So the resolution is sent only when the screen has it: the rule's ``resolution`` if it
names an allowed value, else a sensible default the screen offers. A required field we
cannot fill makes the transition *blocked*: one clear error, no request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from jirasync_cli.jira.errors import JiraApiError

PREFERRED_RESOLUTIONS = ("Done", "Fixed")


class TransitionBlocked(JiraApiError):
    """The transition needs a value jirasync cannot give: a configuration problem, not a
    Jira outage; retrying without a change of configuration or workflow cannot help."""

    def __init__(self, status: int | None, message: str, key: str | None = None, operation: str = "") -> None:
        super().__init__(400 if status is None else status, message, key, operation)
        self.args = (message,)

    def __str__(self) -> str:
        return self.jira_message


@dataclass(frozen=True)
class TransitionPlan:
    id: str
    fields: dict[str, Any] = field(default_factory=dict)  # what to send with it
    blocked: str | None = None  # why it cannot be made (a required field we cannot fill)
    learnt_at: float = field(default_factory=time.monotonic)


def transition_plan(
    option: dict[str, Any], *, key: str, target: str, resolution: str | None, rule: str = ""
) -> TransitionPlan:
    """The request for transition ``option`` (one entry of the expanded transitions list);
    ``rule`` names the config setting to fix, e.g. ``rules[1].resolution (rule 'dev-done')``."""
    screen = option.get("fields") or {}
    send: dict[str, Any] = {}
    missing: list[str] = []
    where = f"transition to {target!r} on {key}"
    setting = f"set {rule}" if rule else "set the rule's resolution"
    for field_id, meta in screen.items():
        meta = meta or {}
        name = str(meta.get("name") or field_id)
        if field_id == "resolution":
            allowed = [
                str(v.get("name")) for v in meta.get("allowedValues") or [] if isinstance(v, dict) and v.get("name")
            ]
            if resolution:
                chosen = next((a for a in allowed if a.casefold() == resolution.casefold()), None)
                if chosen is None:
                    offered = ", ".join(allowed) or "none"
                    return TransitionPlan(
                        str(option["id"]),
                        blocked=(
                            f"{where} cannot set resolution {resolution!r}: the screen offers {offered}; "
                            f"{setting} to one of them"
                        ),
                    )
                send["resolution"] = {"name": chosen}
            elif meta.get("required"):
                chosen = _default_resolution(allowed)
                if chosen is None:
                    missing.append(f"{name} (no value offered)")
                else:
                    send["resolution"] = {"name": chosen}
            continue
        if not meta.get("required"):
            continue
        if meta.get("hasDefaultValue") and meta.get("defaultValue") is not None:
            send[field_id] = meta["defaultValue"]
            continue
        missing.append(f"{name} ({field_id})")
    if missing:
        return TransitionPlan(
            str(option["id"]),
            blocked=(
                f"{where} requires field {', '.join(missing)}, which jirasync cannot fill; make it optional or "
                f"give it a default on that transition's screen in Jira, or change the rule's targetStatus"
            ),
        )
    return TransitionPlan(str(option["id"]), send)


def _default_resolution(allowed: list[str]) -> str | None:
    for wanted in PREFERRED_RESOLUTIONS:
        hit = next((a for a in allowed if a.casefold() == wanted.casefold()), None)
        if hit:
            return hit
    return allowed[0] if allowed else None
