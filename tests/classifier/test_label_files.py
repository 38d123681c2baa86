import json

import pytest

from classifier.label_files import labels_parse


def test_one_label_per_line():
    assert labels_parse("red\ngreen\nblue\n") == ["red", "green", "blue"]


def test_indexed_lines_take_the_first_name():
    text = "0,tench, Tinca tinca\n1,goldfish, Carassius auratus\n2,great white shark, white shark\n"
    assert labels_parse(text) == ["tench", "goldfish", "great white shark"]


def test_a_json_list():
    assert labels_parse(json.dumps(["a", "b"])) == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("0,a\n2,b\n", "index 2, expected 1"),
        ("red\n\ngreen\n", "line 2 is blank"),
        ('["a", 1]', "list of strings"),
        ("[not json", "invalid JSON"),
    ],
)
def test_refuses_malformed_lists(text, message):
    with pytest.raises(ValueError, match=message):
        labels_parse(text)
