"""The ``jirasync`` command line: parse arguments, call the package, print results.

No sync logic lives here. Every command offers ``--json`` where it reads something, and
every failure the user can cause ends as one red line and a non-zero exit code.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from jirasync_cli import __version__, render
from jirasync_cli.errors import JirasyncError
from jirasync_cli.settings import get_settings

class _Group(TyperGroup):
    """Turns a :class:`JirasyncError` from any command into one red line and its exit code."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except JirasyncError as exc:
            render.error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # a bug: one line, the traceback only on request
            if os.environ.get("JIRASYNC_DEBUG") or type(exc).__module__.startswith(("click", "typer")):
                raise  # usage errors and the like are the framework's to report
            render.error(f"internal error: {type(exc).__name__}: {exc} (set JIRASYNC_DEBUG=1 for a traceback)")
            raise typer.Exit(70) from None


app = typer.Typer(
    cls=_Group,
    name="jirasync",
    help="Keep pairs of Jira projects (customer-facing and internal) in sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ConfigDirOption = Annotated[
    Path | None,
    typer.Option("--config-dir", "-c", help="Directory holding sync-*.json (default: $JIRASYNC_CONFIG_DIR or ./config)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table")]


def _config_dir(option: Path | None) -> Path:
    return option if option is not None else get_settings().config_dir


def _version(value: bool) -> None:
    if value:
        print(__version__)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log at DEBUG (sets JIRASYNC_LOG_LEVEL)")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Log warnings and errors only (sets JIRASYNC_LOG_LEVEL)")] = False,
) -> None:
    """Keep pairs of Jira projects in sync."""
    if verbose and quiet:
        raise JirasyncError("--verbose and --quiet exclude each other", exit_code=2)
    if verbose or quiet:  # through the environment, so workers a supervisor starts log alike
        os.environ["JIRASYNC_LOG_LEVEL"] = "DEBUG" if verbose else "WARNING"
        get_settings.cache_clear()


@app.command("validate-configs")
def validate_configs(
    config_dir: ConfigDirOption = None,
    as_json: JsonOption = False,
    schema: Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of a sync-*.json file and exit")] = False,
    require_env: Annotated[bool, typer.Option(
        "--require-env", help="An unset ${VAR} makes a file invalid (default: a warning, for CI without secrets)")] = False,
) -> None:
    """Check every sync-*.json in the config dir: exit 0 if all valid, 1 if any is invalid or none found."""
    from jirasync_cli.config import config_json_schema
    from jirasync_cli.config.lenient import load_for_validation
    from jirasync_cli.views import validation_report, validation_table

    if schema:
        print(json.dumps(config_json_schema(), indent=2))
        return
    result, unset = load_for_validation(_config_dir(config_dir), require_env=require_env)
    report = validation_report(result, unset)
    if as_json:
        render.print_json(report)
    else:
        validation_table(result, render.console, unset)
    raise typer.Exit(0 if result.ok else 1)


@app.command("check")
def check(
    name: Annotated[str, typer.Argument(help="Pair name (or its file, e.g. sync-ab.json)")],
    config_dir: ConfigDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Ask the pair's Jira what it allows: exit 0 if all good, 1 if problems found, 2 if it cannot tell."""
    from jirasync_cli.check import report, run_checks
    from jirasync_cli.jira import connect
    from jirasync_cli.jira.errors import JiraApiError
    from jirasync_cli.service import find_config

    try:
        config = find_config(_config_dir(config_dir), name)
    except JirasyncError as exc:
        raise JirasyncError(str(exc), exit_code=2) from None
    try:
        client = connect(config.jira)
        try:
            findings = run_checks(config, client)
        finally:
            client.close()
    except JiraApiError as exc:
        raise JirasyncError(f"{config.name}: cannot check {config.jira.base_url}: {exc}", exit_code=2) from None
    if as_json:
        render.print_json(report(config, findings))
    else:
        for finding in findings:
            render.console.print(finding.line(), markup=False, highlight=False)
        if not findings:
            render.console.print(f"{config.name}: the site allows everything the config needs", markup=False)
    raise typer.Exit(1 if findings else 0)


def _setup_logging(worker: str | None = None) -> None:
    from jirasync_cli import logs

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format, worker=worker, console=render.err_console)


@app.command("run-worker")
def run_worker(
    name: Annotated[str, typer.Argument(help="Pair name (or its file, e.g. sync-ab.json)")],
    config_dir: ConfigDirOption = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, print what it did, exit")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --once: print the plan, write nothing")] = False,
    as_json: JsonOption = False,
    show_unhandled: Annotated[bool, typer.Option(
        "--show-unhandled", help="With --once: list the issues whose new status no rule handles")] = False,
    ipc_fd: Annotated[int | None, typer.Option("--ipc-fd", hidden=True, help="Supervisor channel (internal)")] = None,
) -> None:
    """Sync one pair: every syncIntervalMinutes, or a single cycle with --once."""
    from jirasync_cli.service import find_config

    needs_once = [flag for flag, given in (("--dry-run", dry_run), ("--json", as_json),
                                           ("--show-unhandled", show_unhandled)) if given]
    if needs_once and not once:
        raise JirasyncError(f"{', '.join(needs_once)} {'needs' if len(needs_once) == 1 else 'need'} --once "
                            "(without it the worker runs until stopped and prints only logs)", exit_code=2)
    settings = get_settings()
    if not once:
        from jirasync_cli.worker import main as worker_main
        from jirasync_cli.worker import supervised_main

        if ipc_fd is not None:
            raise typer.Exit(supervised_main(name, ipc_fd))
        raise typer.Exit(worker_main(name, _config_dir(config_dir), settings))
    config = find_config(_config_dir(config_dir), name)
    _setup_logging(config.name)
    report = _run_once_with_progress(config, settings, dry_run, as_json)
    if as_json:
        from jirasync_cli.views import plan_rows

        render.print_json({**report.summary(), **({"plan": plan_rows(report)} if dry_run else {})})
    else:
        from jirasync_cli.views import cycle_table, plan_table

        if dry_run:
            plan_table(report, render.console)
        else:
            cycle_table(report, render.console, show_unhandled=show_unhandled)
    raise typer.Exit(1 if report.errors else 0)


def _run_once_with_progress(config, settings, dry_run: bool, quiet: bool):  # type: ignore[no-untyped-def]
    from jirasync_cli.once import run_once
    from jirasync_cli.progress import cycle_progress

    with cycle_progress(render.err_console, disable=quiet) as hooks:
        return run_once(config, settings, dry_run=dry_run, progress=hooks)


state_app = typer.Typer(help="Inspect or reset a pair's sync state.", no_args_is_help=True)
app.add_typer(state_app, name="state")
from jirasync_cli.webhooks.cli import app as webhooks_app  # noqa: E402
app.add_typer(webhooks_app, name="webhooks")


@state_app.command("show")
def state_show(
    name: Annotated[str | None, typer.Argument(help="Pair name; all pairs when omitted")] = None,
    config_dir: ConfigDirOption = None,
    issue: Annotated[str | None, typer.Option("--issue", help="Show one issue's mapping and history")] = None,
    as_json: JsonOption = False,
) -> None:
    """Last sync, initial-sync flag, mapped issues, last cycle and recent actions per pair."""
    from jirasync_cli.config import load_config_dir
    from jirasync_cli.service import find_config
    from jirasync_cli.state_report import issue_state, pair_state

    settings = get_settings()
    directory = _config_dir(config_dir)
    if name:
        configs = [find_config(directory, name)]
    else:
        configs = [c.config for c in load_config_dir(directory).configs]
        if not configs:
            raise JirasyncError(f"no valid sync-*.json in {directory}")
    if issue:
        if len(configs) != 1:
            raise JirasyncError("--issue needs a pair name", exit_code=2)
        data = issue_state(configs[0], settings, issue)
        if as_json:
            render.print_json(data)
        else:
            from jirasync_cli.views import issue_view

            issue_view(data, render.console)
        return
    states = [pair_state(c, settings) for c in configs]
    if as_json:
        render.print_json(states if not name else states[0])
    else:
        from jirasync_cli.views import state_table

        state_table(states, render.console)


@state_app.command("reset")
def state_reset(
    name: Annotated[str, typer.Argument(help="Pair name")],
    config_dir: ConfigDirOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation")] = False,
    forget_mappings: Annotated[bool, typer.Option(
        "--forget-mappings", help="Also forget which dev issue belongs to which user issue")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Reset even while a worker holds the pair's lease")] = False,
) -> None:
    """Make the next run a full sync; mappings and snapshots are kept, so nothing is done twice."""
    from jirasync_cli.service import find_config
    from jirasync_cli.state_report import describe_reset, lease_holder, reset_state

    config = find_config(_config_dir(config_dir), name)
    holder = lease_holder(config, get_settings())
    if holder is not None and not force:
        raise JirasyncError(f"{config.name} is being synced by {holder.describe()}: stop that worker (remove "
                            "the pair and send SIGHUP, or stop the supervisor) or pass --force", exit_code=3)
    if holder is not None:
        render.err_console.print(f"warning: {config.name} is being synced by {holder.describe()}; resetting anyway",
                                 markup=False, soft_wrap=True)
    what = ("sync state, snapshots, journal AND issue mappings" if forget_mappings
            else "sync state (issue mappings and snapshots kept)")
    if not yes:
        try:
            agreed = typer.confirm(f"Reset {what} of {config.name} in database {config.db_name}?")
        except typer.Abort:  # end of input: the same as no, said once
            agreed = False
            render.err_console.print()
        if not agreed:
            render.err_console.print("aborted; nothing changed")
            raise typer.Exit(1)
    counts = reset_state(config, get_settings(), forget_mappings=forget_mappings)
    render.console.print(describe_reset(config.name, counts))


@app.command("supervise")
def supervise(
    config_dir: ConfigDirOption = None,
    health_port: Annotated[int | None, typer.Option("--health-port", help="Port of /health (default: $JIRASYNC_HEALTH_PORT or 3000)")] = None,
    health_host: Annotated[str | None, typer.Option("--health-host", help="Address to bind (default: $JIRASYNC_HEALTH_HOST or 0.0.0.0)")] = None,
    reload_on_hup: Annotated[bool, typer.Option(
        "--reload-on-hup", help="Reload on SIGHUP even with stdin on a terminal (there it means hang-up: stop)")] = False,
) -> None:
    """Run one worker per valid config, restart crashed or hung ones, serve /health."""
    from jirasync_cli.process_settings import ProcessSettings
    from jirasync_cli.supervisor import exec_supervisor

    settings = ProcessSettings.of(get_settings(), config_dir=str(_config_dir(config_dir)),
                                  health_host=health_host, health_port=health_port, reload_on_hup=reload_on_hup)
    exec_supervisor(settings)  # does not return


@app.command("health")
def health(
    url: Annotated[str | None, typer.Option("--url", help="Health endpoint (default: http://localhost:$JIRASYNC_HEALTH_PORT/health)")] = None,
    as_json: JsonOption = False,
    serve: Annotated[bool, typer.Option("--serve", help="Serve /health from heartbeats stored in MongoDB")] = False,
    config_dir: ConfigDirOption = None,
    health_port: Annotated[int | None, typer.Option("--health-port", help="With --serve: port to listen on")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", help="Seconds to wait for the endpoint (default 5)")] = None,
) -> None:
    """Print the supervisor's status; exit 0 healthy, 1 degraded, 2 unhealthy or unreachable."""
    from jirasync_cli.healthcheck import exit_code, fetch

    given = {"--url": url is not None, "--json": as_json, "--timeout": timeout is not None,
             "--config-dir": config_dir is not None, "--health-port": health_port is not None}
    wrong = [o for o in (("--config-dir", "--health-port") if not serve else ("--url", "--json", "--timeout"))
             if given[o]]
    if wrong:
        mode = ("it serves /health and prints nothing" if serve
                else "without --serve it queries a running supervisor: use --url http://HOST:PORT/health")
        raise JirasyncError(f"{', '.join(wrong)} {'does' if len(wrong) == 1 else 'do'} not apply "
                            f"{'with' if serve else 'without'} --serve ({mode})", exit_code=2)
    settings = get_settings()
    if serve:
        _serve_health_from_mongo(settings, _config_dir(config_dir), health_port)
        return
    doc = fetch(url or f"http://localhost:{settings.health_port}/health", timeout=timeout or 5.0)
    if as_json:
        from jirasync_cli.jsonkeys import camel_keys

        render.print_json(camel_keys(doc))
    else:
        from jirasync_cli.views import health_table

        health_table(doc, render.console)
    raise typer.Exit(exit_code(doc.get("status", "")))


def _serve_health_from_mongo(settings, config_dir: Path, port: int | None) -> None:  # type: ignore[no-untyped-def]
    import signal
    import threading

    from jirasync_cli.health import HealthServer
    from jirasync_cli.healthcheck import mongo_health

    _setup_logging("health")
    bind = port if port is not None else settings.health_port
    try:
        server = HealthServer(settings.health_host, bind, lambda: mongo_health(settings, config_dir), refresh=2.0)
        server.start()
    except OSError as exc:
        where = "--health-port" if port is not None else "JIRASYNC_HEALTH_PORT"
        raise JirasyncError(f"cannot serve health on {settings.health_host}:{bind} ({where}): "
                            f"{exc.strerror or exc}") from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    render.err_console.print(f"serving {server.url}/health from MongoDB heartbeats (Ctrl-C to stop)")
    stop.wait()
    server.stop()


@app.command("emulator")
def emulator(
    mode: Annotated[str, typer.Option("--mode", help="cloud (search/jql, ADF bodies) or server (search, wiki text)")] = "cloud",
    host: Annotated[str, typer.Option("--host", help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0 = any free port)")] = 8080,
    timezone: Annotated[str, typer.Option("--timezone", help="Server and account time zone")] = "Europe/Berlin",
    persist: Annotated[Path | None, typer.Option("--persist", help="Keep state in this JSON file across restarts")] = None,
    seed_demo: Annotated[bool, typer.Option("--seed-demo/--no-seed-demo", help="Create demo projects and issues")] = True,
    latency_ms: Annotated[float, typer.Option("--latency-ms", help="Added latency per request")] = 0.0,
    error_rate: Annotated[float, typer.Option("--error-rate", help="Fraction of requests answered 5xx")] = 0.0,
    rate_limit: Annotated[float, typer.Option("--rate-limit", help="Requests per second per account before 429 (0 = off)")] = 0.0,
    screens: Annotated[str, typer.Option(
        "--screens", help="Create/edit screens of every project: default (no Linked Issues, like Jira's "
                          "Default Screen), all, or minimal (summary only)")] = "default",
) -> None:
    """Run the bundled Jira emulator, to try configs offline (bot token: emulator-token)."""
    from jirasync_cli.emulator.command import serve
    from jirasync_cli.emulator.screens import PRESETS

    if mode not in ("cloud", "server"):
        raise JirasyncError(f"--mode must be cloud or server, not {mode!r}", exit_code=2)
    _check_time_zone(timezone)
    if screens not in PRESETS:
        raise JirasyncError(f"--screens must be one of {', '.join(PRESETS)}, not {screens!r}", exit_code=2)
    try:
        code = serve(mode=mode, host=host, port=port, timezone=timezone, persist_path=persist, seed_demo=seed_demo,
                     latency_ms=latency_ms or None, error_rate=error_rate, rate_limit_per_second=rate_limit or None,
                     screens=screens)
    except OSError as exc:
        raise JirasyncError(f"cannot start the emulator on {host}:{port}: {exc.strerror or exc}") from None
    raise typer.Exit(code)


def _check_time_zone(name: str) -> None:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise JirasyncError(f"--timezone: unknown time zone {name!r} (an IANA name such as Europe/Berlin)",
                            exit_code=2) from None


@app.command("dev-mongo")
def dev_mongo(
    data: Annotated[Path | None, typer.Option("--data", help="Keep the data in this directory (default: in memory)")] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port (27017 is where jirasync looks by default)")] = 27017,
) -> None:
    """Run a MongoDB-compatible server on this machine to try configs (not for production)."""
    from jirasync_cli.dev_mongo import serve

    raise typer.Exit(serve(data, port, render.err_console))


@app.command("demo")
def demo(
    duration: Annotated[float, typer.Option("--duration", min=5, help="Seconds the people act before the summary")] = 60.0,
    pairs: Annotated[int, typer.Option("--pairs", min=1, max=8, help="Number of user/dev project pairs")] = 2,
    keep_running: Annotated[bool, typer.Option("--keep-running", help="Keep syncing after --duration until Ctrl-C")] = False,
    health_port: Annotated[int, typer.Option("--health-port", help="Port of the supervisor's /health")] = 3000,
) -> None:
    """See jirasync work with no Jira and no MongoDB: emulator, embedded store, supervisor, people."""
    from jirasync_cli.demo.run import run_demo

    from rich.console import Console

    # Its own console: the demo's panels fill the terminal width, the piped default of
    # render.console (no cut rows) would make them very wide.
    raise typer.Exit(run_demo(duration=duration, pairs=pairs, keep_running=keep_running,
                              health_port=health_port, console=Console(highlight=False)))


def main() -> None:
    """Console entry point."""
    try:
        app(prog_name="jirasync")  # also under `python -m jirasync_cli`: help and completion name the command
    except KeyboardInterrupt:
        sys.exit(130)
