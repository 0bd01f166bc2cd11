"""`--state-file`: the account data (and OAuth grants) saved as JSON, loaded at the next start.

Saved on shutdown and on `POST /_emulator/save`; written atomically (temp file + rename, 0600:
it holds refresh tokens).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.oauth import AccessGrant, OAuthServer, RefreshGrant
from constantcontact_emulator.seed import install_extensions
from constantcontact_emulator.state import (
    Contact,
    ContactList,
    CustomField,
    EmulatorState,
    Segment,
    Tag,
)

if TYPE_CHECKING:
    from constantcontact_emulator.extensions import Extension

FORMAT_VERSION = 1


def save(
    path: Path, state: EmulatorState, oauth: OAuthServer, extensions: Sequence[Extension]
) -> None:
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "contacts": list(state.contacts.values()),
        "lists": list(state.lists.values()),
        "tags": list(state.tags.values()),
        "custom_fields": list(state.custom_fields.values()),
        "segments": list(state.segments.values()),
        "next_segment_id": state.next_segment_id,
        "account": state.account,
        "privileges": state.privileges,
        "refresh_tokens": oauth.refresh_tokens,
        "access_tokens": oauth.access_tokens,
        "extensions": {e.name: e.dump(state) for e in extensions if e.dump is not None},
    }
    data = msgspec.json.encode(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(
    path: Path, config: EmulatorConfig, oauth: OAuthServer, extensions: Sequence[Extension]
) -> EmulatorState:
    try:
        raw = msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError) as exc:
        raise SystemExit(f"--state-file {path}: cannot read it: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_VERSION:
        raise SystemExit(
            f"--state-file {path}: not a state file of this emulator (format {FORMAT_VERSION})."
        )
    state = EmulatorState(config)
    try:
        for contact in msgspec.convert(raw["contacts"], list[Contact]):
            state.contacts[contact.contact_id] = contact
            if contact.email_address is not None:
                state.contacts_by_email[contact.email_address.address.lower()] = contact.contact_id
        state.next_seq = max((c.seq for c in state.contacts.values()), default=-1) + 1
        state.lists = {x.list_id: x for x in msgspec.convert(raw["lists"], list[ContactList])}
        state.tags = {x.tag_id: x for x in msgspec.convert(raw["tags"], list[Tag])}
        state.custom_fields = {
            x.custom_field_id: x for x in msgspec.convert(raw["custom_fields"], list[CustomField])
        }
        state.segments = {x.segment_id: x for x in msgspec.convert(raw["segments"], list[Segment])}
        state.next_segment_id = raw["next_segment_id"]
        state.account = raw["account"]
        state.privileges = raw["privileges"]
        oauth.refresh_tokens.update(msgspec.convert(raw["refresh_tokens"], dict[str, RefreshGrant]))
        oauth.access_tokens.update(msgspec.convert(raw["access_tokens"], dict[str, AccessGrant]))
    except (KeyError, msgspec.ValidationError) as exc:
        raise SystemExit(f"--state-file {path}: damaged: {exc}") from None
    for extension in extensions:
        if extension.load is not None and extension.name in raw.get("extensions", {}):
            extension.load(state, raw["extensions"][extension.name])
    install_extensions(state, extensions)
    return state
