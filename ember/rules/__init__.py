"""Recording and alerting rules: rule files, groups, the rule manager, templates and rule unit tests."""
