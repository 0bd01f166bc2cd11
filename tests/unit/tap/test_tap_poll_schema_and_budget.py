"""Schema inference of poll streams, and the budget stop summary."""

from __future__ import annotations

from constantcontact_client.errors import RunBudgetExceededError
from tap_constantcontact.budget import RunBudget
from tap_constantcontact.streams.poll import infer_schema


def test_inferred_schemas_make_every_type_nullable() -> None:
    schema = infer_schema(
        [
            {"id": "a", "count": 1, "ratio": 0.5, "tags": ["x"], "nested": {"k": True}},
            {"id": "b", "count": None, "ratio": 2, "tags": [], "nested": {"k": False}, "x": None},
        ]
    )
    properties = schema["properties"]
    assert properties["id"] == {"type": ["string", "null"]}
    assert set(properties["count"]["type"]) == {"integer", "null"}
    assert set(properties["ratio"]["type"]) == {"number", "null"}
    assert properties["tags"] == {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
    assert properties["nested"]["properties"]["k"] == {"type": ["boolean", "null"]}
    assert properties["x"] == {}, "only nulls seen: any type"
    assert "required" not in schema


def test_an_empty_sample_gives_no_properties() -> None:
    assert infer_schema([]).get("properties", {}) == {}


def test_the_budget_summary_names_what_was_left() -> None:
    budget = RunBudget()
    assert not budget.stopped
    budget.stop("contacts", RunBudgetExceededError("max_requests_per_run (10) reached."))
    budget.skip("segments")
    budget.skip("campaign_tracking_opens")
    budget.skip("campaign_tracking_opens")
    assert budget.stopped
    assert budget.summary() == (
        "Run stopped early: max_requests_per_run (10) reached; interrupted: contacts; "
        "not read: segments, campaign_tracking_opens (2 partitions); they keep their previous "
        "bookmarks; the next run continues from there"
    )
