"""target-constantcontact: a Singer target writing contacts to Constant Contact, in bulk."""
