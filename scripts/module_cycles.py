#!/usr/bin/env python3
"""Finds circular imports between the modules of every crate in the workspace.

Usage: scripts/module_cycles.py [--crate NAME]... [WORKSPACE_ROOT]
(default root: the folder above scripts/; with --crate, only the named crates are checked)

For each crate (a folder holding a Cargo.toml with a [package] and a src/), the module tree is
followed from its roots (src/lib.rs, src/main.rs, src/bin/*.rs) through `mod name;`
declarations. An edge A -> B is recorded when module A names module B in code:

- `use` declarations (`crate::…`, `self::…`, `super::…`, or a path starting with a child
  module of A), nested `{…}` groups included;
- paths in expressions, types and macro bodies starting with `crate::`, `$crate::`,
  `self::` or `super::`, or with a child module of A followed by `::`.

A path resolves to the deepest module it names; an item named directly under a module
(`crate::GraphError` with `GraphError` defined in lib.rs) is an import of that module, so a
child using an item of the crate root imports the root. The crate root's `pub use`
re-exports are not imports (they only publish names); its other references are. Comments,
string and char literals, `pub(in …)` visibilities and every item under `#[cfg(test)]`
(test modules, whether inline or in their own file) are left out.

The script prints every cycle it finds, one elementary cycle a line with the place of each
step, and exits 1 when there is at least one, 0 otherwise. It reads text only (Python 3
standard library): `#[path]` attributes, inline `mod x { … }` blocks other than test ones,
and macros that build paths out of pieces are not understood.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MAX_CYCLES_PER_GROUP = 50


def strip_code(text: str) -> str:
    """`text` with comments and string/char literals blanked (newlines kept)."""
    out = []
    i, n = 0, len(text)
    char_lit = re.compile(r"'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]+\}|.)|[^\\'\n])'")
    raw_str = re.compile(r'(?:b|c)?r(#*)"')

    def blank(s: str) -> str:
        return "".join(c if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif (m := raw_str.match(text, i)) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            end = '"' + m.group(1)
            j = text.find(end, m.end())
            j = n if j < 0 else j + len(end)
            out.append(blank(text[i:j]))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(blank(text[i:j]))
            i = j
        elif c == "'":
            m = char_lit.match(text, i)
            if m:
                out.append(blank(m.group(0)))
                i = m.end()
            else:  # a lifetime or label
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def skip_item(code: str, i: int) -> int:
    """End of the item starting at `i`: past its first `;` or its `{…}` block at depth 0."""
    depth = 0
    n = len(code)
    while i < n:
        c = code[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == ";" and depth == 0:
            return i + 1
        elif c == "{" and depth == 0:
            d, j = 1, i + 1
            while j < n and d:
                if code[j] == "{":
                    d += 1
                elif code[j] == "}":
                    d -= 1
                j += 1
            return j
        i += 1
    return n


CFG_TEST = re.compile(r"#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]")
ATTR = re.compile(r"\s*#\s*\[")


def drop_test_items(code: str) -> str:
    """`code` with every item under `#[cfg(test)]` blanked."""
    while True:
        m = CFG_TEST.search(code)
        if not m:
            return code
        j = m.end()
        # Further attributes of the same item.
        while (a := ATTR.match(code, j)) is not None:
            depth, k = 1, a.end()
            while k < len(code) and depth:
                depth += {"[": 1, "]": -1}.get(code[k], 0)
                k += 1
            j = k
        end = skip_item(code, j)
        code = code[: m.start()] + "".join(c if c == "\n" else " " for c in code[m.start() : end]) + code[end:]


MOD_DECL = re.compile(r"(?<![\w:])mod\s+(r#)?(\w+)\s*;")
USE = re.compile(r"(?<![\w:])((?:pub\s*(?:\([^)]*\))?\s*)?)use\s")
PUB_IN = re.compile(r"pub\s*\(\s*in\s[^)]*\)")


def split_top(s: str, sep: str = ",") -> list[str]:
    parts, depth, cur = [], 0, []
    for c in s:
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        if c == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def use_paths(tree: str, prefix: list[str]) -> list[list[str]]:
    """Leaf paths of a use tree (`a::{b, c::d as e, f::*}` → [a,b], [a,c,d], [a,f])."""
    tree = tree.strip()
    if not tree:
        return []
    if tree.startswith("::"):
        tree = tree[2:]
    brace = tree.find("{")
    if brace >= 0 and tree.rstrip().endswith("}"):
        head = tree[:brace].strip()
        head_segs = [s.strip() for s in head.split("::") if s.strip()]
        inner = tree[brace + 1 : tree.rstrip().rfind("}")]
        out = []
        for part in split_top(inner):
            out += use_paths(part, prefix + head_segs)
        return out
    tree = re.split(r"\s+as\s+", tree)[0]
    segs = [s.strip() for s in tree.split("::") if s.strip()]
    segs = [s for s in segs if s != "*"]
    if segs and segs[-1] == "self":
        segs = segs[:-1]
    return [prefix + segs]


class Crate:
    def __init__(self, name: str, src: Path):
        self.name = name
        self.src = src
        # module path (tuple) → (file, stripped code)
        self.modules: dict[tuple[str, ...], tuple[Path, str]] = {}
        self.roots: list[tuple[str, ...]] = []

    def load(self) -> None:
        roots = []
        for f in ("lib.rs", "main.rs"):
            if (self.src / f).is_file():
                roots.append((self.src / f, (f[:-3],)))
        bin_dir = self.src / "bin"
        if bin_dir.is_dir():
            for f in sorted(bin_dir.glob("*.rs")):
                roots.append((f, ("bin", f.stem)))
            for d in sorted(bin_dir.iterdir()):
                if d.is_dir() and (d / "main.rs").is_file():
                    roots.append((d / "main.rs", ("bin", d.name)))
        for file, root in roots:
            self.roots.append(root)
            self._load(file, root, is_dir_owner=True)

    def _load(self, file: Path, path: tuple[str, ...], is_dir_owner: bool) -> None:
        code = drop_test_items(strip_code(file.read_text(encoding="utf-8", errors="replace")))
        self.modules[path] = (file, code)
        folder = file.parent if is_dir_owner else file.parent / file.stem
        for m in MOD_DECL.finditer(code):
            name = m.group(2)
            for cand, owner in ((folder / f"{name}.rs", False), (folder / name / "mod.rs", True)):
                if cand.is_file():
                    self._load(cand, path + (name,), owner)
                    break

    def root_of(self, mod: tuple[str, ...]) -> tuple[str, ...]:
        return max((r for r in self.roots if mod[: len(r)] == r), key=len)

    def children(self, mod: tuple[str, ...]) -> set[str]:
        return {m[len(mod)] for m in self.modules if len(m) == len(mod) + 1 and m[: len(mod)] == mod}

    def resolve(self, mod: tuple[str, ...], segs: list[str]) -> tuple[str, ...] | None:
        """The deepest module `segs` names from inside `mod`, or None (another crate)."""
        root = self.root_of(mod)
        if not segs:
            return None
        if segs[0] in ("crate", "$crate"):
            base, rest = root, segs[1:]
        elif segs[0] in ("self", "super"):
            base, rest = mod, segs
            while rest and rest[0] in ("self", "super"):
                if rest[0] == "super":
                    if len(base) <= len(root):
                        return None
                    base = base[:-1]
                rest = rest[1:]
        elif segs[0] in self.children(mod):
            base, rest = mod, segs
        else:
            return None
        for s in rest:
            if base + (s,) in self.modules:
                base = base + (s,)
            else:
                break
        return base

    def edges(self) -> dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[Path, int, str]]:
        """(from, to) → (file, line, path text) of the first reference."""
        found: dict = {}

        def add(a, b, file, code, pos, text):
            if b is None or a == b:
                return
            if (a, b) not in found:
                found[(a, b)] = (file, code.count("\n", 0, pos) + 1, " ".join(text.split()))

        for mod, (file, code) in self.modules.items():
            code = PUB_IN.sub(lambda m: " " * len(m.group(0)), code)
            is_root = mod in self.roots
            spans = []
            for m in USE.finditer(code):
                end = skip_item(code, m.end())
                spans.append((m.start(), end))
                if is_root and m.group(1).strip().startswith("pub"):
                    continue  # a re-export from the crate root publishes, it does not import
                tree = code[m.end() : end].rstrip().rstrip(";")
                for segs in use_paths(tree, []):
                    add(mod, self.resolve(mod, segs), file, code, m.start(), "use " + "::".join(segs))
            # Blank the use declarations, then look at the other paths.
            rest = list(code)
            for s, e in spans:
                for k in range(s, e):
                    if rest[k] != "\n":
                        rest[k] = " "
            rest = "".join(rest)
            kids = self.children(mod)
            for m in re.finditer(r"(?<![\w:.])(\$?\w+)((?:\s*::\s*\w+)+)", rest):
                first = m.group(1)
                if first not in ("crate", "$crate", "self", "super") and first not in kids:
                    continue
                segs = [first] + [s.strip() for s in m.group(2).split("::") if s.strip()]
                add(mod, self.resolve(mod, segs), file, rest, m.start(), m.group(0))
        return found


def name(mod: tuple[str, ...]) -> str:
    if len(mod) == 1:
        return "crate" if mod[0] in ("lib", "main") else mod[0]
    head = "crate" if mod[0] in ("lib", "main") else "::".join(mod[:2])
    tail = mod[1:] if mod[0] in ("lib", "main") else mod[2:]
    return "::".join((head, *tail)) if tail else head


def sccs(nodes, adj):
    """Tarjan's strongly connected components."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        work = [(v, iter(sorted(adj.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            u, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(adj.get(w, ())))))
                    break
                if w in on:
                    low[u] = min(low[u], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[u])
                if low[u] == index[u]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == u:
                            break
                    out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def elementary_cycles(comp, adj, limit):
    """Elementary cycles inside one component, each started at its smallest node."""
    members = set(comp)
    order = sorted(comp)
    cycles = []
    for k, start in enumerate(order):
        allowed = set(order[k:])
        path, stack = [start], [iter(sorted(w for w in adj.get(start, ()) if w in members))]
        on_path = {start}
        while stack:
            for w in stack[-1]:
                if w == start:
                    cycles.append(list(path))
                    if len(cycles) >= limit:
                        return cycles, True
                elif w in allowed and w not in on_path:
                    path.append(w)
                    on_path.add(w)
                    stack.append(iter(sorted(x for x in adj.get(w, ()) if x in members)))
                    break
            else:
                stack.pop()
                on_path.discard(path.pop())
    return cycles, False


def find_crates(root: Path) -> list[Crate]:
    out = []
    for toml in sorted(root.rglob("Cargo.toml")):
        if any(p in ("target", ".git") or p.startswith("target") for p in toml.relative_to(root).parts):
            continue
        text = toml.read_text(encoding="utf-8", errors="replace")
        m = re.search(r"^\[package\][^\[]*?^name\s*=\s*\"([^\"]+)\"", text, re.M | re.S)
        if m and (toml.parent / "src").is_dir():
            out.append(Crate(m.group(1), toml.parent / "src"))
    return out


def main() -> int:
    args = sys.argv[1:]
    only = set()
    while args and args[0] == "--crate" and len(args) > 1:
        only.add(args[1])
        args = args[2:]
    if args and args[0].startswith("-"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    crates = [c for c in find_crates(root) if not only or c.name in only]
    if only - {c.name for c in crates}:
        print(f"no such crate: {', '.join(sorted(only - {c.name for c in crates}))}", file=sys.stderr)
        return 2
    total = 0
    for crate in crates:
        crate.load()
        edges = crate.edges()
        adj: dict = {}
        for a, b in edges:
            adj.setdefault(a, set()).add(b)
        comps = [c for c in sccs(crate.modules.keys(), adj) if len(c) > 1]
        n_cycles = 0
        lines = []
        for comp in comps:
            cycles, cut = elementary_cycles(comp, adj, MAX_CYCLES_PER_GROUP)
            n_cycles += len(cycles)
            for cyc in cycles:
                steps = []
                for a, b in zip(cyc, cyc[1:] + cyc[:1]):
                    f, line, text = edges[(a, b)]
                    steps.append(f"{name(a)} -> {name(b)} ({f.relative_to(root)}:{line}: {text})")
                lines.append("  cycle: " + " ; ".join(steps))
            if cut:
                lines.append(f"  … more than {MAX_CYCLES_PER_GROUP} cycles among {', '.join(map(name, comp))}")
        status = f"{n_cycles} cycle(s)" if n_cycles else "no cycles"
        print(f"{crate.name}: {len(crate.modules)} modules, {len(edges)} import edges, {status}")
        for line in lines:
            print(line)
        total += n_cycles
    print(f"total: {total} cycle(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
