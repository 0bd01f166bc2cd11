"""constantcontact_emulator."""
