#!/usr/bin/env python3
"""A tiny CLIP-architecture image+text model, its tokenizer, test images and reference outputs.

No CLIP weights can be downloaded on the build machines, so scry's image path is tested against a
small model with the architecture of OpenAI CLIP (ViT image tower, causal text transformer, joint
projection) and *random* weights drawn with a fixed seed. Everything is written to
``tests/fixtures/embed/clip/``:

* ``vision.onnx``: ``pixel_values`` f32 ``[batch, 3, 64, 64]`` -> ``image_embeds`` f32
  ``[batch, 64]`` (+ ``last_hidden_state``), like the ``vision_model.onnx`` of a Hugging Face
  ``CLIPVisionModelWithProjection`` export. Patch-embedding Conv (16x16), class token, position
  embeddings, pre-LayerNorm, 2 pre-norm transformer blocks (multi-head self-attention, MLP with
  QuickGELU ``x * sigmoid(1.702 x)``), post-LayerNorm of the class token, linear projection.
* ``text.onnx``: ``input_ids`` and ``attention_mask`` i64 ``[batch, sequence]`` -> ``text_embeds``
  f32 ``[batch, 64]`` (+ ``last_hidden_state``), like a ``CLIPTextModelWithProjection`` export.
  Token + position embeddings, 2 causal pre-norm blocks, final LayerNorm, the hidden state at the
  end-of-text token (``argmax(input_ids)``: it has the highest id, as in CLIP), projection.
* ``tokenizer.json``: CLIP's tokenizer layout (NFC, whitespace collapse and lower-casing; CLIP's
  split regex + byte-level pre-tokenizer; BPE with the ``</w>`` end-of-word suffix; vocabulary =
  256 bytes, 256 bytes + ``</w>``, the merges, then ``<|startoftext|>`` and ``<|endoftext|>``;
  both added by a RoBERTa-style post-processor), built with the ``tokenizers`` package; its 128
  merges are learned on a small set of captions.
* Test images (generated here, no licence question): RGB PNGs of several sizes and aspect ratios
  (down- and up-scaling), an RGBA PNG (with colour under fully transparent pixels), a grey PNG, an
  RGB JPEG, and one already at 64x64.
* ``images/portrait.decoded.png``: the JPEG's pixels as Pillow (libjpeg-turbo) decodes them.
* ``expected/<image>.png``: the 64x64 RGB crop the reference preprocessing produces (uint8, before
  the float conversion): CLIP's preprocessing with Pillow (``convert("RGB")``, which drops alpha;
  resize of the shortest side to 64 with ``Image.BICUBIC``, the other side
  ``int(64 * long / short)``, as torchvision's ``Resize``; centre crop with torchvision's
  offsets ``int(round((size - crop) / 2))``; ``/ 255``; normalise with CLIP's mean and std).
* ``reference.json``: per image its sizes, resize and crop geometry, checksums and sampled values of
  the f32 ``pixel_values`` and the L2-normalised ``image_embeds`` from onnxruntime; per caption
  its token ids and L2-normalised ``text_embeds``.
* ``manifest.json``: a scry model manifest (format 1) for the pair, with the ``image`` block.

Random weights mean the embeddings carry no meaning: a caption does not pick "its" image. The
fixture checks that scry computes the same numbers as the reference runtime, nothing more.

Regenerate (deterministic: same seed, same bytes with the same package versions)::

    python3 -m venv /tmp/venv-clip
    /tmp/venv-clip/bin/pip install onnx onnxruntime tokenizers numpy pillow
    /tmp/venv-clip/bin/python scripts/embed/clip_fixture.py

Option: ``--out DIR`` (default ``tests/fixtures/embed/clip``).
"""

import argparse
import hashlib
import io
import json
import os
import pathlib
import sys
from collections import Counter

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAYON_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import PIL  # noqa: E402
import tokenizers  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from PIL import Image  # noqa: E402
from tokenizers import (  # noqa: E402
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL_ID = "clip-fixture-random"
SEED = 20261125

IMAGE_SIZE = 64
PATCH = 16
VISION_WIDTH = 32
VISION_HEADS = 2
VISION_LAYERS = 2
TEXT_WIDTH = 32
TEXT_HEADS = 2
TEXT_LAYERS = 2
CONTEXT = 77
NUM_MERGES = 128
EMBED_DIM = 64
LN_EPS = 1e-5
OPSET = 17
IR_VERSION = 8

# OpenAI CLIP's normalisation constants.
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
# CLIP's pre-tokenizer split (special tokens, contractions, letter runs, single digits, other runs).
CLIP_SPLIT = (
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
)

CAPTIONS = [
    "a photo of a cat",
    "A red circle on a blue background.",
    "two dogs playing in the snow",
    "a",
    "  Multiple   spaces\tand\nNEW LINES  ",
    "Café au lait ☕ at 7 o'clock, isn't it?",
    "an image of 3 green squares and 12 yellow stars",
    # Longer than 77 tokens: truncated, the end-of-text token kept last.
    "a very long caption that keeps describing the same picture over and over again " * 6,
]


# ---------------------------------------------------------------------------------------------
# Tokenizer


def bytes_to_unicode():
    """CLIP's / GPT-2's byte -> printable character table, in CLIP's vocabulary order."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def training_corpus():
    adjectives = ["red", "green", "blue", "yellow", "small", "large", "happy", "old", "young"]
    nouns = ["cat", "dog", "bird", "house", "car", "tree", "flower", "circle", "square", "star"]
    scenes = [
        "on a table",
        "in the snow",
        "at the beach",
        "in a garden",
        "on a blue background",
        "playing in the park",
        "next to a window",
    ]
    lines = []
    for i, a in enumerate(adjectives):
        for j, n in enumerate(nouns):
            s = scenes[(i + j) % len(scenes)]
            lines.append(f"a photo of a {a} {n} {s}")
            lines.append(f"an image of {i + j} {a} {n}s")
    lines += [c for c in CAPTIONS if len(c) < 200]
    return lines


def learn_merges(words, count, min_frequency=2):
    """Byte-pair merges in CLIP's style (``</w>`` on each word's last symbol): repeatedly merge
    the most frequent adjacent pair, ties broken by the pair itself, so the result is the same on
    every run."""
    splits = {w: list(w[:-1]) + [w[-1] + "</w>"] for w in words}
    merges = []
    for _ in range(count):
        pairs = Counter()
        for w, n in words.items():
            s = splits[w]
            for pair in zip(s, s[1:]):
                pairs[pair] += n
        if not pairs:
            break
        (a, b), n = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))
        if n < min_frequency:
            break
        merges.append((a, b))
        for w, s in splits.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            splits[w] = out
    return merges


def build_tokenizer():
    normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    alphabet = bytes_to_unicode()

    # Learn the merges on the captions' pre-tokenized words (this tokenizer's own normaliser and
    # pre-tokenizer). Not with `trainers.BpeTrainer`: it breaks ties between equally frequent
    # pairs differently from run to run, which would change token ids between regenerations.
    words = Counter()
    for line in training_corpus():
        normalized = normalizer.normalize_str(line)
        for piece, _ in pre_tokenizer.pre_tokenize_str(normalized):
            words[piece] += 1
    merges = learn_merges(words, NUM_MERGES)

    # CLIP's vocabulary layout: bytes, bytes + </w>, merge results in merge order, specials last.
    vocab = {}
    for c in alphabet:
        vocab[c] = len(vocab)
    for c in alphabet:
        vocab[c + "</w>"] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    vocab[SOT] = len(vocab)
    vocab[EOT] = len(vocab)

    tok = Tokenizer(
        models.BPE(
            vocab=vocab,
            merges=merges,
            unk_token=EOT,
            continuing_subword_prefix="",
            end_of_word_suffix="</w>",
            fuse_unk=False,
        )
    )
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.add_special_tokens(
        [
            AddedToken(SOT, special=True, normalized=True),
            AddedToken(EOT, special=True, normalized=True),
        ]
    )
    tok.post_processor = processors.RobertaProcessing(
        (EOT, vocab[EOT]), (SOT, vocab[SOT]), trim_offsets=False, add_prefix_space=False
    )
    tok.decoder = decoders.ByteLevel()
    return tok, len(vocab)


# ---------------------------------------------------------------------------------------------
# ONNX graph building


class Graph:
    """Collects nodes and initialisers; names are unique by construction."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.n = 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, base, array):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, base, shape, std, mean=0.0):
        w = self.rng.normal(mean, std, size=shape).astype(np.float32)
        return self.const(base, w)

    def op(self, op_type, inputs, base=None, **attrs):
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out + "_node", **attrs))
        return out

    def linear(self, x, d_in, d_out, bias=True, base="linear"):
        w = self.weight(base + "_w", (d_in, d_out), 1.0 / np.sqrt(d_in))
        y = self.op("MatMul", [x, w])
        if bias:
            b = self.weight(base + "_b", (d_out,), 0.1)
            y = self.op("Add", [y, b])
        return y

    def layer_norm(self, x, width, base="ln"):
        scale = self.weight(base + "_scale", (width,), 0.1, mean=1.0)
        bias = self.weight(base + "_bias", (width,), 0.1)
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=LN_EPS)

    def attention(self, x, width, heads, mask=None, base="attn"):
        dh = width // heads
        split = self.const("heads_shape", np.array([0, 0, heads, dh], dtype=np.int64))
        merge = self.const("width_shape", np.array([0, 0, width], dtype=np.int64))

        def project(tag, perm):
            y = self.linear(x, width, width, base=f"{base}_{tag}")
            y = self.op("Reshape", [y, split])
            return self.op("Transpose", [y], perm=perm)

        q = project("q", [0, 2, 1, 3])  # [B, H, T, dh]
        k = project("k", [0, 2, 3, 1])  # [B, H, dh, T]
        v = project("v", [0, 2, 1, 3])  # [B, H, T, dh]
        scores = self.op("MatMul", [q, k])
        scores = self.op("Mul", [scores, self.const("scale", np.array(dh**-0.5, np.float32))])
        if mask is not None:
            scores = self.op("Add", [scores, mask])
        probs = self.op("Softmax", [scores], axis=-1)
        ctx = self.op("MatMul", [probs, v])
        ctx = self.op("Transpose", [ctx], perm=[0, 2, 1, 3])
        ctx = self.op("Reshape", [ctx, merge])
        return self.linear(ctx, width, width, base=f"{base}_out")

    def block(self, x, width, heads, mask=None, base="block"):
        h = self.layer_norm(x, width, base=f"{base}_ln1")
        x = self.op("Add", [x, self.attention(h, width, heads, mask, base=f"{base}_attn")])
        h = self.layer_norm(x, width, base=f"{base}_ln2")
        h = self.linear(h, width, 4 * width, base=f"{base}_fc1")
        gate = self.op("Sigmoid", [self.op("Mul", [h, self.const("quick_gelu", np.float32(1.702))])])
        h = self.op("Mul", [h, gate])
        h = self.linear(h, 4 * width, width, base=f"{base}_fc2")
        return self.op("Add", [x, h])

    def model(self, name, inputs, outputs):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.inits)
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid("", OPSET)],
            producer_name="scry scripts/embed/clip_fixture.py",
        )
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model, full_check=True)
        return model


def vision_model(rng):
    g = Graph(rng)
    grid = IMAGE_SIZE // PATCH
    w = VISION_WIDTH
    conv_w = g.weight("patch_embedding", (w, 3, PATCH, PATCH), 1.0 / np.sqrt(3 * PATCH * PATCH))
    x = g.op("Conv", ["pixel_values", conv_w], kernel_shape=[PATCH, PATCH], strides=[PATCH, PATCH])
    x = g.op("Reshape", [x, g.const("flat", np.array([0, w, -1], np.int64))])  # [B, W, P]
    x = g.op("Transpose", [x], perm=[0, 2, 1])  # [B, P, W]
    batch = g.op("Shape", ["pixel_values"], start=0, end=1)
    cls_shape = g.op("Concat", [batch, g.const("one_width", np.array([1, w], np.int64))], axis=0)
    cls = g.op("Expand", [g.weight("class_embedding", (1, 1, w), 1.0), cls_shape])
    x = g.op("Concat", [cls, x], axis=1)  # [B, 1 + P, W]
    x = g.op("Add", [x, g.weight("position_embedding", (1 + grid * grid, w), 0.5)])
    x = g.layer_norm(x, w, base="pre_ln")
    for i in range(VISION_LAYERS):
        x = g.block(x, w, VISION_HEADS, base=f"v{i}")
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    pooled = g.op("Gather", [x, g.const("zero", np.array(0, np.int64))], axis=1)  # [B, W]
    pooled = g.layer_norm(pooled, w, base="post_ln")
    proj = g.weight("visual_projection", (w, EMBED_DIM), 1.0 / np.sqrt(w))
    g.nodes.append(helper.make_node("MatMul", [pooled, proj], ["image_embeds"]))
    inputs = [
        helper.make_tensor_value_info(
            "pixel_values", TensorProto.FLOAT, ["batch_size", 3, IMAGE_SIZE, IMAGE_SIZE]
        )
    ]
    outputs = [
        helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["batch_size", EMBED_DIM]),
        helper.make_tensor_value_info(
            "last_hidden_state",
            TensorProto.FLOAT,
            ["batch_size", 1 + grid * grid, VISION_WIDTH],
        ),
    ]
    return g.model("clip_vision_fixture", inputs, outputs)


def text_model(rng, vocab_size):
    g = Graph(rng)
    w = TEXT_WIDTH
    tok_emb = g.weight("token_embedding", (vocab_size, w), 1.0)
    x = g.op("Gather", [tok_emb, "input_ids"], axis=0)  # [B, S, W]
    batch = g.op("Shape", ["input_ids"], start=0, end=1)
    seq = g.op("Shape", ["input_ids"], start=1, end=2)
    zero1 = g.const("zero1", np.array([0], np.int64))
    pos = g.op(
        "Slice",
        [g.weight("position_embedding", (CONTEXT, w), 0.5), zero1, seq, zero1],
    )  # [S, W]
    x = g.op("Add", [x, pos])
    # Causal mask [S, S] (0 on and below the diagonal) plus padding mask [B, 1, 1, S].
    causal = np.triu(np.full((CONTEXT, CONTEXT), -1e9, np.float32), k=1)
    causal = g.op(
        "Slice",
        [
            g.const("causal_mask", causal),
            g.const("zero2", np.array([0, 0], np.int64)),
            g.op("Concat", [seq, seq], axis=0),
            g.const("axes01", np.array([0, 1], np.int64)),
        ],
    )
    keep = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    pad = g.op("Sub", [g.const("one", np.float32(1.0)), keep])
    pad = g.op("Mul", [pad, g.const("neg", np.float32(-1e9))])
    pad = g.op("Unsqueeze", [pad, g.const("axes12", np.array([1, 2], np.int64))])
    mask = g.op("Add", [causal, pad])  # [B, 1, S, S]
    for i in range(TEXT_LAYERS):
        x = g.block(x, w, TEXT_HEADS, mask=mask, base=f"t{i}")
    x = g.layer_norm(x, w, base="final_ln")
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"]))
    # Hidden state at the end-of-text token: argmax(input_ids) (its id is the largest).
    eot = g.op("ArgMax", ["input_ids"], axis=1, keepdims=0)  # [B]
    scalar = g.const("scalar_shape", np.array([], np.int64))
    rows = g.op(
        "Range",
        [
            g.const("range_start", np.array(0, np.int64)),
            g.op("Reshape", [batch, scalar]),
            g.const("range_step", np.array(1, np.int64)),
        ],
    )
    index = g.op("Add", [g.op("Mul", [rows, g.op("Reshape", [seq, scalar])]), eot])
    flat = g.op("Reshape", [x, g.const("flat_rows", np.array([-1, w], np.int64))])
    pooled = g.op("Gather", [flat, index], axis=0)  # [B, W]
    proj = g.weight("text_projection", (w, EMBED_DIM), 1.0 / np.sqrt(w))
    g.nodes.append(helper.make_node("MatMul", [pooled, proj], ["text_embeds"]))
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info(
            "attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"]
        ),
    ]
    outputs = [
        helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, ["batch_size", EMBED_DIM]),
        helper.make_tensor_value_info(
            "last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", TEXT_WIDTH]
        ),
    ]
    return g.model("clip_text_fixture", inputs, outputs)


# ---------------------------------------------------------------------------------------------
# Images


def fixture_images(rng):
    """(file name, PIL image, save format): generated, deterministic."""

    def pattern(w, h, seed_shift, noise=6.0):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        r = 127 + 120 * np.sin(x / (w / 5.0) + seed_shift)
        g = 255 * (y / max(h - 1, 1))
        b = 127 + 120 * np.cos((x + y) / (min(w, h) / 3.0))
        img = np.stack([r, g, b], axis=-1)
        # Hard-edged shapes and a small checkerboard: the resampler's ringing and clipping.
        cy, cx, rad = h * 0.4, w * 0.6, min(w, h) * 0.25
        img[(x - cx) ** 2 + (y - cy) ** 2 < rad**2] = [250, 30, 20]
        img[int(h * 0.7) : int(h * 0.9), int(w * 0.1) : int(w * 0.35)] = [10, 10, 10]
        checker = ((x // 2 + y // 2) % 2 == 0) & (x > w * 0.75) & (y > h * 0.6)
        img[checker] = [255, 255, 255]
        img += rng.normal(0, noise, size=img.shape)
        return np.clip(np.rint(img), 0, 255).astype(np.uint8)

    images = []
    images.append(("landscape.png", Image.fromarray(pattern(120, 72, 0.0), "RGB"), "PNG"))
    images.append(("portrait.jpg", Image.fromarray(pattern(75, 131, 1.0), "RGB"), "JPEG"))
    rgba = np.dstack([pattern(90, 90, 2.0), np.zeros((90, 90), np.uint8)])
    yy, xx = np.mgrid[0:90, 0:90]
    alpha = np.clip(xx * 3, 0, 255).astype(np.uint8)
    alpha[:, :20] = 0  # fully transparent, but with colour underneath (dropped alpha keeps it)
    rgba[..., 3] = alpha
    images.append(("alpha.png", Image.fromarray(rgba, "RGBA"), "PNG"))
    grey = pattern(41, 50, 3.0).astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    images.append(("grey.png", Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8), "L"), "PNG"))
    images.append(("small.png", Image.fromarray(pattern(23, 17, 4.0), "RGB"), "PNG"))
    images.append(("wide.png", Image.fromarray(pattern(300, 40, 5.0), "RGB"), "PNG"))
    # Strong downscaling (x3): the filter support widens with the scale (antialiasing).
    images.append(("large.png", Image.fromarray(pattern(256, 192, 7.0, noise=0.0), "RGB"), "PNG"))
    images.append(("exact.png", Image.fromarray(pattern(64, 64, 6.0), "RGB"), "PNG"))
    return images


def resized_size(w, h, size):
    """torchvision ``Resize(size)``: shortest side -> size, the other ``int(size * long / short)``."""
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if w <= h else (new_long, new_short)


def preprocess(img, size, crop):
    """CLIP's reference preprocessing with Pillow; returns (pixel_values CHW f32, crop, geometry)."""
    img = img.convert("RGB")  # drops alpha; greyscale is replicated
    w, h = img.size
    nw, nh = resized_size(w, h, size)
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), Image.Resampling.BICUBIC)
    top = int(round((nh - crop) / 2.0))
    left = int(round((nw - crop) / 2.0))
    cropped = img.crop((left, top, left + crop, top + crop))
    arr = np.asarray(cropped, dtype=np.uint8).astype(np.float32) / np.float32(255.0)
    arr = (arr - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    return arr.transpose(2, 0, 1).copy(), cropped, {"resized": [nw, nh], "crop": [left, top]}


# ---------------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def l2(v):
    v = np.asarray(v, np.float64)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def rounded(v, digits=7):
    return [round(float(x), digits) for x in v]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=pathlib.Path, default=ROOT / "tests/fixtures/embed/clip")
    args = ap.parse_args()
    out = args.out
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "expected").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)

    tok, vocab_size = build_tokenizer()
    tok_bytes = (tok.to_str(pretty=False) + "\n").encode()
    vision = vision_model(np.random.default_rng(SEED + 1)).SerializeToString()
    text = text_model(np.random.default_rng(SEED + 2), vocab_size).SerializeToString()
    files = {"vision.onnx": vision, "text.onnx": text, "tokenizer.json": tok_bytes}
    for name, data in files.items():
        (out / name).write_bytes(data)

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    vsess = ort.InferenceSession(vision, opts, providers=["CPUExecutionProvider"])
    tsess = ort.InferenceSession(text, opts, providers=["CPUExecutionProvider"])

    # Images: save, re-open from the saved bytes (what a decoder sees), preprocess, embed.
    image_cases = []
    batch = []
    for name, img, fmt in fixture_images(rng):
        buf = io.BytesIO()
        if fmt == "PNG":
            img.save(buf, format="PNG", optimize=True)
        else:
            # 4:4:4 (no chroma subsampling): decoders differ in how they upsample chroma.
            img.save(buf, format="JPEG", quality=90, subsampling=0)
        (out / "images" / name).write_bytes(buf.getvalue())
        opened = Image.open(io.BytesIO(buf.getvalue()))
        opened.load()
        extra = {}
        if fmt == "JPEG":
            # JPEG decoders round the inverse DCT differently (libjpeg-turbo here, zune-jpeg in
            # the Rust `image` crate): the pixels Pillow decoded, losslessly, so the resampling
            # can be checked exactly on them too.
            decoded = f"images/{pathlib.Path(name).stem}.decoded.png"
            dec_buf = io.BytesIO()
            opened.convert("RGB").save(dec_buf, format="PNG", optimize=True)
            (out / decoded).write_bytes(dec_buf.getvalue())
            extra["decoded"] = decoded
        values, cropped, geometry = preprocess(opened, IMAGE_SIZE, IMAGE_SIZE)
        crop_name = pathlib.Path(name).stem + ".png"
        crop_buf = io.BytesIO()
        cropped.save(crop_buf, format="PNG", optimize=True)
        (out / "expected" / crop_name).write_bytes(crop_buf.getvalue())
        # A few values spread over the tensor, for a check independent of the crop PNG.
        flat = values.reshape(-1)
        picks = np.linspace(0, flat.size - 1, 16).astype(np.int64)
        (emb,) = vsess.run(["image_embeds"], {"pixel_values": values[None]})
        batch.append(values)
        image_cases.append(
            {
                "file": f"images/{name}",
                "mode": opened.mode,
                "format": fmt,
                "width": opened.size[0],
                "height": opened.size[1],
                **extra,
                **geometry,
                "expected_crop": f"expected/{crop_name}",
                "pixel_values_sum": round(float(values.astype(np.float64).sum()), 4),
                "pixel_values_abs_sum": round(float(np.abs(values.astype(np.float64)).sum()), 4),
                "samples": [[int(i), round(float(flat[i]), 7)] for i in picks],
                "embedding": rounded(l2(emb[0])),
            }
        )
    # The whole batch at once must agree with one image at a time.
    (embs,) = vsess.run(["image_embeds"], {"pixel_values": np.stack(batch)})
    for case, emb in zip(image_cases, embs):
        assert float(np.dot(l2(emb), case["embedding"])) > 0.99999

    tok.enable_truncation(max_length=CONTEXT)
    caption_cases = []
    for caption in CAPTIONS:
        enc = tok.encode(caption)
        ids = np.array([enc.ids], np.int64)
        (emb,) = tsess.run(
            ["text_embeds"], {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        )
        caption_cases.append({"text": caption, "ids": enc.ids, "embedding": rounded(l2(emb[0]))})

    # Random weights: make sure the outputs still depend on the input (a fixture where every
    # image gives the same vector would not catch a wrong preprocessing).
    img_m = np.array([c["embedding"] for c in image_cases])
    txt_m = np.array([c["embedding"] for c in caption_cases])
    img_cos = img_m @ img_m.T
    txt_cos = txt_m @ txt_m.T
    off = lambda m: m[~np.eye(len(m), dtype=bool)]  # noqa: E731
    spread = {
        "max_cosine_between_images": round(float(off(img_cos).max()), 4),
        "max_cosine_between_captions": round(float(off(txt_cos).max()), 4),
    }
    # Sensitivity: shifting the crop by one pixel must move the embedding visibly.
    v0 = batch[0]
    shifted = np.roll(v0, 1, axis=2)
    (e_shift,) = vsess.run(["image_embeds"], {"pixel_values": np.stack([v0, shifted])})
    spread["cosine_after_one_pixel_shift"] = round(float(np.dot(l2(e_shift[0]), l2(e_shift[1]))), 5)

    reference = {
        "model": MODEL_ID,
        "image_size": IMAGE_SIZE,
        "mean": MEAN,
        "std": STD,
        "max_tokens": CONTEXT,
        "generator": {
            "script": "scripts/embed/clip_fixture.py",
            "seed": SEED,
            "onnxruntime": ort.__version__,
            "onnx": onnx.__version__,
            "tokenizers": tokenizers.__version__,
            "numpy": np.__version__,
            "pillow": PIL.__version__,
        },
        "spread": spread,
        "images": image_cases,
        "captions": caption_cases,
    }
    body = json.dumps(reference, ensure_ascii=False, indent=1) + "\n"
    (out / "reference.json").write_text(body, encoding="utf-8")

    manifest = {
        "format": 1,
        "models": [
            {
                "id": MODEL_ID,
                "name": "CLIP-architecture fixture (random weights, tests only)",
                "task": "image-text",
                "dims": EMBED_DIM,
                "pooling": "eos",
                "normalize": True,
                "max_tokens": CONTEXT,
                "licence": "CC0-1.0",
                "image": {
                    "size": IMAGE_SIZE,
                    "crop_size": IMAGE_SIZE,
                    "mean": MEAN,
                    "std": STD,
                    "resize": "shortest",
                    "crop": "center",
                    "interpolation": "bicubic",
                },
                "files": [
                    {
                        "name": name,
                        "role": {"vision.onnx": "vision", "text.onnx": "text"}.get(
                            name, "tokenizer"
                        ),
                        "source": "generated by scripts/embed/clip_fixture.py",
                        "path": f"tests/fixtures/embed/clip/{name}",
                        "sha256": sha256(data),
                        "bytes": len(data),
                    }
                    for name, data in files.items()
                ],
            }
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(
        f"wrote {out}: vocab {vocab_size}, {len(image_cases)} images, {len(caption_cases)} "
        f"captions, {total / 1024:.0f} KiB in all; {spread}"
    )
    if total > 700 * 1024:
        print("fixture too large", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
