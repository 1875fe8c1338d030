#!/usr/bin/env python3
"""Fails when a source file includes a header its folder may not depend on.

Rules (docs/architecture.md):
  base/       -> base only
  transport/  -> base
  router/     -> base
  control/    -> base, and the plain-data parameter headers of router/ and transport/
                 (files named *_params.h)
  worker/     -> everything
  tests/, bench/ -> anything except worker/, which only tests/worker/ and tests/fuzz/
                 (for worker's parsers of untrusted input) may include
Usage: check_layout.py ROOT      check the tree at ROOT
       check_layout.py --self-test
"""
import os
import re
import sys
import tempfile

LAYERS = ("base", "transport", "router", "control", "worker")
ALLOWED = {
    "base": {"base"},
    "transport": {"base", "transport"},
    "router": {"base", "router"},
    "control": {"base", "control"},
    "worker": set(LAYERS),
}
INCLUDE = re.compile(r'^\s*#\s*include\s*["<]([^">]+)[">]', re.M)
SOURCE_EXT = (".h", ".hpp", ".cc", ".cpp", ".c")


def allowed(src_top, src_rel, target):
    target_top = target.split("/", 1)[0]
    if target_top not in LAYERS:
        return True  # Third-party or relative include.
    if src_top in ALLOWED:
        if target_top in ALLOWED[src_top]:
            return True
        return (src_top == "control" and target_top in ("router", "transport")
                and target.endswith("_params.h"))
    if target_top == "worker":
        return src_rel.startswith(("tests/worker/", "tests/fuzz/"))
    return True


def violations(root):
    found = []
    for top in LAYERS + ("tests", "bench"):
        base_dir = os.path.join(root, top)
        for dirpath, _, files in os.walk(base_dir):
            for name in files:
                if not name.endswith(SOURCE_EXT):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    if not allowed(top, rel, m.group(1)):
                        line = text.count("\n", 0, m.start()) + 1
                        found.append(f"{rel}:{line}: {top}/ may not include \"{m.group(1)}\"")
    return found


def self_test():
    cases = [
        ("base/a.h", '#include "router/x.h"', False),
        ("base/a.h", '#include "base/b.h"\n#include <vector>', True),
        ("transport/a.cc", '#include "router/packet.h"', False),
        ("router/a.cc", '#include "transport/srtp.h"', False),
        ("router/a.cc", '#include "control/jsonrpc.h"', False),
        ("control/a.cc", '#include "router/router_params.h"', True),
        ("control/a.cc", '#include "router/router.h"', False),
        ("control/a.cc", '#include "worker/settings.h"', False),
        ("transport/a.cc", '#include "worker/settings.h"', False),
        ("worker/a.cc", '#include "router/r.h"\n#include "control/c.h"', True),
        ("tests/base/a_test.cc", '#include "worker/settings.h"', False),
        ("tests/worker/a_test.cc", '#include "worker/settings.h"', True),
        ("tests/fuzz/a_fuzz.cc", '#include "worker/settings.h"', True),
        ("bench/a.cc", '  #  include "worker/x.h"', False),
        ("router/a.cc", '#include <transport/x.h>', False),
        ("router/a.cc", '#include <vector>', True),
    ]
    failures = 0
    for rel, text, ok in cases:
        with tempfile.TemporaryDirectory() as root:
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path))
            with open(path, "w") as f:
                f.write(text + "\n")
            got = not violations(root)
            if got != ok:
                failures += 1
                print(f"self-test: {rel} with {text!r}: expected {'pass' if ok else 'fail'}")
    print(f"{len(cases) - failures} passed, {failures} failed")
    return 1 if failures else 0


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    found = violations(sys.argv[1])
    for v in found:
        print(v)
    print(f"dependency rules: {len(found)} violation(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
