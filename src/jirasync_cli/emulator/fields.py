"""Reading the ``fields`` / ``update`` parts of create, edit and transition requests.

Every problem is collected per field, as Jira does, and reported together as one 400 before
anything is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import adf, catalog
from .accounts import AccountBook
from .errors import ApiError
from .model import Body, Issue, Project, State

TEXT_LIMIT = 32767
TOO_LONG = "The entered text is too long. It exceeds the allowed limit of 32,767 characters."
ADF_REQUIRED = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"

# Without a screen to consult (transitions, the Python API acting as a person in the UI).
EDITABLE = {"summary", "description", "priority", "labels", "issuetype", "assignee", "reporter", "issuelinks"}
UPDATE_ONLY = {"issuelinks"}  # set through ``update`` operations only, as before screens existed
SINGLE = {"summary", "description", "priority", "issuetype", "assignee", "reporter", "resolution"}


def cannot_set(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


@dataclass
class Parsed:
    changes: dict[str, Any] = field(default_factory=dict)
    link_adds: list[tuple[str, Issue, str]] = field(default_factory=list)  # (type_id, other, "inward"|"outward")
    comment_adds: list[dict[str, Any]] = field(default_factory=list)
    project: Any = None


class FieldParser:
    def __init__(self, state: State, accounts: AccountBook, *, version: str, cloud: bool) -> None:
        self.state, self.accounts, self.version, self.cloud = state, accounts, version, cloud
        self.errors: dict[str, str] = {}

    # ------------------------------------------------------------ single values
    def text_body(self, name: str, value: Any, *, required: bool = False) -> Body | None:
        if value is None or value == "":
            return None
        if self.version == "3":
            if not adf.is_valid_adf(value):
                self.errors[name] = ADF_REQUIRED
                return None
            if len(adf.adf_to_text(value)) > TEXT_LIMIT:
                self.errors[name] = TOO_LONG
            return ("adf", value)
        if not isinstance(value, str):
            self.errors[name] = "Operation value must be a string"
            return None
        if len(value) > TEXT_LIMIT:
            self.errors[name] = TOO_LONG
        return ("wiki", value)

    def summary(self, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.errors["summary"] = "You must specify a summary of the issue."
            return None
        if "\n" in value or "\r" in value:
            self.errors["summary"] = "The summary is invalid because it contains newline characters."
            return None
        if len(value) > 255:
            self.errors["summary"] = "Summary must be less than 255 characters."
            return None
        return value

    def priority(self, value: Any) -> str | None:
        if value is None:  # clearing the priority falls back to the scheme's default
            return catalog.DEFAULT_PRIORITY
        ident = _ident(value)
        for pid, name, *_ in catalog.PRIORITIES:
            if ident is not None and (ident == pid or (isinstance(value, dict) and "name" in value and ident == name)):
                return pid
        if isinstance(value, dict) and "name" in value:
            self.errors["priority"] = f"Priority name '{value['name']}' is not valid"
        elif isinstance(value, dict) and "id" in value:
            self.errors["priority"] = f"Priority with id '{value['id']}' does not exist"
        else:
            self.errors["priority"] = "Specify the Priority (id or name) in the string format"
        return None

    def issuetype(self, value: Any) -> str | None:
        ident = _ident(value)
        for tid, name, _d, subtask, *_ in catalog.ISSUE_TYPES:
            if ident is not None and (ident == tid or (isinstance(value, dict) and value.get("name") == name)):
                if subtask:
                    self.errors["issuetype"] = "Issue type is a sub-task but parent issue key or id not specified."
                    return None
                return tid
        self.errors["issuetype"] = "Specify a valid issue type" if value else "Specify an issue type"
        return None

    def labels(self, value: Any) -> list[str] | None:
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            self.errors["labels"] = "data was not an array"
            return None
        for label in value:
            if not label or any(c.isspace() for c in label):
                self.errors["labels"] = f"The label '{label}' contains spaces which is invalid."
                return None
            if len(label) > 255:
                self.errors["labels"] = (
                    f"The label '{label}' exceeds the maximum length for a single label of 255 characters."
                )
                return None
        return sorted(set(value))

    def user(self, name: str, value: Any) -> str | None | bool:
        """Account handle, None for "unset", or False when invalid."""
        if value is None:
            if name == "reporter":
                self.errors[name] = "Reporter is required."
                return False
            return None
        if not isinstance(value, dict):
            self.errors[name] = f"Specify a valid value for {name}"
            return False
        if self.cloud:
            ident = value.get("accountId") or value.get("id")
        else:
            ident = value.get("name") or value.get("key")
        if ident is None and value and all(v is None for v in value.values()):
            if name == "reporter":
                self.errors[name] = "Reporter is required."
                return False
            return None
        acc = self.accounts.get(ident) if ident else None
        if acc is None:
            self.errors[name] = f"Specify a valid value for {name}"
            return False
        return acc.name

    def project(self, value: Any) -> Project | None:
        ident = _ident(value) if isinstance(value, dict) else value
        proj = self.state.project(ident) if ident is not None else None
        if proj is None:
            self.errors["project"] = "Specify a valid project ID or key"
        return proj

    def resolution(self, value: Any) -> str | None:
        ident = _ident(value)
        table = catalog.RESOLUTIONS_CLOUD if self.cloud else catalog.RESOLUTIONS_SERVER
        for rid, name, _d in table:
            if ident is not None and (ident == rid or (isinstance(value, dict) and value.get("name") == name)):
                return rid
        self.errors["resolution"] = "Specify a valid value for resolution"
        return None

    def issue_ref(self, value: Any) -> Issue | None:
        if not isinstance(value, dict):
            return None
        return self.state.issue(value.get("key") or value.get("id"))

    def link_type(self, value: Any) -> str | None:
        if not isinstance(value, dict):
            return None
        for tid, name, _inward, _outward in catalog.LINK_TYPES:
            if str(value.get("id")) == tid or value.get("name") == name:
                return tid
        return None

    # ------------------------------------------------------------ the whole request
    def parse(
        self, fields: Any, update: Any, *, issue: Issue | None, creating: bool, allow: set[str] = EDITABLE
    ) -> Parsed:
        out = Parsed()
        fields = fields if isinstance(fields, dict) else {}
        update = update if isinstance(update, dict) else {}
        both = set(fields) & set(update)
        for name in both:
            self.errors[name] = f"Field '{name}' cannot be set with both 'fields' and 'update'."
        if creating:
            out.project = self.project(fields.get("project"))
            if "summary" not in fields and "summary" not in update:
                self.errors["summary"] = "You must specify a summary of the issue."
            if "issuetype" not in fields and "issuetype" not in update:
                self.errors["issuetype"] = "Specify an issue type"
        for name, value in fields.items():
            if name == "project" and creating:
                continue
            if name not in allow or name in UPDATE_ONLY:
                self.errors[name] = cannot_set(name)
                continue
            self._set(out, name, value, issue)
        for name, ops in update.items():
            if name in both:
                continue
            if not isinstance(ops, list):
                self.errors[name] = "data was not an array"
                continue
            for op in ops:
                if not isinstance(op, dict) or len(op) != 1:
                    self.errors[name] = "Operation must be a single key-value pair"
                    break
                verb, value = next(iter(op.items()))
                self._update_op(out, name, verb, value, issue, allow)
        return out

    def _set(self, out: Parsed, name: str, value: Any, issue: Issue | None) -> None:
        ch = out.changes
        if name == "summary":
            summary = self.summary(value)
            if summary is not None:
                ch["summary"] = summary
        elif name == "description":
            ch["description"] = self.text_body("description", value)
        elif name == "priority":
            priority = self.priority(value)
            if priority:
                ch["priority_id"] = priority
        elif name == "issuetype":
            issuetype = self.issuetype(value)
            if issuetype:
                ch["issuetype_id"] = issuetype
        elif name == "labels":
            labels = self.labels(value if value is not None else [])
            if labels is not None:
                ch["labels"] = labels
        elif name in ("assignee", "reporter"):
            user = self.user(name, value)
            if user is not False:
                ch[name] = user
        elif name == "resolution":
            if value is None:
                ch["resolution_id"] = None
            else:
                v = self.resolution(value)
                if v:
                    ch["resolution_id"] = v

    def _update_op(self, out: Parsed, name: str, verb: str, value: Any, issue: Issue | None, allow: set[str]) -> None:
        if name == "labels" and "labels" in allow:
            current = out.changes.get("labels", list(issue.labels) if issue else [])
            if verb == "set":
                v = self.labels(value if value is not None else [])
                if v is not None:
                    out.changes["labels"] = v
            elif verb in ("add", "remove"):
                v = self.labels([value])
                if v is not None:
                    s = set(current)
                    s.add(value) if verb == "add" else s.discard(value)
                    out.changes["labels"] = sorted(s)
            else:
                self.errors[name] = (
                    f"Field 'labels' does not support operation '{verb}' Supported operation(s) are: 'add,set,remove'"
                )
        elif name == "issuelinks" and "issuelinks" in allow:
            if verb != "add" or not isinstance(value, dict):
                self.errors[name] = (
                    f"Field 'issuelinks' does not support operation '{verb}' Supported operation(s) are: 'add'"
                )
                return
            type_id = self.link_type(value.get("type"))
            if type_id is None:
                self.errors["issuelinks"] = "Issue link type is required and must be a valid link type"
                return
            if "outwardIssue" in value:
                other, direction = self.issue_ref(value["outwardIssue"]), "outward"
            elif "inwardIssue" in value:
                other, direction = self.issue_ref(value["inwardIssue"]), "inward"
            else:
                self.errors["issuelinks"] = "Either an inward or outward issue must be specified"
                return
            if other is None:
                self.errors["issuelinks"] = "The issue that you are trying to link to does not exist."
                return
            out.link_adds.append((type_id, other, direction))
        elif name == "comment":
            if verb != "add" or not isinstance(value, dict):
                self.errors[name] = (
                    f"Field 'comment' does not support operation '{verb}' Supported operation(s) are: 'add'"
                )
                return
            body = self.text_body("comment", value.get("body"))
            if body is None:
                self.errors.setdefault("comment", "Comment body can not be empty!")
                return
            out.comment_adds.append(
                {"body": body, "visibility": value.get("visibility"), "properties": value.get("properties")}
            )
        elif name in allow and name in SINGLE:
            if verb != "set":
                self.errors[name] = (
                    f"Field '{name}' does not support operation '{verb}' Supported operation(s) are: 'set'"
                )
                return
            self._set(out, name, value, issue)
        else:
            self.errors[name] = cannot_set(name)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ApiError(400, [], self.errors)


def _ident(value: Any) -> str | None:
    if isinstance(value, dict):
        v = value.get("id", value.get("name", value.get("key")))
        return None if v is None else str(v)
    if isinstance(value, (str, int)):
        return str(value)
    return None
