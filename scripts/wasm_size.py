#!/usr/bin/env python3
"""Code size of a wasm module by Rust crate (from its name section; use the module before
wasm-opt, e.g. target/wasm32-unknown-unknown/wasm-release/scry_wasm.wasm, which keeps names).
Usage: scripts/wasm_size.py MODULE.wasm"""
import collections
import re
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def read(path):
    b = open(path, "rb").read()
    i, imported, code, names, data = 8, 0, [], {}, 0
    while i < len(b):
        sid = b[i]
        size, i = leb(b, i + 1)
        start = i
        if sid == 2:  # imports: count imported functions (they precede defined ones)
            n, j = leb(b, i)
            for _ in range(n):
                for _ in range(2):
                    length, j = leb(b, j)
                    j += length
                kind = b[j]
                j += 1
                if kind == 0:
                    _, j = leb(b, j)
                    imported += 1
                elif kind == 1:
                    j += 1
                    flags, j = leb(b, j)
                    _, j = leb(b, j)
                    if flags & 1:
                        _, j = leb(b, j)
                elif kind == 2:
                    flags, j = leb(b, j)
                    _, j = leb(b, j)
                    if flags & 1:
                        _, j = leb(b, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:
            n, j = leb(b, i)
            for _ in range(n):
                sz, j = leb(b, j)
                code.append(sz)
                j += sz
        elif sid == 11:
            data = size
        elif sid == 0:
            nl, j = leb(b, i)
            if b[j : j + nl] == b"name":
                j += nl
                while j < start + size:
                    sub = b[j]
                    ssz, j = leb(b, j + 1)
                    end = j + ssz
                    if sub == 1:
                        n, k = leb(b, j)
                        for _ in range(n):
                            idx, k = leb(b, k)
                            length, k = leb(b, k)
                            names[idx] = b[k : k + length].decode("utf8", "replace")
                            k += length
                    j = end
        i = start + size
    return imported, code, names, data


def crate_of(name):
    m = re.match(r"_ZN(\d+)", name)
    if not m:
        return "wasm_bindgen" if "wbg" in name else "core"
    ident = name[m.end() : m.end() + int(m.group(1))].lstrip("_")
    if ident.startswith("$LT$"):  # an impl: the first crate that is not a std wrapper
        toks = re.findall(r"([a-z_][a-z_0-9]*)\.\.", ident[4:])
        for t in toks:
            if t not in ("core", "alloc", "std", "smallvec", "hashbrown"):
                return t
        return toks[0] if toks else "core"
    return ident


def main():
    imported, code, names, data = read(sys.argv[1])
    sizes = collections.Counter()
    for n, sz in enumerate(code):
        sizes[crate_of(names.get(n + imported, "?"))] += sz
    total = sum(sizes.values())
    print(f"code {total} bytes in {len(code)} functions; data {data} bytes")
    for crate, sz in sizes.most_common(40):
        print(f"{crate:40s} {sz:10d} {100 * sz / total:5.1f}%")


main()
