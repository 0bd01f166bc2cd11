"""`python -m target_constantcontact`."""

from target_constantcontact.target import TargetConstantContact

TargetConstantContact.cli()
