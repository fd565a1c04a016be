"""`label_replace` and `label_join`: computing new label sets, one per series."""

from __future__ import annotations

import re

from ember.errors import BadDataError
from ember.model.labels import METRIC_NAME, Labels, is_valid_label_name
from ember.promql.string_literals import invalid_utf8_strings

_GO_GROUP = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def _check_label_name(name: str, query: str) -> None:
    if not name or not _is_valid_utf8_label(name) or name in invalid_utf8_strings(query):
        raise BadDataError(f'invalid label name "{name}"')


def _is_valid_utf8_label(name: str) -> bool:
    # Prometheus 3 accepts any valid UTF-8 label name; Python strings are always valid text, but
    # names carrying surrogates (undecodable bytes) are not.
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _expand(template: str, match: re.Match[str]) -> str:
    """Go's `Regexp.Expand`: `$1`, `${1}`, `$name`; unknown groups expand to nothing."""
    def group(found: re.Match[str]) -> str:
        key = found.group(1) or found.group(2)
        try:
            value = match.group(int(key)) if key.isdigit() else match.group(key)
        except IndexError:
            return ""
        return value or ""

    return _GO_GROUP.sub(group, template.replace("$$", "\x00")).replace("\x00", "$")


def compile_regex(regex: str) -> re.Pattern[str]:
    try:
        return re.compile(f"(?s:{regex})")
    except re.error as exc:
        raise BadDataError(f"invalid regular expression in label_replace(): {regex}") from exc


def replaced_labels(
    labels: list[Labels], dst: str, replacement: str, src: str, regex: str, query: str = ""
) -> list[Labels]:
    """`label_replace`: where the anchored regex matches the source value, set `dst`. `query` is the
    query text, to tell Go's invalid-UTF-8 strings apart (see `string_literals`)."""
    pattern = compile_regex(regex)
    _check_label_name(dst, query)
    out = []
    for lb in labels:
        found = pattern.fullmatch(lb.get(src))
        if found is None:
            out.append(lb)
            continue
        out.append(lb.updated({dst: _expand(replacement, found)}))
    return out


def joined_labels(
    labels: list[Labels], dst: str, separator: str, sources: list[str], query: str = ""
) -> list[Labels]:
    """`label_join`: `dst` becomes the source labels' values joined with the separator."""
    _check_label_name(dst, query)
    for name in sources:
        _check_label_name(name, query)
    return [lb.updated({dst: separator.join(lb.get(name) for name in sources)}) for lb in labels]


def renames_metric(dst: str) -> bool:
    """Whether the function writes `__name__` (which cancels a pending name drop)."""
    return dst == METRIC_NAME


__all__ = ["is_valid_label_name", "joined_labels", "renames_metric", "replaced_labels"]
