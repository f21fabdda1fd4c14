"""``keep_ignored``: an update is sent the resource's current value at every ``ignore_changes``
path, as Terraform plans an ignored argument."""

from __future__ import annotations

from modelinfra.engine.desired import keep_ignored

FIELDS = ("name", "tags", "metadata", "rules", "size")


def test_a_whole_property_takes_the_observed_value() -> None:
    props = {"name": "b", "tags": {"team": "ml"}, "size": 1}
    observed = {"name": "b", "tags": {"team": "platform", "cost": "42"}, "size": 2}
    assert keep_ignored(props, observed, ["tags"], FIELDS) == {"name": "b", "tags": {"team": "platform", "cost": "42"},
                                                               "size": 1}
    assert props == {"name": "b", "tags": {"team": "ml"}, "size": 1}  # not mutated


def test_a_map_key_takes_the_observed_value_or_is_dropped_when_the_cloud_lacks_it() -> None:
    props = {"tags": {"team": "ml", "env": "prod", "owner": "a"}}
    observed = {"tags": {"team": "platform", "owner": "a"}}
    kept = keep_ignored(props, observed, ["tags.team", "tags.env"], FIELDS)
    assert kept == {"tags": {"team": "platform", "owner": "a"}}
    assert props["tags"] == {"team": "ml", "env": "prod", "owner": "a"}


def test_nested_maps_and_a_spec_without_the_property() -> None:
    observed = {"metadata": {"labels": {"stage": "prod"}}}
    assert keep_ignored({}, observed, ["metadata.labels.stage"], FIELDS) == {"metadata": {"labels": {"stage": "prod"}}}
    assert keep_ignored({}, observed, ["metadata"], FIELDS) == observed


def test_paths_it_cannot_honour_leave_the_spec_as_it_is() -> None:
    props = {"rules": [{"days": 1}], "size": 1, "name": "b"}
    observed = {"rules": [{"days": 9}], "name": "b"}
    assert keep_ignored(props, observed, ["rules[0].days"], FIELDS) == props  # into a list
    assert keep_ignored(props, observed, ["size"], FIELDS) == props  # not reported by the cloud
    assert keep_ignored(props, {**observed, "arn": "x"}, ["arn"], FIELDS) == props  # not a property
