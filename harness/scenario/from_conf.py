"""A scenario file written from two stunnel.conf files (``scenario from-conf``).

For users who rehearse with ``fixs-harness rehearse`` and then want to keep the
rehearsal as a scenario (in CI, beside the shipped ones): the tunnels reference the
files (``stunnel_file:``, relative to the scenario file, with ``section:``), the
expectations are the rehearsal's, and the result is loaded back before it is kept,
so a file this writes always loads. No secret is written: FIX passwords belong in
the scenario only if the user puts them there.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError


def scenario_yaml(
    *,
    scenario_id: str,
    title: str,
    client: Path,
    client_section: str | None,
    server: Path,
    server_section: str | None,
    out_dir: Path,
    sender: str,
    target: str,
    begin_string: str,
    heartbeat_s: int,
    auth: str | None,
    profile: str,
    orders: int,
) -> str:
    """The scenario text; file references are relative to ``out_dir``."""

    def tunnel(path: Path, section: str | None) -> dict[str, Any]:
        ref = os.path.relpath(path.resolve(), out_dir.resolve())
        doc: dict[str, Any] = {"stunnel_file": ref}
        if section:
            doc["section"] = section
        return doc

    expect: dict[str, Any] = {"tls": {"cipher": "any-in-profile"}}
    if auth:
        expect["auth"] = auth
    expect["fix"] = {"logon": "accepted"}
    expect["messages"] = orders
    doc = {
        "id": scenario_id,
        "title": title,
        "profile": profile,
        "tags": ["rehearsal"],
        "tunnels": {
            "server": tunnel(server, server_section),
            "client": tunnel(client, client_section),
        },
        "fix": {
            "version": begin_string,
            "sender_comp_id": sender,
            "target_comp_id": target,
            "heartbeat_s": heartbeat_s,
        },
        "expect": expect,
    }
    header = (
        "# Written by `fixs-harness scenario from-conf`; edit freely (docs/scenarios.md).\n"
        "# Paths in the stunnel files resolve against each file's own directory.\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def scenario_id_for(path: Path) -> str:
    """A scenario id from a file name (``my rehearsal.yaml`` → ``my-rehearsal``)."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", path.stem).strip("-.")
    if not text:
        raise HarnessError(f"cannot make a scenario id from {path.name!r}; give --id")
    return text
