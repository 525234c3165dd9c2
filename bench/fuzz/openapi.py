"""Requests generated from a service's /openapi.json: every operation, its path,
query and header parameters and JSON body drawn from their schemas (valid-ish) or
from hostile values (invalid), with the caller's credentials or without."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from bench.fuzz.cases import Request, query
from bench.fuzz.values import (
    ENCODINGS,
    content_types,
    dumps,
    encode,
    extra_headers,
    hostile_text,
    json_values,
    number_text,
    raw_json_text,
)

Spec = dict[str, Any]
MAX_DEPTH = 4


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: tuple[dict[str, Any], ...]
    body: dict[str, Any] | None  # the JSON body's schema
    tags: tuple[str, ...]


def operations(spec: Spec) -> list[Operation]:
    found = []
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            found.append(
                Operation(
                    method.upper(),
                    path,
                    tuple(item.get("parameters", []) + op.get("parameters", [])),
                    (body or {}).get("schema") if body is not None else None,
                    tuple(op.get("tags", [])),
                )
            )
    return found


def _resolve(schema: dict[str, Any], spec: Spec) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def from_schema(schema: dict[str, Any], spec: Spec, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that (mostly) fit a JSON schema; beyond MAX_DEPTH, anything."""
    schema = _resolve(schema, spec)
    if depth > MAX_DEPTH:
        return json_values()
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([from_schema(s, spec, depth + 1) for s in schema[key]])
    if "allOf" in schema:
        return from_schema(schema["allOf"][0], spec, depth + 1)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        fitting = st.text(
            min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 200)
        )
        return st.one_of(fitting, hostile_text(3))
    if kind == "integer":
        return st.one_of(st.integers(schema.get("minimum"), schema.get("maximum")), st.integers())
    if kind == "number":
        return st.floats(allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), spec, depth + 1), max_size=4)
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, spec, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: from_schema(v, spec, depth + 1)
                for k, v in properties.items()
                if k not in required
            },
        )
    return json_values()


def _text(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value)


def parameter_values(
    parameter: dict[str, Any], spec: Spec, known: Sequence[str]
) -> st.SearchStrategy[str]:
    fitting = from_schema(parameter.get("schema", {}), spec).map(_text)
    choices = [fitting, hostile_text(2), number_text()]
    if known:
        choices += [st.sampled_from(list(known))] * 3
    return st.one_of(choices)


def requests_of(
    spec: Spec,
    credentials: Callable[[Operation], dict[str, str]],
    known: Callable[[str], Sequence[str]],
) -> st.SearchStrategy[Request]:
    """Requests to every operation of spec; `known(name)` gives real values of a path
    parameter (ids that exist), so the fuzz also reaches past the 404s."""
    ops = operations(spec)

    @st.composite
    def request(draw: Callable) -> Request:
        op = draw(st.sampled_from(ops))
        path, pairs, headers = op.path, [], {}
        for parameter in op.parameters:
            where, name = parameter.get("in"), parameter["name"]
            if where != "path" and not parameter.get("required") and draw(st.booleans()):
                continue
            value = draw(parameter_values(parameter, spec, known(name)))
            if where == "path":
                path = path.replace(
                    f"{{{name}}}", quote(value, safe="", errors="surrogatepass") or "%20"
                )
            elif where == "query":
                pairs.append((name, value))
            elif where == "header":
                headers[name] = "".join(
                    c for c in value if " " <= c <= "\xff" and c != "\x7f"
                ).strip()
        headers.update({k: v.strip() for k, v in draw(extra_headers()).items()})
        if draw(st.integers(0, 9)) < 8:
            headers.update(credentials(op))
        body = b""
        if op.body is not None or draw(st.integers(0, 9)) == 0:
            value = draw(
                st.one_of(
                    from_schema(op.body or {}, spec).map(dumps),
                    from_schema(op.body or {}, spec).map(dumps),
                    raw_json_text(),
                )
            )
            body = encode(value, draw(st.sampled_from(ENCODINGS)))
            headers["Content-Type"] = draw(content_types("application/json")) or "application/json"
        method = (
            op.method
            if draw(st.integers(0, 19))
            else draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
        )
        target = path + (f"?{query(tuple(pairs))}" if pairs else "")
        return Request(method, target, headers, body)

    return request()
