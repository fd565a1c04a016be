from __future__ import annotations

import pytest

from ember.config.yaml_nodes import ConfigNode, join_dir, parse_yaml
from ember.errors import ConfigError

TEXT = """\
section:
  name: x
  flag: yes
  count: 3
  when: 5m
  size: 2KiB
  items: [a, b]
  pairs: {k: v, n: 1, t: true}
  nested:
    - {a: 1}
    - null
"""


def node() -> ConfigNode:
    root = ConfigNode.root(parse_yaml(TEXT, "f.yml"), "f.yml", "root", "/base")
    section = root.section("section", "section")
    assert section is not None
    return section


def test_typed_getters() -> None:
    section = node()
    assert section.string("name") == "x"
    assert section.boolean("flag", False) is True  # YAML 1.1 booleans, as Go's yaml.v2 reads them
    assert section.uint("count") == 3
    assert section.duration("when", 0) == 300_000
    assert section.byte_size("size") == 2048
    assert section.string_list("items") == ("a", "b")
    assert section.string_map("pairs") == {"k": "v", "n": "1", "t": "true"}
    assert section.string("absent", "d") == "d"


def test_errors_carry_the_key_line() -> None:
    section = node()
    with pytest.raises(ConfigError, match=r"^f.yml:2: name: cannot unmarshal string \"x\" into an integer$"):
        section.integer("name", 0)
    with pytest.raises(ConfigError, match=r"^f.yml:11: empty or null section in nested$"):
        list(section.sections("nested", "thing"))


def test_finish_reports_unread_keys_in_order() -> None:
    section = node()
    section.string("name")
    with pytest.raises(ConfigError, match=r'^f.yml:3: field "flag" not found in section$'):
        section.finish()


def test_expect_only_names_the_first_unknown_key() -> None:
    root = ConfigNode.root(parse_yaml("a: 1\nb: 2\nc: 3\n", "g.yml"), "g.yml", "thing", None)
    root.expect_only({"a", "b", "c"})
    with pytest.raises(ConfigError, match=r'^g.yml:2: field "b" not found in thing$'):
        root.expect_only({"a", "c"})


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^h.yml:3: "):
        parse_yaml("a: 1\nb: 2\nc: d: e\n", "h.yml")
    with pytest.raises(ConfigError, match=r"^h.yml:2: found duplicate key"):
        parse_yaml("a: 1\na: 2\n", "h.yml")


def test_join_dir() -> None:
    assert join_dir("/etc", "a.yml") == "/etc/a.yml"
    assert join_dir("/etc", "/abs.yml") == "/abs.yml"
    assert join_dir("/etc", "") == ""
    assert join_dir(None, "a.yml") == "a.yml"
