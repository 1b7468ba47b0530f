"""The JSON Schema (draft 2020-12) of the vectors files, written out as ``vectors/v1/schema.json``."""

from __future__ import annotations

from typing import Any, Dict

from .vectors import SUITE_NAME, SUITE_VERSION

RATIONAL = {"type": "string", "pattern": "^-?[0-9]+(/[1-9][0-9]*)?$", "description": "an exact rational 'p/q' or 'p'"}
HEXFLOAT = {
    "type": "string",
    "pattern": "^-?0x[01]\\.[0-9a-f]+p[+-][0-9]+$",
    "description": "the correctly rounded binary64 value as a C99 hex float",
}
INDEX = {"type": "integer", "minimum": 0}


def _rows(item: Dict[str, Any]) -> Dict[str, Any]:
    return {"type": "array", "items": {"type": "array", "items": item, "minItems": 1}}


def schema_document() -> Dict[str, Any]:
    """The schema as a dict (KM-VEC-1..6)."""
    tie = {
        "type": "object",
        "description": "a pixel whose nearest centroid has rivals within the float32 assignment tolerance (KM-VEC-4)",
        "required": ["pixel", "label", "rivals"],
        "additionalProperties": False,
        "properties": {
            "pixel": INDEX,
            "label": INDEX,
            "rivals": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "array",
                    "prefixItems": [INDEX, RATIONAL],
                    "items": False,
                    "minItems": 2,
                    "description": "[centroid index, exact key gap to the label's centroid]; gap 0 is an exact tie",
                },
            },
        },
    }
    state = {
        "centroids": {**_rows(RATIONAL), "description": "exact centroids, one row per centroid"},
        "centroids_hex": _rows(HEXFLOAT),
        "labels": {"type": "array", "items": INDEX},
        "counts": {"type": "array", "items": INDEX},
        "inertia": RATIONAL,
        "inertia_hex": HEXFLOAT,
        "near_ties": {"type": "array", "items": {"$ref": "#/$defs/tie"}},
    }
    step = {
        "type": "object",
        "description": "one iteration: the centroids at its start and the assignment made to them (KM-VEC-3)",
        "required": ["iteration", *state, "empty", "relocated"],
        "additionalProperties": False,
        "properties": {
            "iteration": INDEX,
            **state,
            "empty": {"type": "array", "items": INDEX},
            "relocated": {
                "type": "array",
                "items": {"type": "array", "prefixItems": [INDEX, {"type": "array", "items": RATIONAL}], "items": False},
            },
        },
    }
    final = {
        "type": "object",
        "description": "the state returned: the labels belong to these centroids (KM-STOP-3)",
        "required": ["iterations", "converged", *state],
        "additionalProperties": False,
        "properties": {"iterations": INDEX, "converged": {"type": "boolean"}, **state},
    }
    case = {
        "type": "object",
        "required": [
            "id", "description", "result", "flags", "rules", "image", "pixels", "k", "init",
            "initial_centroids", "metric", "empty", "max_iter", "steps",
        ],
        "additionalProperties": False,
        "oneOf": [{"required": ["final"]}, {"required": ["expected_error"]}],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9+-]+(/[a-z0-9+.-]+)+$", "description": "stable case id"},
            "description": {"type": "string"},
            "result": {
                "enum": ["valid", "acceptable"],
                "description": "valid: one right answer; acceptable: the flagged ties allow other conformant answers",
            },
            "flags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "rules": {"type": "array", "items": {"type": "string", "pattern": "^KM-[A-Z]+-[0-9]+$"}},
            "image": {
                "type": "object",
                "required": ["width", "height", "channels", "maxval"],
                "additionalProperties": False,
                "properties": {
                    "width": INDEX,
                    "height": INDEX,
                    "channels": {"type": "integer", "minimum": 1},
                    "maxval": {"type": "integer", "minimum": 1, "maximum": 65535},
                },
            },
            "pixels": {**_rows({"type": "integer", "minimum": 0, "maximum": 65535}), "minItems": 1},
            "k": {"type": "integer", "minimum": 1},
            "init": {
                "type": "object",
                "required": ["method"],
                "additionalProperties": False,
                "properties": {
                    "method": {"type": "string", "description": "'given' or the initializer that chose the start"},
                    "seed": INDEX,
                    "rng": {"enum": ["portable", "numpy-legacy"]},
                },
            },
            "initial_centroids": {
                **_rows({"type": "number"}),
                "description": "the exact start, as JSON numbers that are binary64 values (KM-CEN-2)",
            },
            "metric": {"type": "string"},
            "empty": {"enum": ["keep", "farthest", "error"]},
            "max_iter": INDEX,
            "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}},
            "final": {"$ref": "#/$defs/final"},
            "expected_error": {
                "type": "object",
                "required": ["kind", "iteration", "cluster"],
                "additionalProperties": False,
                "properties": {"kind": {"const": "empty-cluster"}, "iteration": INDEX, "cluster": INDEX},
            },
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://refkmeans.invalid/vectors/v1/schema.json",
        "title": "refkmeans golden vectors, suite version 1",
        "description": "One file of the refkmeans conformance suite: a header and its cases. See SPEC.md C1 (KM-VEC-*).",
        "type": "object",
        "required": ["suite", "version", "spec", "schema", "group", "description", "cases"],
        "additionalProperties": False,
        "properties": {
            "suite": {"const": SUITE_NAME},
            "version": {"type": "string", "pattern": "^" + SUITE_VERSION.split(".")[0] + "\\.[0-9]+\\.[0-9]+$"},
            "spec": {"type": "string"},
            "schema": {"type": "string"},
            "group": {"type": "string", "pattern": "^[a-z0-9+-]+$"},
            "description": {"type": "string"},
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        },
        "$defs": {"case": case, "step": step, "final": final, "tie": tie},
    }
