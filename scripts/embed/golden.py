#!/usr/bin/env python3
"""Golden vectors for scry's text embedder, from a reference runtime.

Runs the pinned all-MiniLM-L6-v2 int8 ``model.onnx`` with onnxruntime (fp32, CPU) and the
pinned ``tokenizer.json`` with the Hugging Face ``tokenizers`` package (padding disabled,
truncation at the manifest's ``max_tokens`` = 256 word pieces, one text per run), mean-pools
``last_hidden_state`` over the attention mask, L2-normalises, and writes the inputs, token counts
and vectors (rounded to 6 decimals) to ``tests/fixtures/embed/golden.json``. The Rust tests
(``crates/scry-embed/tests/golden.rs``, natively and in headless Chrome) require a cosine of at
least 0.999 to these vectors for every input.

Regenerate (Python deps live in a throwaway venv, never in the repo)::

    python3 models/fetch.py                      # the pinned model files -> models/cache/
    python3 -m venv /tmp/venv-golden
    /tmp/venv-golden/bin/pip install onnxruntime tokenizers numpy
    /tmp/venv-golden/bin/python scripts/embed/golden.py

Options: ``--models DIR`` (default ``models/cache``), ``--out FILE``.
Versions used for the committed file are recorded in it (``generator``).
"""

import argparse
import hashlib
import json
import pathlib
import sys

import numpy as np
import onnxruntime as ort
import tokenizers

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_ID = "all-MiniLM-L6-v2-int8"

LONG_EN = (
    "The stream module provides an API for implementing the stream interface. Streams can be "
    "readable, writable, or both. All streams are instances of EventEmitter. "
) * 12
LONG_DE = (
    "Die Bundesrepublik Deutschland ist ein Bundesstaat in Mitteleuropa. Sie besteht aus "
    "sechzehn Ländern und ist als freiheitlich-demokratischer und sozialer Rechtsstaat "
    "verfasst. "
) * 10

INPUTS = [
    # Short English.
    "hello",
    "Hello, world!",
    "How do I read a file line by line?",
    "A readable stream emits data events.",
    "The quick brown fox jumps over the lazy dog.",
    "TLS certificate verification failed",
    "child process spawn vs exec",
    "What is the capital of France?",
    "Paris is the capital and most populous city of France.",
    "I love machine learning.",
    "Semantic search finds documents by meaning rather than exact keywords.",
    "buffer.toString('utf8')",
    "cats",
    "a",
    "?",
    # Longer English, one sentence and paragraphs.
    "In computer science, a hash table is a data structure that implements an associative array, "
    "also called a dictionary, which maps keys to values using a hash function to compute an "
    "index into an array of buckets or slots.",
    "First paragraph about HTTP servers.\n\nSecond paragraph about file systems and permissions.",
    # Beyond 256 word pieces: truncated.
    LONG_EN,
    LONG_DE,
    "word " * 600,
    # German.
    "Wie lese ich eine Datei Zeile für Zeile?",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "Straße, Größe, Übermaß — Umlaute und ß.",
    # Japanese.
    "ファイルを一行ずつ読むにはどうすればよいですか？",
    "東京は日本の首都です。",
    "機械学習が大好きです",
    # Arabic.
    "كيف أقرأ ملفًا سطرًا بسطر؟",
    "القاهرة هي عاصمة مصر.",
    # Russian.
    "Как прочитать файл построчно?",
    "Москва — столица России.",
    # Other scripts and mixed.
    "Ο γρήγορος καφέ αλεπού πηδάει.",
    "你好，世界！这是一个测试。",
    "한국어 문장도 처리할 수 있나요?",
    "Café déjà vu, naïve résumé, façade.",
    "mixed English und Deutsch と日本語 и русский",
    # Emoji.
    "I ❤️ pizza 🍕🍕🍕",
    "🚀🚀🚀",
    "Thumbs up 👍🏽 and family 👨‍👩‍👧‍👦 emoji",
    # Code.
    "def add(a, b):\n    return a + b\n",
    "fn main() { println!(\"Hello, {}!\", name); }",
    "const fs = require('fs');\nfs.readFile('/etc/hosts', 'utf8', (err, data) => {\n  if (err) throw err;\n  console.log(data);\n});",
    "SELECT id, name FROM users WHERE age > 30 ORDER BY name;",
    "for (let i = 0; i < arr.length; i++) { sum += arr[i]; }",
    # Markup.
    "<div class=\"note\"><p>Streams are <b>EventEmitters</b>.</p></div>",
    "<!DOCTYPE html><html><head><title>Test</title></head><body><h1>Hi</h1></body></html>",
    "# Title\n\n* item one\n* item two\n\n[link](https://example.com/path?q=1&r=2)",
    "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &nbsp;",
    # Numbers, dates, identifiers.
    "3.14159 2.71828 1.41421",
    "Order #12345 shipped on 2024-03-15 at 14:30 UTC for $1,299.99",
    "192.168.0.1:8080",
    "550e8400-e29b-41d4-a716-446655440000",
    "+1 (555) 123-4567",
    # Whitespace-heavy and punctuation.
    "   leading and trailing spaces   ",
    "tabs\tbetween\twords",
    "line\nbreaks\n\n\nand\r\nwindows\r\nnewlines",
    "many      spaces      between      words",
    "!!! ??? ... ---",
    "ALL CAPS SHOUTING TEXT",
    "don't won't can't it's",
    "e-mail, well-known, state-of-the-art",
    "https://nodejs.org/api/stream.html#readable-streams",
]


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", type=pathlib.Path, default=ROOT / "models" / "cache")
    ap.add_argument(
        "--out", type=pathlib.Path, default=ROOT / "tests" / "fixtures" / "embed" / "golden.json"
    )
    args = ap.parse_args()

    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())
    spec = next(m for m in manifest["models"] if m["id"] == MODEL_ID)
    model_dir = args.models / MODEL_ID
    for f in spec["files"]:
        got = sha256(model_dir / f["name"])
        if got != f["sha256"]:
            sys.exit(f"{f['name']}: sha256 {got} differs from the manifest; run models/fetch.py")
    max_tokens = spec["max_tokens"]

    tok = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.no_padding()  # the shipped file pads to a fixed 128: undo it
    tok.enable_truncation(max_length=max_tokens)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(
        str(model_dir / "model.onnx"), opts, providers=["CPUExecutionProvider"]
    )
    input_names = {i.name for i in sess.get_inputs()}

    cases = []
    for text in INPUTS:
        enc = tok.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        mask = np.array([enc.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in input_names:
            feeds["token_type_ids"] = np.array([enc.type_ids], dtype=np.int64)
        (hidden,) = sess.run(["last_hidden_state"], feeds)
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        v = pooled[0] / max(float(np.linalg.norm(pooled[0])), 1e-12)
        cases.append(
            {
                "text": text,
                "tokens": len(enc.ids),
                "vector": [round(float(x), 6) for x in v],
            }
        )

    out = {
        "model": MODEL_ID,
        "max_tokens": max_tokens,
        "pooling": "mean",
        "normalize": True,
        "generator": {
            "script": "scripts/embed/golden.py",
            "onnxruntime": ort.__version__,
            "tokenizers": tokenizers.__version__,
            "numpy": np.__version__,
        },
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # One case per line keeps diffs readable.
    body = ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
    head = json.dumps({k: v for k, v in out.items() if k != "cases"}, ensure_ascii=False)
    args.out.write_text(head[:-1] + ', "cases": [\n' + body + "\n]}\n", encoding="utf-8")
    n_long = sum(1 for c in cases if c["tokens"] == max_tokens)
    print(
        f"wrote {len(cases)} cases ({n_long} truncated at {max_tokens} tokens) to {args.out} "
        f"({args.out.stat().st_size / 1024:.0f} KiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
