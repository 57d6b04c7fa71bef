"""`jirasync webhooks register|unregister|list` as a user runs them, against the emulator."""

from __future__ import annotations

import json

from tests.helpers import cli_env, jirasync, sync_config, write_config

SECRET = "cli-hook-secret-1234"


def env_for(tmp_path, emu, *, token="emulator-token", email="bot@example.com", secret: str | None = SECRET):
    directory = tmp_path / "config"
    write_config(
        directory, sync_config("sync-ab", emu.url, "USER", "DEV", token=token, email=email, webhooks={"enabled": True})
    )
    extra = {"JIRASYNC_WEBHOOK_SECRET": secret} if secret else {}
    return cli_env("mongodb://127.0.0.1:1", directory, **extra)


def test_register_list_unregister(tmp_path, emu, sink):
    env = env_for(tmp_path, emu)
    base = sink.url.rsplit("/webhook", 1)[0]
    done = jirasync("webhooks", "register", "sync-ab", "--url", base, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("created webhook 1 ") and "project in (USER, DEV)" in done.stdout
    assert SECRET not in done.stdout + done.stderr
    again = jirasync("webhooks", "register", "sync-ab", "--url", base, "--json", env=env)
    assert json.loads(again.stdout) == {"outcome": "updated", "id": "1", "url": f"{base}/webhook?pair=sync-ab"}
    listed = json.loads(jirasync("webhooks", "list", "sync-ab", "--json", env=env).stdout)
    assert [(h["name"], h["ours"], h["jql"]) for h in listed] == [("jirasync sync-ab", True, "project in (USER, DEV)")]
    # the registration signs deliveries with the secret from the environment
    emu.create_issue("USER", "signed?")
    from jirasync_cli.webhooks import signature
    from tests.helpers import wait_for

    wait_for(lambda: sink.got, 10, message="a delivery")
    headers, raw, _ = sink.got[0]
    assert signature.verify(SECRET, raw, headers["x-hub-signature"])
    gone = jirasync("webhooks", "unregister", "sync-ab", env=env)
    assert gone.returncode == 0 and "removed 1 webhook(s)" in gone.stdout
    assert json.loads(jirasync("webhooks", "list", "sync-ab", "--json", env=env).stdout) == []


def test_an_account_that_may_not_gets_the_manual_settings(tmp_path, emu):
    env = env_for(tmp_path, emu, token="alice-token", email="alice@example.com")
    done = jirasync("webhooks", "register", "sync-ab", "--url", "https://jirasync.example.com", env=env)
    assert done.returncode == 1
    assert "did not let this account register webhooks" in done.stderr and "Traceback" not in done.stderr
    for line in ("https://jirasync.example.com/webhook?pair=sync-ab", "project in (USER, DEV)", "Comment: created"):
        assert line in done.stderr


def test_manual_prints_the_settings_without_asking_jira(tmp_path, emu):
    env = env_for(tmp_path, emu, secret=None)
    done = jirasync("webhooks", "register", "sync-ab", "--url", "https://h.example.com", "--manual", env=env)
    assert done.returncode == 0 and "JQL:     project in (USER, DEV)" in done.stdout
    assert emu.request_log == []


def test_bad_input_is_one_line_and_exit_2(tmp_path, emu):
    env = env_for(tmp_path, emu, secret=None)
    no_secret = jirasync("webhooks", "register", "sync-ab", "--url", "https://h.example.com", env=env)
    assert no_secret.returncode == 2 and "JIRASYNC_WEBHOOK_SECRET is not set" in no_secret.stderr
    assert len(no_secret.stderr.strip().splitlines()) == 1
    bad_url = jirasync("webhooks", "register", "sync-ab", "--url", "jirasync.example.com", env=env)
    assert bad_url.returncode == 2 and "--url 'jirasync.example.com'" in bad_url.stderr
    unknown = jirasync("webhooks", "list", "nope", env=env)
    assert unknown.returncode != 0 and "no valid config named 'nope'" in unknown.stderr
