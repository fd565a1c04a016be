"""Reading the `global` section and `scrape_configs` entries, with Prometheus's defaults, inheritance
from `global` (`ScrapeConfig.Validate`) and its checks (timeout <= interval, known protocols, ...)."""

from __future__ import annotations

import os
import re
from dataclasses import fields
from types import MappingProxyType

from ember.config.durations import Duration
from ember.config.http_client import HTTP_CLIENT_KEYS, read_http_client
from ember.config.prometheus import (
    DEFAULT_SCRAPE_PROTOCOLS,
    ESCAPING_SCHEMES,
    SCRAPE_PROTOCOLS,
    GlobalConfig,
    ScrapeConfig,
)
from ember.config.relabel_section import read_relabel_configs
from ember.config.service_discovery import SD_KEYS, check_static_targets, read_service_discovery
from ember.config.yaml_nodes import ConfigNode
from ember.model.labels import Labels
from ember.relabel import NameValidation, go_quote, is_valid_name

# Native histograms are not implemented yet: these are accepted only at their "off" values.
_HISTOGRAM_SWITCHES = (
    "scrape_native_histograms",
    "always_scrape_classic_histograms",
    "convert_classic_histograms_to_nhcb",
    "extra_scrape_metrics",
)
_SCRAPE_UNSUPPORTED = ("native_histogram_bucket_limit", "native_histogram_min_bucket_factor")
_SCRAPE_KEYS = frozenset(
    {f.name for f in fields(ScrapeConfig)} - {"http_client_config"}
    | HTTP_CLIENT_KEYS
    | SD_KEYS
    | set(_HISTOGRAM_SWITCHES)
    | set(_SCRAPE_UNSUPPORTED)
)
_ENV_REFERENCE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|(\$))")


def read_global(node: ConfigNode | None) -> GlobalConfig:
    """The `global` section (Prometheus's `GlobalConfig.UnmarshalYAML`)."""
    if node is None:
        return GlobalConfig()
    node.expect_only({f.name for f in fields(GlobalConfig)} | set(_HISTOGRAM_SWITCHES))
    _refuse_switched_on(node, _HISTOGRAM_SWITCHES)
    scheme = _validation_scheme(node, default=NameValidation.UTF8)
    interval = node.duration("scrape_interval", 0) or Duration(60_000)
    timeout = node.duration("scrape_timeout", 0)
    if timeout > interval:
        raise node.error("global scrape timeout greater than scrape interval", "scrape_timeout")
    protocols = _scrape_protocols(node, "for global config")
    config = GlobalConfig(
        scrape_interval=interval,
        scrape_timeout=timeout or Duration(min(10_000, interval)),
        scrape_protocols=protocols,
        evaluation_interval=node.duration("evaluation_interval", 0) or Duration(60_000),
        rule_query_offset=node.duration("rule_query_offset", 0),
        query_log_file=node.path("query_log_file"),
        scrape_failure_log_file=node.path("scrape_failure_log_file"),
        external_labels=_external_labels(node, scheme),
        body_size_limit=node.byte_size("body_size_limit"),
        sample_limit=node.uint("sample_limit"),
        target_limit=node.uint("target_limit"),
        label_limit=node.uint("label_limit"),
        label_name_length_limit=node.uint("label_name_length_limit"),
        label_value_length_limit=node.uint("label_value_length_limit"),
        keep_dropped_targets=node.uint("keep_dropped_targets"),
        metric_name_validation_scheme=scheme,
        metric_name_escaping_scheme=_escaping_scheme(node, "global"),
    )
    node.finish()
    return config


def _refuse_switched_on(node: ConfigNode, keys: tuple[str, ...]) -> None:
    for key in keys:
        if node.boolean(key, False):
            raise node.error(f'field "{key}" in {node.what} is not supported by Ember yet', key)


def _validation_scheme(node: ConfigNode, default: NameValidation) -> NameValidation:
    text = node.string("metric_name_validation_scheme")
    if not text:
        return default
    try:
        return NameValidation(text)
    except ValueError as exc:
        raise node.field_error(
            "metric_name_validation_scheme", f"must be either '', 'legacy' or 'utf8', got {text}"
        ) from exc


def _escaping_scheme(node: ConfigNode, where: str) -> str:
    text = node.string("metric_name_escaping_scheme")
    if text and text not in ESCAPING_SCHEMES:
        raise node.error(
            f"unknown {where} name escaping method specified, must be one of 'allow-utf-8', 'underscores', "
            f"'dots', or 'values', got {go_quote(text)}",
            "metric_name_escaping_scheme",
        )
    return text


def _scrape_protocols(node: ConfigNode, where: str) -> tuple[str, ...]:
    if "scrape_protocols" not in node.data:
        return ()
    protocols = node.string_list("scrape_protocols")
    if not protocols:
        raise node.error(f"scrape_protocols cannot be empty {where}", "scrape_protocols")
    seen: set[str] = set()
    for protocol in protocols:
        if protocol.lower() in seen:
            raise node.error(
                f"duplicated protocol in scrape_protocols, got [{' '.join(protocols)}] {where}",
                "scrape_protocols",
            )
        if protocol not in SCRAPE_PROTOCOLS:
            raise node.error(
                f"scrape_protocols: unknown scrape protocol {protocol}, supported: "
                f"[{' '.join(sorted(SCRAPE_PROTOCOLS))}] {where}",
                "scrape_protocols",
            )
        seen.add(protocol.lower())
    return protocols


def _external_labels(node: ConfigNode, scheme: NameValidation) -> Labels:
    """External labels, with `$VAR` / `${VAR}` taken from the environment as Prometheus does."""
    raw = node.string_map("external_labels")
    for name in raw:
        if not is_valid_name(name, scheme):
            raise node.error(f"{go_quote(name)} is not a valid label name", "external_labels")
    return Labels((name, expand_environment(value)) for name, value in raw.items())


def expand_environment(text: str) -> str:
    """Go's `os.Expand` with the environment; `$$` stays a literal `$`, unset variables expand to ""."""

    def lookup(match: re.Match[str]) -> str:
        if match.group(3):
            return "$"
        return os.environ.get(match.group(1) or match.group(2) or "", "")

    return _ENV_REFERENCE.sub(lookup, text)


def read_scrape_config(node: ConfigNode, global_config: GlobalConfig) -> ScrapeConfig:
    """One `scrape_configs` entry, filled in from `global` where unset."""
    node.expect_only(_SCRAPE_KEYS)
    node.refuse(*_SCRAPE_UNSUPPORTED)
    _refuse_switched_on(node, _HISTOGRAM_SWITCHES)
    job_name = node.string("job_name")
    if not job_name:
        raise node.error("job_name is empty")
    job = f"for scrape config with job name {go_quote(job_name)}"
    interval = node.duration("scrape_interval", 0) or global_config.scrape_interval
    timeout = node.duration("scrape_timeout", 0)
    if timeout > interval:
        raise node.error(f"scrape timeout greater than scrape interval {job}", "scrape_timeout")
    scheme = _validation_scheme(node, default=global_config.metric_name_validation_scheme)
    discovery = read_service_discovery(node, scheme)
    relabel_configs = read_relabel_configs(
        node, "relabel_configs", scheme, "empty or null target relabeling rule in scrape config"
    )
    if not relabel_configs:
        check_static_targets(node, discovery)
    config = ScrapeConfig(
        job_name=job_name,
        scrape_interval=interval,
        scrape_timeout=timeout or Duration(min(global_config.scrape_timeout, interval)),
        honor_labels=node.boolean("honor_labels", False),
        honor_timestamps=node.boolean("honor_timestamps", True),
        track_timestamps_staleness=node.boolean("track_timestamps_staleness", False),
        params=_params(node),
        scrape_protocols=_scrape_protocols(node, job)
        or global_config.scrape_protocols
        or DEFAULT_SCRAPE_PROTOCOLS,
        fallback_scrape_protocol=_fallback_protocol(node, job_name),
        scrape_failure_log_file=node.path("scrape_failure_log_file") or global_config.scrape_failure_log_file,
        metrics_path=node.string("metrics_path", "/metrics"),
        scheme=_url_scheme(node),
        enable_compression=node.boolean("enable_compression", True),
        body_size_limit=node.byte_size("body_size_limit") or global_config.body_size_limit,
        sample_limit=node.uint("sample_limit") or global_config.sample_limit,
        target_limit=node.uint("target_limit") or global_config.target_limit,
        label_limit=node.uint("label_limit") or global_config.label_limit,
        label_name_length_limit=node.uint("label_name_length_limit") or global_config.label_name_length_limit,
        label_value_length_limit=node.uint("label_value_length_limit")
        or global_config.label_value_length_limit,
        keep_dropped_targets=node.uint("keep_dropped_targets") or global_config.keep_dropped_targets,
        metric_name_validation_scheme=scheme,
        metric_name_escaping_scheme=_scrape_escaping(node, scheme, global_config),
        static_configs=discovery.static_configs,
        file_sd_configs=discovery.file_sd_configs,
        http_sd_configs=discovery.http_sd_configs,
        http_client_config=read_http_client(node),
        relabel_configs=relabel_configs,
        metric_relabel_configs=read_relabel_configs(
            node, "metric_relabel_configs", scheme, "empty or null metric relabeling rule in scrape config"
        ),
    )
    node.finish()
    return config


def _params(node: ConfigNode) -> MappingProxyType[str, tuple[str, ...]]:
    section = node.section("params", "params")
    if section is None:
        return MappingProxyType({})
    params = {str(name): section.string_list(str(name)) for name in section.data}
    section.finish()
    return MappingProxyType(params)


def _fallback_protocol(node: ConfigNode, job_name: str) -> str:
    protocol = node.string("fallback_scrape_protocol")
    if protocol and protocol not in SCRAPE_PROTOCOLS:
        raise node.error(
            f"invalid fallback_scrape_protocol for scrape config with job name {go_quote(job_name)}: unknown "
            f"scrape protocol {protocol}, supported: [{' '.join(sorted(SCRAPE_PROTOCOLS))}]",
            "fallback_scrape_protocol",
        )
    return protocol


def _url_scheme(node: ConfigNode) -> str:
    # Prometheus only fails at scrape time; refusing here gives the user the line number.
    scheme = node.string("scheme", "http")
    if scheme not in ("http", "https"):
        raise node.field_error("scheme", f"must be http or https, got {go_quote(scheme)}")
    return scheme


def _scrape_escaping(node: ConfigNode, scheme: NameValidation, global_config: GlobalConfig) -> str:
    """Prometheus's inference: unset follows the scrape's own validation scheme, else the global one."""
    explicit = _escaping_scheme(node, "scrape config")
    if explicit:
        escaping = explicit
    elif "metric_name_validation_scheme" not in node.data or node.data["metric_name_validation_scheme"] in (
        None,
        "",
    ):
        escaping = global_config.metric_name_escaping_scheme or (
            "underscores"
            if global_config.metric_name_validation_scheme is NameValidation.LEGACY
            else "allow-utf-8"
        )
    else:
        escaping = "underscores" if scheme is NameValidation.LEGACY else "allow-utf-8"
    if escaping == "allow-utf-8" and scheme is not NameValidation.UTF8:
        raise node.error("utf8 metric names requested but validation scheme is not set to UTF8")
    return escaping
