"""Clients and body helpers shared by the emulator tests."""

from __future__ import annotations

import requests
from jira import JIRA

from jirasync_cli.emulator import JiraEmulator

BOT = ("bot@example.com", "emulator-token")


def client(emu: JiraEmulator, version: str | None = None) -> JIRA:
    version = version or ("3" if emu.mode == "cloud" else "2")
    return JIRA(emu.url, basic_auth=BOT, options={"rest_api_version": version}, max_retries=0, timeout=10)


class Raw:
    """Plain HTTP against the emulator, for what the jira client hides (status codes, headers)."""

    def __init__(self, emu: JiraEmulator, version: str | None = None, auth=BOT):
        self.emu = emu
        self.version = version or ("3" if emu.mode == "cloud" else "2")
        self.s = requests.Session()
        if auth is not None:
            self.s.auth = auth

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.emu.url}/rest/api/{self.version}/{path.lstrip('/')}"

    def get(self, path, **kw):
        return self.s.get(self.url(path), timeout=10, **kw)

    def post(self, path, json=None, **kw):
        return self.s.post(self.url(path), json=json, timeout=10, **kw)

    def put(self, path, json=None, **kw):
        return self.s.put(self.url(path), json=json, timeout=10, **kw)

    def delete(self, path, **kw):
        return self.s.delete(self.url(path), timeout=10, **kw)


def adf_text(text: str) -> dict:
    paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
    return {"type": "doc", "version": 1, "content": [paragraph]}


def body_for(emu: JiraEmulator, text: str):
    return adf_text(text) if emu.mode == "cloud" else text
