"""target_constantcontact."""
