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
    add_completion=False,
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
) -> None:
    """Keep pairs of Jira projects in sync."""


@app.command("validate-configs")
def validate_configs(
    config_dir: ConfigDirOption = None,
    as_json: JsonOption = False,
    schema: Annotated[bool, typer.Option("--schema", help="Print the JSON Schema of a sync-*.json file and exit")] = False,
) -> None:
    """Check every sync-*.json in the config dir: exit 0 if all valid, 1 if any is invalid or none found."""
    from jirasync_cli.config import config_json_schema, load_config_dir
    from jirasync_cli.views import validation_report, validation_table

    if schema:
        print(json.dumps(config_json_schema(), indent=2))
        return
    result = load_config_dir(_config_dir(config_dir))
    report = validation_report(result)
    if as_json:
        render.print_json(report)
    else:
        validation_table(result, render.console)
    raise typer.Exit(0 if result.ok else 1)


def _setup_logging(worker: str | None = None) -> None:
    from jirasync_cli import logs

    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format, worker=worker)


@app.command("run-worker")
def run_worker(
    name: Annotated[str, typer.Argument(help="Pair name (or its file, e.g. sync-ab.json)")],
    config_dir: ConfigDirOption = None,
    once: Annotated[bool, typer.Option("--once", help="Run one cycle, print what it did, exit")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="With --once: print the plan, write nothing")] = False,
    as_json: JsonOption = False,
    ipc_fd: Annotated[int | None, typer.Option("--ipc-fd", hidden=True, help="Supervisor channel (internal)")] = None,
) -> None:
    """Sync one pair: every syncIntervalMinutes, or a single cycle with --once."""
    from jirasync_cli.service import find_config

    if dry_run and not once:
        raise JirasyncError("--dry-run needs --once", exit_code=2)
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

        (plan_table if dry_run else cycle_table)(report, render.console)
    raise typer.Exit(1 if report.errors else 0)


def _run_once_with_progress(config, settings, dry_run: bool, quiet: bool):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

    from jirasync_cli.once import run_once
    from jirasync_cli.sync.cycle import Progress as CycleProgress

    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=render.err_console, transient=True,
                   disable=quiet or not render.err_console.is_terminal)
    with bar:
        search = bar.add_task("searching Jira", total=None)
        apply = bar.add_task("applying", total=None, visible=False)
        hooks = CycleProgress(
            searched=lambda n: bar.update(search, completed=n, description=f"searching Jira ({n} issues)"),
            planned=lambda total: (bar.update(search, visible=False), bar.update(apply, total=total, visible=True)),
            applied=lambda n: bar.update(apply, completed=n),
        )
        return run_once(config, settings, dry_run=dry_run, progress=hooks)


state_app = typer.Typer(help="Inspect or reset a pair's sync state.", no_args_is_help=True)
app.add_typer(state_app, name="state")


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
    from jirasync_cli.state_report import lease_holder, reset_state

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
    if not yes and not typer.confirm(f"Reset {what} of {config.name} in database {config.db_name}?"):
        render.err_console.print("aborted; nothing changed")
        raise typer.Exit(1)
    counts = reset_state(config, get_settings(), forget_mappings=forget_mappings)
    render.console.print(f"reset {config.name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


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
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for the endpoint")] = 5.0,
) -> None:
    """Print the supervisor's status; exit 0 healthy, 1 degraded, 2 unhealthy or unreachable."""
    from jirasync_cli.healthcheck import exit_code, fetch

    settings = get_settings()
    if serve:
        _serve_health_from_mongo(settings, _config_dir(config_dir), health_port)
        return
    doc = fetch(url or f"http://localhost:{settings.health_port}/health", timeout=timeout)
    if as_json:
        render.print_json(doc)
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
    server = HealthServer(settings.health_host, port if port is not None else settings.health_port,
                          lambda: mongo_health(settings, config_dir), refresh=2.0)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.start()
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
) -> None:
    """Run the bundled Jira emulator, to try configs offline (bot token: emulator-token)."""
    from jirasync_cli.emulator.command import serve

    if mode not in ("cloud", "server"):
        raise JirasyncError(f"--mode must be cloud or server, not {mode!r}", exit_code=2)
    try:
        code = serve(mode=mode, host=host, port=port, timezone=timezone, persist_path=persist, seed_demo=seed_demo,
                     latency_ms=latency_ms or None, error_rate=error_rate, rate_limit_per_second=rate_limit or None)
    except OSError as exc:
        raise JirasyncError(f"cannot start the emulator on {host}:{port}: {exc.strerror or exc}") from None
    raise typer.Exit(code)


@app.command("demo")
def demo(
    duration: Annotated[float, typer.Option("--duration", min=5, help="Seconds the people act before the summary")] = 60.0,
    pairs: Annotated[int, typer.Option("--pairs", min=1, max=8, help="Number of user/dev project pairs")] = 2,
    keep_running: Annotated[bool, typer.Option("--keep-running", help="Keep syncing after --duration until Ctrl-C")] = False,
    health_port: Annotated[int, typer.Option("--health-port", help="Port of the supervisor's /health")] = 3000,
) -> None:
    """See jirasync work with no Jira and no MongoDB: emulator, embedded store, supervisor, people."""
    from jirasync_cli.demo.run import run_demo

    raise typer.Exit(run_demo(duration=duration, pairs=pairs, keep_running=keep_running,
                              health_port=health_port, console=render.console))


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
