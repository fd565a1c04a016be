"""PromQL: parse with `promql-parser`, evaluate every node for all steps at once (`Engine`)."""
