"""Pydantic models of one ``sync-<name>.json`` file.

Keys are camelCase, as in the files users already have. Unknown keys are rejected so a
typo (``syncIntervalMinute``) cannot silently fall back to a default; keys starting with
``_`` are comments and are stripped by the loader before validation.

Used only where files are validated (the loader, the schema): the rest of the program runs
on :class:`~jirasync_cli.config.pair.PairConfig`, which :meth:`SyncPairConfig.to_pair_config`
makes of a validated file.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import core_schema

from jirasync_cli.config.pair import Direction, JiraSite, PairConfig, Secret
from jirasync_cli.sync.mapping import KINDS, table_problems

# Placeholders a comment template may use; env interpolation leaves them alone.
TEMPLATE_VARIABLES = frozenset(
    {
        "sourceKey",
        "targetKey",
        "sourceStatus",
        "targetStatus",
        "summary",
        "author",
        "sourceProject",
        "targetProject",
        "ruleId",
        "pair",
    }
)
PROJECT_KEY = r"^[A-Z][A-Z0-9_]{0,49}$"
PAIR_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
# MongoDB database names: no /\. "$*<>:|? and at most 63 bytes.
DATABASE_NAME = r"^[A-Za-z0-9_-]{1,63}$"


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
    )


def _token_out(value: Secret, info: core_schema.SerializationInfo) -> Secret | str:
    return "**********" if info.mode_is_json() else value  # model_dump() keeps the Secret, JSON masks it


# A token is validated as a string and held as the runtime's Secret from the start: one
# secret type, masked in every repr and JSON dump; the schema reads as pydantic's SecretStr's.
ApiToken = Annotated[
    Secret,
    GetPydanticSchema(
        lambda _type, _handler: core_schema.no_info_after_validator_function(
            Secret,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(_token_out, info_arg=True),
        )
    ),
    WithJsonSchema({"type": "string", "format": "password", "writeOnly": True}),
]


class JiraConnection(_Model):
    base_url: str = Field(description="Jira site URL, e.g. https://example.atlassian.net")
    email: str | None = Field(None, description="Account e-mail (basic auth on Cloud)")
    api_token: ApiToken = Field(description="API token (basic) or personal access token (pat); use ${JIRA_API_TOKEN}")
    auth_type: Literal["basic", "pat"] = Field("basic", description="basic = email + API token; pat = bearer token")
    api_version: Literal["2", "3"] | None = Field(
        None, description="REST API version; default 3 on Cloud (ADF bodies), 2 on Server/DC (wiki text)"
    )
    max_requests_per_second: float = Field(
        10.0,
        gt=0,
        le=1000,
        description="Requests per second to this Jira site to start with, shared by all pairs on the site; "
        "the rate then adapts to Jira's answers",
    )
    max_requests_per_second_ceiling: float | None = Field(
        None,
        gt=0,
        le=1000,
        description="Highest rate the site's pacing may rise to while Jira answers cleanly; "
        "default 100, or maxRequestsPerSecond if that is higher",
    )
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="HTTP timeout per request")
    concurrency: int = Field(4, ge=1, le=32, description="Issues written in parallel during a cycle")
    link_type: str = Field(
        "Relates",
        min_length=1,
        description="Issue link type used for cross-links, read as '<dev issue> <outward phrase> <user issue>': "
        "with Cloners the dev issue 'clones' the user issue, which 'is cloned by' it; with Blocks "
        "the dev issue 'blocks' the user issue",
    )

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
            raise ValueError("must be an http(s) URL such as https://example.atlassian.net")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _auth(self) -> JiraConnection:
        if self.auth_type == "basic" and not self.email:
            raise ValueError("email is required when authType is basic")
        if not self.api_token.get_secret_value():
            raise ValueError("apiToken must not be empty")
        ceiling = self.max_requests_per_second_ceiling
        if ceiling is not None and ceiling < self.max_requests_per_second:
            raise ValueError(
                f"maxRequestsPerSecondCeiling ({self.max_requests_per_second_ceiling:g}) must not be "
                f"below maxRequestsPerSecond ({self.max_requests_per_second:g})"
            )
        return self

    def to_site(self) -> JiraSite:
        return JiraSite.from_dict(self.model_dump())


class Conditions(_Model):
    """Extra filters on the source issue; all given ones must hold."""

    issue_types: list[str] = Field([], description="Issue type names (any of)")
    priorities: list[str] = Field([], description="Priority names (any of)")
    labels: list[str] = Field([], description="At least one of these labels")
    exclude_labels: list[str] = Field([], description="None of these labels")


class Actions(_Model):
    create_issue: bool = Field(False, description="Create the partner issue when none is mapped (user_to_dev only)")
    sync_status: bool = Field(False, description="Move the partner issue to targetStatus")
    target_status: str | None = Field(None, description="Status the partner moves to (same as the rule's targetStatus)")
    add_comment: bool = Field(False, description="Add a comment from commentTemplate to the partner issue")
    comment_template: str | None = Field(
        None,
        description="Comment text; placeholders ${sourceKey} ${targetKey} ${sourceStatus} ${targetStatus} "
        "${summary} ${sourceProject} ${targetProject} ${ruleId} ${pair}",
    )
    comment_on: Literal["target", "source", "user", "dev"] = Field(
        "target",
        description="Issue the template comment goes on: the partner (target), the changed issue (source), or a side",
    )
    add_cross_link: bool = Field(False, description="Link the two issues (issue link) if not linked yet")
    comment_public: bool = Field(
        False,
        description="A template comment on the user (customer) issue is public: customers see it in a service "
        "project's portal. Off: it is posted as an internal note (agents only)",
    )


class Rule(_Model):
    id: str = Field(min_length=1, description="Unique rule id, shown in logs and audit")
    source_status: str = Field(min_length=1, description='Status that triggers the rule; "*" = any')
    target_status: str | None = Field(None, description="Status the partner issue moves to")
    resolution: str | None = Field(
        None,
        min_length=1,
        description="Resolution to set when the transition into targetStatus has a screen with a resolution "
        'field (e.g. "Fixed"); default: Done or Fixed if offered, else the first offered value',
    )
    sync_direction: Direction = Field(description="Side whose changes trigger: user_to_dev, dev_to_user, both")
    enabled: bool = Field(True, description="A disabled rule is ignored")
    priority: int = Field(100, description="Lower runs first; the first enabled matching rule wins")
    on_initial_sync: bool = Field(True, description="On the initial full sync, act on issues already in sourceStatus")
    conditions: Conditions = Field(default_factory=Conditions)
    actions: Actions = Field(default_factory=Actions)

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        rule_target, action_target = self.target_status, self.actions.target_status
        if rule_target and action_target and rule_target != action_target:
            raise ValueError("targetStatus and actions.targetStatus disagree")
        target = rule_target or action_target
        if target != rule_target:
            object.__setattr__(self, "target_status", target)
        if self.actions.sync_status and not target:
            raise ValueError("actions.syncStatus needs a targetStatus")
        if self.resolution and not self.actions.sync_status:
            raise ValueError("resolution is only used with actions.syncStatus")
        if self.actions.add_comment and not self.actions.comment_template:
            raise ValueError("actions.addComment needs a commentTemplate")
        if self.actions.create_issue and self.sync_direction is Direction.DEV_TO_USER:
            raise ValueError("actions.createIssue only creates dev issues (use user_to_dev or both)")
        if not any(
            (self.actions.create_issue, self.actions.sync_status, self.actions.add_comment, self.actions.add_cross_link)
        ):
            raise ValueError("rule has no action enabled")
        return self


class CommentSync(_Model):
    enabled: bool = Field(True, description="Mirror comments between linked issues")
    user_to_dev: bool = Field(True, description="Mirror customer comments to the dev issue")
    dev_to_user: bool = Field(True, description="Mirror dev comments to the customer issue")
    attribution: str = Field("${author} wrote:", description="First line of a mirrored comment")
    mirror_sync_account: bool = Field(
        False,
        description="Also mirror comments written by the sync's own Jira account (off: they are never synced back)",
    )
    customer_visibility: Literal["internal", "public"] = Field(
        "internal",
        description="How comments mirrored onto the user (customer) issue appear in a service project: internal = "
        "an internal note only agents see; public = customers see it in the portal",
    )
    restricted_comments: Literal["skip", "mirror"] = Field(
        "skip",
        description="Comments restricted to a role or group, or JSM internal notes: skip = never copied; mirror = "
        "copied with the same restriction (and as an internal note), or not at all where the other "
        "project lacks that role",
    )


class FieldSync(_Model):
    enabled: bool = Field(True, description="Copy user-side edits to the dev issue")
    fields: list[Literal["summary", "description", "priority", "labels"]] = Field(
        ["summary", "description", "priority", "labels"],
        description="Fields copied from the user issue to the dev issue",
    )


class JqlFilters(_Model):
    user: str | None = Field(None, description="Extra JQL restricting the user project's issues")
    dev: str | None = Field(None, description="Extra JQL restricting the dev project's issues")


class Webhooks(_Model):
    """Jira webhooks make the pair sync within seconds; polling stays on as the safety net."""

    enabled: bool = Field(
        False,
        description="Run a cycle as soon as a Jira webhook names one of the pair's projects "
        "(POST /webhook on the health port; see docs/operations.md)",
    )
    poll_interval_minutes: float = Field(
        30.0,
        gt=0,
        le=24 * 60,
        description="Minutes between safety-net polls while webhooks are enabled (replaces syncIntervalMinutes): "
        "a dropped or delayed webhook is synced by the next poll at the latest",
    )
    debounce_seconds: float = Field(
        0.5,
        ge=0,
        le=60,
        description="Wait this long after the first webhook of a burst before the cycle, so a burst costs one cycle",
    )
    recheck_seconds: float = Field(
        5.0,
        ge=0,
        le=600,
        description="Run one more cycle this long after a cycle that webhooks triggered: Jira Cloud's search shows "
        "a change a few seconds after its webhook, so the first cycle may not see it yet (costs one "
        "search per burst); 0: no recheck (Data Center's search shows changes at once)",
    )


_TABLE_HELP = {
    "statuses": "Status of the user project -> status of the dev project, each by name or id (a bot account "
    "whose Jira speaks another language sees other names: map them, or use ids)",
    "priorities": "Priority name on the user side -> priority name on the dev side",
    "issue_types": "Issue type name on the user side -> issue type name on the dev side; a dev issue is created "
    "with the entry for the user issue's type, else with devIssueType",
    "users": "Person on the user side -> person on the dev side, each by e-mail address, account id (Cloud) or "
    "user name (Data Center); people not listed are matched by e-mail where both sites show it, else "
    "left unassigned with a note",
}


class MappingTables(_Model):
    """Dev-side value -> user-side value, where reading the user -> dev tables backwards is ambiguous."""

    statuses: dict[str, str] = Field({}, description="Dev status -> user status (by name or id)")
    priorities: dict[str, str] = Field({}, description="Dev priority -> user priority")
    issue_types: dict[str, str] = Field({}, description="Dev issue type -> user issue type")
    users: dict[str, str] = Field({}, description="Dev person -> user-side person")


class Mappings(_Model):
    """Values that differ between the two projects (or sites). A value without an entry maps to
    the same name on the other side."""

    statuses: dict[str, str] = Field({}, description=_TABLE_HELP["statuses"])
    priorities: dict[str, str] = Field({}, description=_TABLE_HELP["priorities"])
    issue_types: dict[str, str] = Field({}, description=_TABLE_HELP["issue_types"])
    users: dict[str, str] = Field({}, description=_TABLE_HELP["users"])
    dev_to_user: MappingTables = Field(
        default_factory=MappingTables,
        description="Dev -> user entries that settle values two user-side values map to; the rest of the way "
        "back is the tables above read backwards",
    )

    @model_validator(mode="after")
    def _unambiguous(self) -> Mappings:
        problems = [
            p for kind in KINDS for p in table_problems(kind, getattr(self, kind), getattr(self.dev_to_user, kind))
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class SyncPairConfig(_Model):
    name: str = Field(pattern=PAIR_NAME, description="Pair name; defaults to the file name without .json")
    jira: JiraConnection | None = Field(
        None,
        description="The Jira site of both projects (shorthand for userJira and devJira alike); "
        "required unless both userJira and devJira are given",
    )
    user_jira: JiraConnection | None = Field(
        None,
        description="The Jira site of the user project, where it differs from the dev project's "
        "(a cross-site pair); default: jira",
    )
    dev_jira: JiraConnection | None = Field(
        None,
        description="The Jira site of the dev project, where it differs from the user project's "
        "(a cross-site pair); default: jira",
    )
    user_project_key: str = Field(pattern=PROJECT_KEY, description="Customer-facing project key")
    dev_project_key: str = Field(pattern=PROJECT_KEY, description="Internal dev project key")
    sync_interval_minutes: float | None = Field(
        None,
        gt=0,
        le=24 * 60,
        description="Minutes between cycles (fractions allowed); default from JIRASYNC_SYNC_INTERVAL_MINUTES",
    )
    initial_sync_enabled: bool = Field(True, description="Run a full sync the first time")
    database: str | None = Field(
        None, pattern=DATABASE_NAME, description="MongoDB database of this pair; default: name with - as _"
    )
    dev_issue_type: str = Field(
        "Task",
        min_length=1,
        description="Issue type of created dev issues whose user issue's type has no entry in mappings.issueTypes",
    )
    jql: JqlFilters = Field(default_factory=JqlFilters)
    search_overlap_minutes: float = Field(
        5.0,
        ge=1,
        le=24 * 60,
        description="Each incremental search reaches this far before the last watermark, so writes that "
        "Jira's search index shows late (Cloud) are still found; re-seen unchanged issues cost nothing",
    )
    rules: list[Rule] = Field(min_length=1)
    comment_sync: CommentSync = Field(default_factory=CommentSync)
    field_sync: FieldSync = Field(default_factory=FieldSync)
    webhooks: Webhooks = Field(default_factory=Webhooks)
    mappings: Mappings = Field(default_factory=Mappings)

    @model_validator(mode="after")
    def _derived(self) -> SyncPairConfig:
        if self.jira is None:
            if self.user_jira is None or self.dev_jira is None:
                raise ValueError("jira is required (or both userJira and devJira, for projects on two sites)")
            object.__setattr__(self, "jira", self.user_jira)  # the shorthand names the user site
        # Differ on two sites too: an issue's side is told by its key.
        if self.user_project_key == self.dev_project_key:
            raise ValueError("userProjectKey and devProjectKey must differ")
        ids = [rule.id for rule in self.rules]
        duplicated = sorted({i for i in ids if ids.count(i) > 1})
        if duplicated:
            raise ValueError(f"duplicate rule id {duplicated[0]!r}")
        if self.database is None:
            database = self.name.replace("-", "_").replace(".", "_")
            object.__setattr__(self, "database", database)
        return self

    def to_pair_config(self) -> PairConfig:
        """The validated values as the runtime's frozen dataclasses."""
        return PairConfig.from_dict(self.model_dump())


def public_comment_warnings(config: PairConfig) -> list[str]:
    """Settings that let customers read comments jirasync writes: legal, but worth a second look."""
    out = []
    if (
        config.comment_sync.enabled
        and config.comment_sync.dev_to_user
        and config.comment_sync.customer_visibility == "public"
    ):
        out.append(
            'commentSync.customerVisibility is "public": dev comments mirrored to the user issue are '
            "visible to customers in a service project"
        )
    for i, rule in enumerate(config.rules):
        if rule.actions.add_comment and rule.actions.comment_public:
            out.append(
                f"rules[{i}] ({rule.id}): actions.commentPublic is true: its comment on the user issue is "
                "visible to customers in a service project"
            )
    return out


def config_json_schema() -> dict[str, Any]:
    schema = SyncPairConfig.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://jirasync.dev/schemas/sync-config.schema.json"
    schema["title"] = "jirasync sync-pair configuration (sync-<name>.json)"
    # The loader fills `name` from the file name, so a file may omit it.
    schema["required"] = [r for r in schema.get("required", []) if r != "name"]
    # Comment keys (leading underscore) are allowed anywhere; the loader strips them.
    _allow_comment_keys(schema)
    return schema


def _allow_comment_keys(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("additionalProperties") is False and "properties" in node:
            node["patternProperties"] = {"^_": {}}
        for value in node.values():
            _allow_comment_keys(value)
    elif isinstance(node, list):
        for value in node:
            _allow_comment_keys(value)
