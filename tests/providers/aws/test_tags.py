import pytest

from modelinfra.providers.aws.tags import check_tags


def test_ordinary_tags_pass_through():
    assert check_tags({"team": "ml", "env": ""}) == {"team": "ml", "env": ""}


@pytest.mark.parametrize(
    ("tags", "fragment"),
    [
        ({"aws:owner": "x"}, "aws:"),
        ({"modelinfra-stack": "x"}, "modelinfra"),
        ({"k" * 129: "x"}, "128"),
        ({"k": "v" * 257}, "256"),
        ({f"k{i}": "v" for i in range(51)}, "50"),
    ],
)
def test_invalid_tags_are_rejected_with_a_reason(tags, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_tags(tags)
