"""`ember check rules FILE...`: validate rule files with `promtool check rules`'s output and exit codes.

Each file prints "Checking FILE", then "  SUCCESS: N rules found" or "  FAILED:" and its errors (on the
error stream), then a blank line. Duplicate rules (same name and labels) are reported as promtool's
default `duplicate-rules` lint: shown as a failure, but not fatal (exit 0), as promtool 2.42 does.
"""

from __future__ import annotations

import itertools
from typing import TextIO

from ember.rules.rule_file import RuleFile, RuleFileError, load_rule_file

LINT_PREFIX = "lint error"


def check_rules(paths: list[str], out: TextIO, err: TextIO) -> int:
    """Checks every file; returns 1 when any file has errors, 0 otherwise (lint findings included)."""
    has_errors = False
    for path in paths:
        print("Checking", path, file=out)
        try:
            rule_file = load_rule_file(path)
        except RuleFileError as exc:
            _print_failure(exc.errors, err)
            has_errors = True
        else:
            duplicates = duplicate_rules(rule_file)
            if duplicates:
                _print_failure([_duplicates_message(duplicates)], err)
            else:
                print(f"  SUCCESS: {rule_file.rule_count} rules found", file=out)
        print(file=out)
    return 1 if has_errors else 0


def _print_failure(errors: list[str], err: TextIO) -> None:
    print("  FAILED:", file=err)
    for message in errors:
        print(message, file=err)


def duplicate_rules(rule_file: RuleFile) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """Rules sharing name and labels across the file's groups, each reported once, sorted."""
    keys = sorted((rule.name, rule.labels) for group in rule_file.groups for rule in group.rules)
    duplicates: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for previous, current in itertools.pairwise(keys):
        if previous == current and (not duplicates or duplicates[-1] != current):
            duplicates.append(current)
    return duplicates


def _duplicates_message(duplicates: list[tuple[str, tuple[tuple[str, str], ...]]]) -> str:
    text = f"{LINT_PREFIX} {len(duplicates)} duplicate rule(s) found.\n"
    for name, labels in duplicates:
        text += f"Metric: {name}\nLabel(s):\n"
        text += "".join(f"\t{label}: {value}\n" for label, value in labels)
    return text + "Might cause inconsistency while recording expressions"
