"""Code in the docs is real: config snippets validate, YAML parses, the health example has
the shape the supervisor produces, and every metric named exists."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from jirasync_cli.config.loader import parse_config
from jirasync_cli.health.metrics import metrics_text
from jirasync_cli.health.report import UP_STATES
from jirasync_cli.runtime.supervisor import STOP_GRACE_SECONDS, Child, Supervisor
from jirasync_cli.settings import Settings
from tests.docs.markdown import DOCS, REPO, blocks, doc_files, read

SCHEMA = json.loads((REPO / "schemas" / "sync-config.schema.json").read_text())
ENV = {
    "JIRA_BASE_URL": "https://example.atlassian.net",
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_API_TOKEN": "cloud-token-123",
    "JIRA_DC_BASE_URL": "https://jira.example.internal",
    "JIRA_DC_TOKEN": "dc-token-456",
}
BASE = {
    "jira": {"baseUrl": "${JIRA_BASE_URL}", "email": "${JIRA_EMAIL}", "apiToken": "${JIRA_API_TOKEN}"},
    "userProjectKey": "SUP",
    "devProjectKey": "ENG",
    "rules": [
        {
            "id": "base-escalate",
            "sourceStatus": "Will Do",
            "syncDirection": "user_to_dev",
            "actions": {"createIssue": True},
        }
    ],
}
CONFIG_DOCS = ("rules-cookbook.md", "configuration.md")


def as_full_config(snippet: Any) -> dict[str, Any]:
    """A complete config from a snippet: a full file, a rules list, one rule, or top-level keys."""
    if isinstance(snippet, list):
        return {**copy.deepcopy(BASE), "rules": snippet}
    assert isinstance(snippet, dict), f"unexpected snippet {snippet!r}"
    if "jira" in snippet:
        return snippet
    if "id" in snippet and "sourceStatus" in snippet:
        return {**copy.deepcopy(BASE), "rules": [snippet]}
    unknown = set(snippet) - set(SCHEMA["properties"])
    assert not unknown, f"not a config fragment: {unknown}"
    return {**copy.deepcopy(BASE), **snippet}


def config_snippets() -> list[tuple[str, str]]:
    out = []
    for name in CONFIG_DOCS:
        for block in blocks(read(name), "json"):
            out.append((block.where(DOCS / name), block.text))
    return out


@pytest.mark.parametrize(("where", "text"), config_snippets(), ids=[w for w, _ in config_snippets()])
def test_config_snippet_is_valid(where, text):
    config = as_full_config(json.loads(text))
    jsonschema.validate(config, SCHEMA)
    loaded = parse_config("sync-snippet.json", json.dumps(config).encode(), ENV)
    assert not isinstance(loaded, list), f"{where}: " + "; ".join(p.line() for p in loaded)


def test_cookbook_covers_the_workflows_it_promises():
    configs = [as_full_config(json.loads(text)) for where, text in config_snippets() if "cookbook" in where]
    rules = [rule for c in configs for rule in c["rules"]]
    assert len(configs) >= 12
    assert any(
        r["actions"].get("createIssue") and r["actions"].get("addComment") and r["actions"].get("addCrossLink")
        for r in rules
    )
    assert any(r["sourceStatus"] == "*" and r["syncDirection"] == "both" for r in rules)
    assert {"target", "source", "user", "dev"} <= {r["actions"].get("commentOn") for r in rules}
    conditions = {k for r in rules for k in r.get("conditions", {})}
    assert conditions == {"issueTypes", "labels", "excludeLabels", "priorities"}
    assert any(r.get("onInitialSync") is False for r in rules)
    assert any(c.get("commentSync", {}).get("devToUser") is False for c in configs)
    assert any("fields" in c.get("fieldSync", {}) for c in configs)
    assert any(c.get("jql", {}).get("user") and c.get("jql", {}).get("dev") for c in configs)
    assert any(c["jira"].get("authType") == "pat" for c in configs)


def test_every_json_block_in_the_docs_parses():
    for path in doc_files():
        for block in blocks(path.read_text(), "json"):
            try:
                json.loads(block.text)
            except ValueError as exc:
                pytest.fail(f"{block.where(path)}: {exc}")
        for block in blocks(path.read_text(), "jsonl"):
            for line in block.text.splitlines():
                assert isinstance(json.loads(line), dict), block.where(path)


def test_every_yaml_block_in_the_docs_parses():
    found = 0
    for path in doc_files():
        for block in blocks(path.read_text(), "yaml"):
            docs = list(yaml.safe_load_all(block.text))
            assert docs and all(isinstance(d, dict) for d in docs), block.where(path)
            found += 1
    assert found >= 2


# -- operations.md: Kubernetes -----------------------------------------------------------
def k8s_objects() -> dict[str, dict]:
    for block in blocks(read("operations.md"), "yaml"):
        docs = list(yaml.safe_load_all(block.text))
        if any(d.get("kind") == "Deployment" for d in docs):
            return {d["kind"]: d for d in docs}
    pytest.fail("operations.md has no Kubernetes Deployment example")


def test_kubernetes_example_wires_probes_secret_and_configmap():
    objs = k8s_objects()
    assert {"Deployment", "Secret", "ConfigMap"} <= set(objs)
    pod = objs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe"):
        port = container[probe]["httpGet"]["port"]
        assert ports.get(port, port) == 3000
    assert container["envFrom"][0]["secretRef"]["name"] == objs["Secret"]["metadata"]["name"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/config")
    assert mount["readOnly"] is True
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == objs["ConfigMap"]["metadata"]["name"]
    assert pod["terminationGracePeriodSeconds"] > STOP_GRACE_SECONDS
    assert pod["securityContext"]["runAsNonRoot"] is True
    dockerfile_user = re.search(r"^USER (\d+)", (REPO / "Dockerfile").read_text(), re.M).group(1)
    assert str(pod["securityContext"]["runAsUser"]) == dockerfile_user


def test_kubernetes_configmap_configs_are_valid_with_the_secret():
    objs = k8s_objects()
    env = objs["Secret"]["stringData"]
    for file, text in objs["ConfigMap"]["data"].items():
        assert re.fullmatch(r"sync-[\w.-]+\.json", file)
        loaded = parse_config(file, text.encode(), env)
        assert not isinstance(loaded, list), [p.line() for p in loaded]


def test_prometheus_rules_are_well_formed():
    for block in blocks(read("operations.md"), "yaml"):
        doc = yaml.safe_load(block.text)
        if isinstance(doc, dict) and "groups" in doc:
            rules = [r for g in doc["groups"] for r in g["rules"]]
            assert rules and all({"alert", "expr"} <= set(r) for r in rules)
            return
    pytest.fail("operations.md has no Prometheus alert rules")


# -- operations.md: health and metrics ---------------------------------------------------
def live_health_document() -> dict[str, Any]:
    child = Child("sync-ab", {}, "digest", 300.0)
    child.state = "running"
    child.last_heartbeat = child.last_heartbeat_wall = 1.0
    child.status = {"cycles": 1, "last_cycle": {"result": "ok", "mode": "full"}, "last_success": 1.0}
    sup = Supervisor(Settings(config_dir=Path("/config")))
    sup.children[child.name] = child
    try:
        return sup.health_report().to_dict()
    finally:
        sup.selector.close()


def documented_health_example() -> dict[str, Any]:
    for block in blocks(read("operations.md"), "json"):
        doc = json.loads(block.text)
        if isinstance(doc, dict) and "workers" in doc and "status" in doc:
            return doc
    pytest.fail("operations.md has no /health example")


def test_health_example_has_the_shape_the_supervisor_produces():
    real, documented = live_health_document(), documented_health_example()
    assert set(documented) == set(real)
    for worker in documented["workers"]:
        assert set(worker) == set(real["workers"][0])
        if worker["last_cycle"]:
            assert set(worker["last_cycle"]) == set(real["workers"][0]["last_cycle"])
        assert worker["ok"] == (worker["state"] in UP_STATES and not worker["error"])
    assert documented["status"] in ("healthy", "degraded", "unhealthy")


def exported_metrics() -> set[str]:
    doc = {
        "status": "healthy",
        "workers": [
            {
                "name": "w",
                "state": "running",
                "restarts": 1,
                "cycles": 1,
                "last_success": "2026-01-01T00:00:00+00:00",
                "rss_bytes": 1,
                "heartbeat_age_seconds": 1.0,
                "jira_requests": {"search": 1},
                "webhooks": {"received": 1, "coalesced": 0, "last_event_age_seconds": 1.0},
            }
        ],
        "webhooks": {"received": 1, "accepted": 1, "ignored": 0, "rejected": 0, "rejected_by": {"signature": 0}},
    }
    text = metrics_text(doc).decode()
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}


def test_metrics_table_lists_exactly_the_exported_metrics():
    exported = exported_metrics()
    text = read("operations.md")
    table = {m for m in re.findall(r"^\| `(jirasync_\w+)` \|", text, re.M)}
    assert table == exported, f"undocumented {exported - table}, not exported {table - exported}"


def test_every_metric_named_anywhere_in_the_docs_exists():
    exported = exported_metrics()
    for path in doc_files():
        for name in set(re.findall(r"\bjirasync_[a-z_]+\b", path.read_text())):
            if name.startswith("jirasync_cli"):
                continue  # the Python package, not a metric
            assert name in exported, f"{path.name} names metric {name}, which /metrics does not export"
        for state in re.findall(r'state="(\w+)"', path.read_text()):
            assert state in ("starting", "running", "standby", "backoff", "failed"), (path.name, state)
