#!/usr/bin/env python3
"""Fails when docs/control-api.md and control/schema/control-api.json disagree.

The schema is the source (the server validates requests against it); the docs must
describe every method and notification in it:
  1. each has a heading `### NAME` (one heading may list several:
     `### producer.pause, producer.resume`);
  2. each heading that names methods (`### a.b`, `### a.b, c.d`) names only methods or
     notifications of the schema;
  3. each property of a method's or notification's params is mentioned in backticks in
     its section (`routerId`, or a path into it such as `dtlsParameters.role`);
  4. each JSON example in such a section (```json blocks; `-->` for what the client
     sends, `<--` for what the server sends) agrees with the schema: a request's params
     validate against its method's params, unless the response with the same id is an
     InvalidParams error (-32602), in which case they must not; a notification's params
     validate against the notification's.
The schema itself must be a valid JSON Schema 2020-12 document.

Usage: check_control_api_docs.py ROOT      check ROOT/docs and ROOT/control/schema
       check_control_api_docs.py --self-test
Needs python3-jsonschema (scripts/bootstrap.sh installs it).
"""
import json
import os
import re
import sys
import tempfile

try:
    import jsonschema
except ImportError:  # Reported in main(), so --help works without it.
    jsonschema = None

DOC = os.path.join("docs", "control-api.md")
SCHEMA = os.path.join("control", "schema", "control-api.json")
NAME = re.compile(r"^[a-z][A-Za-z0-9]*\.[a-z][A-Za-z0-9]*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*```(\w*)\s*$")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
MARKER = re.compile(r"^\s*(-->|<--)\s?(.*)$")


def sections(markdown):
    """Yields (names, prose, json_blocks) for each `###` heading that names methods."""
    current = None
    in_fence, fence_lang, block = False, "", []
    for line in markdown.splitlines():
        fence = FENCE.match(line)
        if fence:
            if not in_fence:
                in_fence, fence_lang, block = True, fence.group(1), []
            else:
                in_fence = False
                if current is not None and fence_lang == "json":
                    current[2].append("\n".join(block))
            continue
        if in_fence:
            block.append(line)
            continue
        heading = HEADING.match(line)
        if heading and len(heading.group(1)) <= 3:
            if current is not None:
                yield current
            current = None
            names = [n.strip().strip("`") for n in heading.group(2).split(",")]
            if len(heading.group(1)) == 3 and all(NAME.match(n) for n in names):
                current = (names, [], [])
            continue
        if current is not None:
            current[1].append(line)
    if current is not None:
        yield current


def messages(block):
    """Splits an example block into (direction, text): '-->', '<--' or '' (unmarked)."""
    out = []
    for line in block.splitlines():
        marker = MARKER.match(line)
        if marker:
            out.append([marker.group(1), marker.group(2)])
        elif out:
            out[-1][1] += "\n" + line
        elif line.strip():
            out.append(["", line])
    return [(d, t.strip()) for d, t in out if t.strip()]


def resolve(doc, schema):
    """Follows $ref (to "#/..." pointers) until a schema without one."""
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        target = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema, seen = target, seen + 1
    return schema


def param_names(doc, schema):
    schema = resolve(doc, schema)
    if not isinstance(schema, dict):
        return []
    names = list(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        names += param_names(doc, sub)
    return names


def mentioned(name, spans):
    for span in spans:
        for prefix in ("", "params."):
            if span == prefix + name or span.startswith((prefix + name + ".", prefix + name + "[")):
                return True
    return False


def validator(doc, kind, name):
    pointer = name.replace("~", "~0").replace("/", "~1")
    return jsonschema.Draft202012Validator(dict(doc, **{"$ref": f"#/{kind}/{pointer}/params"}))


def check_example(doc, names, block, problems):
    where = "/".join(names)
    parsed = []
    for direction, text in messages(block):
        try:
            parsed.append((direction, json.loads(text)))
        except ValueError as e:
            if direction != "<--":  # Responses may abbreviate ("result": {...}).
                problems.append(f"{where}: example is not valid JSON ({e}): {text[:60]}")
    responses = {}
    for direction, msg in parsed:
        for m in msg if isinstance(msg, list) else [msg]:
            if direction != "-->" and isinstance(m, dict) and "id" in m and "method" not in m:
                responses[json.dumps(m["id"])] = m
    for direction, msg in parsed:
        for m in msg if isinstance(msg, list) else [msg]:
            if not isinstance(m, dict) or "method" not in m:
                continue
            method, params = m["method"], m.get("params", {})
            if direction == "<--" or (direction == "" and "id" not in m):
                if method not in doc.get("notifications", {}):
                    problems.append(f"{where}: example notification {method} is not in the schema")
                    continue
                errors = list(validator(doc, "notifications", method).iter_errors(params))
                if errors:
                    problems.append(f"{where}: example {method} notification: {errors[0].message}")
                continue
            if method not in doc["methods"]:
                problems.append(f"{where}: example calls {method}, which is not in the schema")
                continue
            errors = list(validator(doc, "methods", method).iter_errors(params))
            response = responses.get(json.dumps(m.get("id")), {})
            refused = isinstance(response.get("error"), dict) and response["error"].get("code") == -32602
            if refused and not errors:
                problems.append(f"{where}: example {method} id {m.get('id')} is answered with -32602 "
                                "but its params validate")
            elif not refused and errors:
                problems.append(f"{where}: example {method} id {m.get('id')}: {errors[0].message} "
                                f"(at params/{'/'.join(str(p) for p in errors[0].absolute_path)})")


def problems_in(doc, markdown):
    problems = []
    try:
        jsonschema.Draft202012Validator.check_schema(doc)
    except jsonschema.SchemaError as e:
        return [f"{SCHEMA}: not a valid 2020-12 schema: {e.message}"]
    methods, notifications = doc.get("methods", {}), doc.get("notifications", {})
    documented = set()
    for names, prose, blocks in sections(markdown):
        spans = CODE_SPAN.findall("\n".join(prose))
        for name in names:
            documented.add(name)
            entry = methods.get(name) or notifications.get(name)
            if entry is None:
                problems.append(f"heading names {name}, which is not a method or notification of the schema")
                continue
            for param in param_names(doc, entry["params"]):
                if not mentioned(param, spans):
                    problems.append(f"{name}: params member `{param}` is not mentioned in its section")
        for block in blocks:
            check_example(doc, names, block, problems)
    for name in list(methods) + list(notifications):
        if name not in documented:
            kind = "method" if name in methods else "notification"
            problems.append(f"{kind} {name} has no `### {name}` heading")
    return problems


def check(root):
    with open(os.path.join(root, SCHEMA), encoding="utf-8") as f:
        doc = json.load(f)
    with open(os.path.join(root, DOC), encoding="utf-8") as f:
        markdown = f.read()
    return problems_in(doc, markdown)


def self_test():
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"id": {"type": "string"}},
        "methods": {
            "a.get": {"summary": "s", "result": True, "errors": [],
                      "params": {"type": "object", "additionalProperties": False, "required": ["aId"],
                                 "properties": {"aId": {"$ref": "#/$defs/id"}}}},
            "a.stop": {"summary": "s", "result": True, "errors": [],
                       "params": {"type": "object", "additionalProperties": False}}},
        "notifications": {"a.changed": {"summary": "s", "params": {
            "type": "object", "required": ["aId"], "properties": {"aId": {"type": "string"}}}}},
    }
    good = """# API
### a.get
Takes `aId`.
```json
--> {"jsonrpc": "2.0", "id": 1, "method": "a.get", "params": {"aId": "x"}}
<-- {"id": 1, "jsonrpc": "2.0", "result": {...}}
--> {"jsonrpc": "2.0", "id": 2, "method": "a.get", "params": {"aId": 5}}
<-- {"error": {"code": -32602, "data": {"field": "params.aId"}, "message": "must be a string"},
     "id": 2, "jsonrpc": "2.0"}
```
### a.stop, a.changed
Stops; then `aId` changes.
```json
--> {"jsonrpc": "2.0", "id": 3, "method": "a.stop"}
<-- {"jsonrpc": "2.0", "method": "a.changed", "params": {"aId": "x"}}
```
## Other
### Not a method
"""
    cases = [
        ("good", good, True),
        ("missing heading", good.replace("### a.stop, a.changed", "### a.stop"), False),
        ("unknown heading", good + "### a.nope\n", False),
        ("param not mentioned", good.replace("Takes `aId`.", "Takes aId."), False),
        ("invalid request", good.replace('"params": {"aId": "x"}}', '"params": {"aId": "x", "b": 1}}'), False),
        ("refused request that validates", good.replace('"params": {"aId": 5}', '"params": {"aId": "5"}'), False),
        ("invalid notification", good.replace('"a.changed", "params": {"aId": "x"}', '"a.changed", "params": {}'),
         False),
        ("unknown method in example", good.replace('"method": "a.stop"', '"method": "a.nope"'), False),
        ("broken request JSON", good.replace('"method": "a.stop"}', '"method": "a.stop"'), False),
    ]
    failures = 0
    for label, markdown, ok in cases:
        found = problems_in(schema, markdown)
        if (not found) != ok:
            failures += 1
            print(f"self-test {label}: expected {'no problems' if ok else 'a problem'}, got {found}")
    broken = dict(schema, **{"$defs": {"id": {"type": "strnig"}}})
    if not problems_in(broken, good):
        failures += 1
        print("self-test: an invalid schema went unnoticed")
    print(f"{len(cases) + 1 - failures} passed, {failures} failed")
    return 1 if failures else 0


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    if jsonschema is None:
        print("check_control_api_docs: needs python3-jsonschema (scripts/bootstrap.sh installs it)")
        return 1
    if sys.argv[1] == "--self-test":
        return self_test()
    found = check(sys.argv[1])
    for p in found:
        print(p)
    print(f"control API docs: {len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
