"""constantcontact_client."""
