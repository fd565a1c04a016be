"""`ember check metrics`: validate an exposition body and report problems with their line numbers.

OpenMetrics bodies are checked strictly (every rule of the OpenMetrics test suite); text bodies as
Prometheus parses them. Both also report a series repeated without explicit timestamps, which
Prometheus would refuse at append time ("duplicate sample for timestamp").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from ember.exposition.body_decoding import decode_utf8, decompress_body
from ember.exposition.negotiation import ExpositionFormat
from ember.exposition.openmetrics_parser import parse_openmetrics
from ember.exposition.parse_error import ParseError
from ember.exposition.scrape_result import ParsedScrape
from ember.exposition.text_parser import parse_text
from ember.model.labels import Labels


@dataclass(frozen=True)
class Problem:
    """One finding: the 1-based line (0 when it concerns the whole body) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


def check_metrics(data: bytes, fmt: ExpositionFormat = "text") -> list[Problem]:
    """The problems of `data` (plain or gzip) in `fmt`; empty when the body is valid."""
    if fmt not in ("text", "openmetrics"):
        raise ValueError(f"unknown exposition format {fmt!r}")
    try:
        text = decode_utf8(decompress_body(data))
        scrape = parse_openmetrics(text, strict=True) if fmt == "openmetrics" else parse_text(text)
    except ParseError as exc:
        return [Problem(exc.line, exc.reason)]
    return _duplicate_series(scrape, text, fmt)


def _duplicate_series(scrape: ParsedScrape, text: str, fmt: ExpositionFormat) -> list[Problem]:
    first_seen: dict[Labels, int] = {}
    problems: list[Problem] = []
    line_numbers: list[int] | None = None
    for index, labels in enumerate(scrape.labels):
        if scrape.has_timestamp[index]:
            continue
        if labels in first_seen:
            line_numbers = line_numbers or _sample_line_numbers(text, fmt)
            problems.append(Problem(line_numbers[index], f"duplicate series {labels}"))
        else:
            first_seen[labels] = index
    return problems


def _sample_line_numbers(text: str, fmt: ExpositionFormat) -> list[int]:
    numbers = []
    for number, line in enumerate(text.split("\n"), start=1):
        is_sample = line and line[0] != "#" and (fmt == "openmetrics" or line.split())
        if is_sample:
            numbers.append(number)
    return numbers


def main(
    argv: Sequence[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """`ember check metrics [--format text|openmetrics] < FILE`: exit 0 when valid, 1 with the
    problems (line and reason) on stderr otherwise."""
    parser = argparse.ArgumentParser(prog="ember check metrics", description=__doc__.splitlines()[0])
    parser.add_argument("--format", choices=("text", "openmetrics"), default="text")
    args = parser.parse_args(argv)
    data = (stdin or sys.stdin.buffer).read()
    problems = check_metrics(data, args.format)
    err = stderr or sys.stderr
    for problem in problems:
        print(problem, file=err)
    if not problems:
        print("SUCCESS", file=stdout or sys.stdout)
    return 1 if problems else 0
