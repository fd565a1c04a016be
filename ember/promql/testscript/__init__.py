"""Run Prometheus's PromQL test scripts (the `promqltest` format) against Ember's engine.

`parse_script` reads a script, `run_script` executes it against an engine and a storage, and
`run_files` is what `ember test promql FILE...` calls.
"""

from ember.promql.testscript.compare import almost_equal
from ember.promql.testscript.parser import Script, ScriptError, parse_script
from ember.promql.testscript.runner import EvalOutcome, run_files, run_script

__all__ = [
    "EvalOutcome",
    "Script",
    "ScriptError",
    "almost_equal",
    "parse_script",
    "run_files",
    "run_script",
]
