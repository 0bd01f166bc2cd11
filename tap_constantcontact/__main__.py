"""`python -m tap_constantcontact`."""

from __future__ import annotations

from tap_constantcontact.tap import TapConstantContact

TapConstantContact.cli()
