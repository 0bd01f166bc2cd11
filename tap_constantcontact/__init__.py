"""tap_constantcontact."""
