"""The container contract, checked by parsing the files (no Docker engine needed).

Dockerfile: slim Python 3.11+ base, the package installed without extras, non-root user,
HEALTHCHECK on `jirasync health` that tolerates "degraded", `jirasync supervise`.
Compose: exactly jirasync + mongo, healthchecks, read-only configs, named volume.
Env example: every ${VAR} the compose file and the example configs use, every setting.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from jirasync_cli.config.models import TEMPLATE_VARIABLES
from jirasync_cli.health.probe import EXIT_CODES
from jirasync_cli.runtime.supervisor import STOP_GRACE_SECONDS
from jirasync_cli.settings_env import EnvSettings

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "docker-compose.consolidated.yml"
ENV_EXAMPLE = REPO / ".env.consolidated.example"
EXAMPLES = sorted((REPO / "examples" / "config").glob("*.json"))

# ${VAR} or ${VAR:-default} / ${VAR?err}; "$$" is an escaped dollar in compose files.
VAR_REF = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}")


# -- Dockerfile -------------------------------------------------------------------------
@dataclass
class Instruction:
    keyword: str
    args: str
    stage: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order, continuation lines joined, comments dropped, with stage index."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if current and line.startswith("#"):
            continue  # comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1].rstrip() + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    out, stage = [], -1
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(keyword, args.strip(), stage))
    return out


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text())


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    last = max(i.stage for i in instructions)
    return [i for i in instructions if i.stage == last]


def one(instructions: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in instructions if i.keyword == keyword]
    assert len(found) == 1, f"expected exactly one {keyword}, found {len(found)}"
    return found[0]


def env_of(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for inst in instructions:
        if inst.keyword == "ENV":
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)=(\S*)", inst.args):
                env[key] = value
    return env


def resolve_args(instructions: list[Instruction], value: str) -> str:
    defaults = {}
    for inst in instructions:
        if inst.keyword == "ARG" and "=" in inst.args:
            key, _, default = inst.args.partition("=")
            defaults[key.strip()] = default.strip()
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: defaults.get(m.group(1) or m.group(2), m.group(0)), value)


def test_every_stage_uses_a_slim_official_python_311_or_newer(dockerfile):
    bases = [resolve_args(dockerfile, i.args.split()[0]) for i in dockerfile if i.keyword == "FROM"]
    assert bases
    for base in bases:
        match = re.fullmatch(r"python:3\.(\d+)(?:\.\d+)?-slim(?:-[a-z]+)?", base)
        assert match, f"{base} is not an official slim Python image"
        assert int(match.group(1)) >= 11, base


def test_package_is_installed_from_the_project_without_extras(dockerfile):
    installs = [i.args for i in dockerfile if i.keyword == "RUN" and "pip install" in i.args]
    assert installs, "no pip install in the Dockerfile"
    assert any(re.search(r"pip install\s+(\S+\s+)*\.(\s|$)", args) for args in installs), installs
    text = DOCKERFILE.read_text()
    for args in installs:
        assert "[" not in args, f"extras installed: {args}"
    # The embedded server is a GPL beta test double: never in the production image.
    assert "secantus" not in text.lower()
    assert not re.search(r"jirasync\[|\.\[|embedded\]|\[test", text)


def test_files_copied_into_the_build_exist_and_are_not_ignored(dockerfile):
    ignore = DOCKERIGNORE.read_text().splitlines()
    readme = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["readme"]
    copied: list[str] = []
    for inst in dockerfile:
        if inst.keyword == "COPY" and "--from=" not in inst.args:
            parts = inst.args.split()
            copied += [p.rstrip("/") for p in parts[:-1] if not p.startswith("--")]
    assert "pyproject.toml" in copied and "src" in copied
    assert readme in copied, "pyproject.toml's readme is needed to build the package"
    for path in copied:
        assert (REPO / path).exists(), path
        assert not dockerignored(path, ignore), f"{path} is excluded by .dockerignore"
    assert not dockerignored("src/jirasync_cli/cli.py", ignore)


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, simplified: the last matching pattern wins; a pattern matching a
    parent directory matches its contents; `!` re-includes; `**` spans directories."""
    excluded = False
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    for raw in patterns:
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        if any(re.fullmatch(regex, c) for c in candidates):
            excluded = not negate
    return excluded


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_context():
    patterns = DOCKERIGNORE.read_text().splitlines()
    for path in (
        ".env.consolidated",
        ".env",
        "config/sync-ab.json",
        ".git/HEAD",
        ".venv/bin/python",
        "tests/conftest.py",
        "src/jirasync_cli/__pycache__/cli.cpython-311.pyc",
    ):
        assert dockerignored(path, patterns), f"{path} would be sent to the Docker daemon"


def test_runs_as_a_non_root_user(dockerfile):
    user = [i for i in final_stage(dockerfile) if i.keyword == "USER"]
    assert user, "the final stage sets no USER"
    name = user[-1].args.split(":")[0]
    assert name not in ("root", "0"), name
    # Every instruction after USER runs unprivileged: nothing may need root after it.
    stage = final_stage(dockerfile)
    after = stage[stage.index(user[-1]) + 1 :]
    assert not [i for i in after if i.keyword == "RUN"], "RUN after USER would run as the service user"


def test_environment_exposure_and_stop_signal(dockerfile):
    stage = final_stage(dockerfile)
    env = env_of(stage)
    assert env.get("JIRASYNC_CONFIG_DIR") == "/config"
    assert env.get("JIRASYNC_LOG_FORMAT") == "json"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert one(stage, "EXPOSE").args.split() == ["3000"]
    assert one(stage, "STOPSIGNAL").args == "SIGTERM"
    # Settings must accept what the image sets.
    settings = EnvSettings(
        _env_file=None, JIRASYNC_CONFIG_DIR=env["JIRASYNC_CONFIG_DIR"], JIRASYNC_LOG_FORMAT=env["JIRASYNC_LOG_FORMAT"]
    )
    assert str(settings.config_dir) == "/config" and settings.log_format == "json"


def test_default_command_is_the_supervisor(dockerfile):
    cmd = one(final_stage(dockerfile), "CMD")
    assert json.loads(cmd.args) == ["jirasync", "supervise"], "use the exec form so the supervisor gets SIGTERM"
    assert not [i for i in dockerfile if i.keyword == "ENTRYPOINT"]


def healthcheck_parts(dockerfile) -> tuple[dict[str, str], str]:
    check = one(final_stage(dockerfile), "HEALTHCHECK")
    options = dict(re.findall(r"--([a-z-]+)=(\S+)", check.args))
    command = check.args.split("CMD", 1)[1].strip()
    return options, command


def test_healthcheck_uses_jirasync_health_with_timings(dockerfile):
    options, command = healthcheck_parts(dockerfile)
    assert command.startswith("jirasync health")
    assert {"interval", "timeout", "start-period", "retries"} <= set(options)
    client_timeout = float(re.search(r"--timeout\s+(\d+(?:\.\d+)?)", command).group(1))
    assert client_timeout < duration(options["timeout"]), "the probe must answer before Docker gives up"


def run_health_shell(command: str, health_exit: int, tmp_path: Path) -> int:
    """Run the healthcheck's shell command with a stub `jirasync` exiting ``health_exit``."""
    stub = tmp_path / "jirasync"
    stub.write_text(f"#!/bin/sh\nexit {health_exit}\n")
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    return subprocess.run(["/bin/sh", "-c", command], env=env, check=False).returncode


@pytest.mark.parametrize(
    ("status", "docker_result"), [("healthy", 0), ("degraded", 0), ("unhealthy", 1), ("unreachable", 1)]
)
def test_healthcheck_shell_treats_degraded_as_healthy(dockerfile, tmp_path, status, docker_result):
    exit_code = EXIT_CODES.get(status, 2)
    _, command = healthcheck_parts(dockerfile)
    assert run_health_shell(command, exit_code, tmp_path) == docker_result


# -- compose ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def duration(value: str | int | float) -> float:
    """Docker/compose durations: 30s, 1m30s, 500ms, or plain seconds."""
    if isinstance(value, int | float):
        return float(value)
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", value):
        total += float(number) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    assert total > 0, f"cannot read duration {value!r}"
    return total


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def mounts(service: dict) -> list[dict]:
    """Volumes in long syntax, whatever syntax the file uses."""
    out = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, str):
            parts = vol.split(":")
            out.append(
                {"source": parts[0], "target": parts[1], "read_only": len(parts) > 2 and "ro" in parts[2].split(",")}
            )
        else:
            out.append({"source": vol.get("source"), "target": vol["target"], "read_only": bool(vol.get("read_only"))})
    return out


def test_exactly_one_jirasync_and_one_mongo_service(compose):
    assert set(compose["services"]) == {"jirasync", "mongo"}


def test_mongo_service(compose):
    mongo = compose["services"]["mongo"]
    assert re.fullmatch(r"mongo:\d+(\.\d+)?", mongo["image"]), "official mongo image, pinned major version"
    data = [m for m in mounts(mongo) if m["target"] == "/data/db"]
    assert data and data[0]["source"] in (compose.get("volumes") or {}), "a named volume for /data/db"
    test = mongo["healthcheck"]["test"]
    command = " ".join(test[1:]) if isinstance(test, list) else test
    assert "mongosh" in command and "db.adminCommand('ping')" in command
    assert "ports" not in mongo, "MongoDB stays on the compose network"


def test_jirasync_service(compose):
    svc = compose["services"]["jirasync"]
    assert svc.get("build") in (".", {"context": "."})
    assert svc["depends_on"]["mongo"]["condition"] == "service_healthy"
    config = [m for m in mounts(svc) if m["target"] == "/config"]
    assert config == [{"source": "./config", "target": "/config", "read_only": True}]
    env = environment(svc)
    assert env["JIRASYNC_MONGODB_URL"] == "mongodb://mongo:27017"
    assert env.get("JIRASYNC_CONFIG_DIR", "/config") == "/config"
    assert any(str(p).split(":")[-1] == "3000" and str(p).split(":")[-2] == "3000" for p in svc["ports"])
    assert svc["restart"] == "unless-stopped"
    env_files = svc["env_file"] if isinstance(svc["env_file"], list) else [svc["env_file"]]
    assert ".env.consolidated" in [f if isinstance(f, str) else f["path"] for f in env_files]
    assert svc.get("init") is True


def test_stop_grace_outlasts_the_supervisors_own_grace(compose):
    svc = compose["services"]["jirasync"]
    assert svc.get("stop_signal", "SIGTERM") == "SIGTERM"
    assert duration(svc["stop_grace_period"]) >= STOP_GRACE_SECONDS + 5


def test_compose_healthcheck_matches_the_images(compose, dockerfile, tmp_path):
    check = compose["services"]["jirasync"]["healthcheck"]
    assert check["test"][0] == "CMD-SHELL"
    command = check["test"][1]
    # A single `$` would be interpolated by compose: the shell must see `$?`.
    assert "$$?" in command and not re.search(r"(?<!\$)\$\?", command)
    shell = command.replace("$$", "$")
    _, image_command = healthcheck_parts(dockerfile)
    assert shell == image_command
    for status, expected in (("healthy", 0), ("degraded", 0), ("unhealthy", 1)):
        assert run_health_shell(shell, EXIT_CODES.get(status, 2), tmp_path) == expected
    assert duration(check["start_period"]) >= 30


# -- env example ------------------------------------------------------------------------
def env_example() -> tuple[dict[str, str], str]:
    assigned = {}
    text = ENV_EXAMPLE.read_text()
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), f"not VAR=value: {line!r}"
            assert not re.search(r"\s", value) and not value.startswith(("'", '"')), (
                f"{key}: docker's env files take values literally: no quotes, spaces or comments"
            )
            assigned[key] = value
    return assigned, text


def used_variables() -> dict[str, set[str]]:
    """Environment variables referenced; comment-template placeholders (${targetKey} ...)
    are not environment variables, exactly as the config loader treats them."""
    found: dict[str, set[str]] = {}
    for path in [COMPOSE, *EXAMPLES]:
        for name in VAR_REF.findall(path.read_text()):
            if path.suffix == ".json" and name in TEMPLATE_VARIABLES:
                continue
            found.setdefault(name, set()).add(path.name)
    return found


def test_examples_exist_and_use_the_jira_variables():
    assert EXAMPLES, "examples/config/*.json not found"
    assert {"JIRA_BASE_URL", "JIRA_API_TOKEN"} <= set(used_variables())


def test_every_variable_used_is_in_the_env_example():
    assigned, _ = env_example()
    missing = {name: files for name, files in used_variables().items() if name not in assigned}
    assert not missing, f"add to .env.consolidated.example: {missing}"


def test_env_example_documents_every_setting():
    _, text = env_example()
    for name, field in EnvSettings.model_fields.items():
        env_names = field.validation_alias.choices if field.validation_alias else [name.upper()]
        prefixed = [n for n in env_names if n.startswith("JIRASYNC_")]
        assert prefixed and re.search(rf"^#?\s*{prefixed[0]}=", text, re.M), f"{prefixed or name} missing"


def test_env_example_defaults_match_the_settings_model():
    _, text = env_example()
    image_env = env_of(final_stage(parse_dockerfile(DOCKERFILE.read_text())))
    for name, field in EnvSettings.model_fields.items():
        env_name = f"JIRASYNC_{name.upper()}"
        if field.default is None:  # unset by default (a secret): shown empty
            assert re.search(rf"^#\s*{env_name}=$", text, re.M), env_name
            continue
        match = re.search(rf"^#\s*{env_name}=(\S+)$", text, re.M)
        assert match, env_name
        shown = match.group(1)
        expected = image_env.get(env_name, field.default)
        if isinstance(expected, float) and expected.is_integer():
            expected = int(expected)
        assert shown == str(expected), f"{env_name}: example shows {shown}, default is {expected}"


def test_env_example_holds_no_real_looking_secret():
    assigned, _ = env_example()
    for key in ("JIRA_API_TOKEN", "JIRA_DC_TOKEN"):
        assert assigned[key] == "", f"{key} must be left empty in the example"


def test_env_files_are_not_sent_to_the_docker_daemon():
    patterns = DOCKERIGNORE.read_text().splitlines()
    for name in (".env.consolidated", ".env.consolidated.example"):
        assert dockerignored(name, patterns), name


def test_example_configs_load_with_the_env_example_once_tokens_are_filled_in():
    from jirasync_cli.config.loader import load_config_dir

    assigned, _ = env_example()
    env = {**assigned, "JIRA_API_TOKEN": "cloud-token-123", "JIRA_DC_TOKEN": "dc-token-456"}
    result = load_config_dir(REPO / "examples" / "config", env=env)
    assert result.problems == [] and len(result.configs) == len(EXAMPLES)
    # ... and with the tokens left empty, the configs are refused, not run with no token.
    empty = load_config_dir(REPO / "examples" / "config", env=assigned)
    assert {p.path for p in empty.problems} == {"$.jira"} and not empty.configs
