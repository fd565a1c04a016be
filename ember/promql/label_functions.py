"""`label_replace` and `label_join`: computing new label sets, one per series."""

from __future__ import annotations

from ember.errors import BadDataError
from ember.model.go_regex import GoRegex, GoRegexError, compile_go_regex
from ember.model.labels import METRIC_NAME, Labels, is_valid_label_name
from ember.promql.string_literals import invalid_utf8_strings


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


def compile_regex(regex: str) -> GoRegex:
    """Prometheus's `^(?s:<regex>)$` in Go's RE2 dialect."""
    try:
        return compile_go_regex(regex)
    except GoRegexError as exc:
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
        out.append(lb.updated({dst: pattern.expand(replacement, found)}))
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
