"""Configuration: `prometheus.yml` loaded and validated into frozen dataclasses (errors name the file,
the line and the field).

Import from the modules: `ember.config.loader.load_config`, `ember.config.prometheus.Config`,
`ember.config.check.check_config`. This package file re-exports nothing on purpose: `ember.relabel`
imports `ember.model.go_regex`, and the loader imports `ember.relabel`, so eager re-exports here would
make an import cycle.
"""
