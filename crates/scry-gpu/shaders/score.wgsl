// Scores a tile of queries against a window of one chunk of resident vectors.
//
// Layout: rows are grouped in tiles of 32. A row is `groups` vec4<u32> words (4 f32, 8 f16 or
// 16 int8 components each); word g of row r sits at ((r / 32) * groups + g) * 32 + r % 32, so
// the 32 lanes of a tile read 512 contiguous bytes per step (coalesced on every GPU).
// One invocation scores one row against 1, 4 or 8 queries held in workgroup memory
// (`score_1`, `score_4`, `score_8`); the accumulators are plain vectors so they stay in
// registers. Workgroup x is the query tile and y the block of rows, so the tiles of one row
// block run side by side and re-read its rows from cache rather than memory.

override WORKGROUP_SIZE: u32 = 256u; // a multiple of 32, at most 256
override PRECISION: u32 = 0u; // 0 f32, 1 f16, 2 int8
const QUERY_VEC4S: u32 = 960u; // 15,360 bytes: under WebGPU's 16 KiB workgroup default
// The score of a deleted row: the lowest f32, below every live score (clamped to LIVE_MIN).
// Finite on purpose: WGSL has no infinities in constants, and may assume none at run time.
const DEAD: f32 = -0x1.fffffep+127f;
const LIVE_MIN: f32 = -0x1.fffffcp+127f;

struct Params {
    rows: u32, // rows in the chunk
    row_start: u32, // first row of the window
    row_count: u32, // rows in the window
    groups: u32, // vec4<u32> words per row
    queries: u32, // queries in the batch
    metric: u32, // 0 cosine, 1 dot, 2 L2
    out_stride: u32, // scores per query in `scores`
    query_vec4s: u32, // vec4<f32> per query: groups × (1, 2 or 4)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> vectors: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> row_meta: array<vec2<f32>>; // (scale, squared norm)
@group(0) @binding(3) var<storage, read> live: array<u32>; // one bit per row
@group(0) @binding(4) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> query_sqnorms: array<f32>;
@group(0) @binding(6) var<storage, read_write> scores: array<f32>;

var<workgroup> tile_queries: array<vec4<f32>, QUERY_VEC4S>;

// One packed word decoded to f32: 1 (f32), 2 (f16) or 4 (int8) vec4s.
struct Word {
    a: vec4<f32>,
    b: vec4<f32>,
    c: vec4<f32>,
    d: vec4<f32>,
}

fn int8x4(w: u32) -> vec4<f32> {
    return vec4<f32>((vec4<i32>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u))) >> vec4<u32>(24u));
}

fn decode(w: vec4<u32>) -> Word {
    var x: Word;
    if (PRECISION == 0u) {
        x.a = bitcast<vec4<f32>>(w);
    } else if (PRECISION == 1u) {
        x.a = vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
        x.b = vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w));
    } else {
        x.a = int8x4(w.x);
        x.b = int8x4(w.y);
        x.c = int8x4(w.z);
        x.d = int8x4(w.w);
    }
    return x;
}

// Σ over one word of x · query, the query's part starting at tile_queries[q].
fn partial(x: Word, q: u32) -> f32 {
    if (PRECISION == 0u) {
        return dot(x.a, tile_queries[q]);
    } else if (PRECISION == 1u) {
        return dot(x.a, tile_queries[q]) + dot(x.b, tile_queries[q + 1u]);
    }
    return (dot(x.a, tile_queries[q]) + dot(x.b, tile_queries[q + 1u]))
        + (dot(x.c, tile_queries[q + 2u]) + dot(x.d, tile_queries[q + 3u]));
}

fn per_word() -> u32 {
    if (PRECISION == 0u) {
        return 1u;
    } else if (PRECISION == 1u) {
        return 2u;
    }
    return 4u;
}

struct Ids {
    row: u32,
    first: u32,
    count: u32,
    ok: bool,
}

// Loads the tile's queries (all invocations) and says which row this invocation scores.
fn setup(wid: vec3<u32>, lid: u32, tile: u32) -> Ids {
    var r: Ids;
    r.first = wid.x * tile;
    r.count = min(tile, params.queries - min(r.first, params.queries));
    let total = r.count * params.query_vec4s;
    for (var i = lid; i < total; i += WORKGROUP_SIZE) {
        tile_queries[i] = queries[r.first * params.query_vec4s + i];
    }
    // Absent queries of a partial tile read zeros, never another tile's leftovers.
    for (var i = total + lid; i < tile * params.query_vec4s; i += WORKGROUP_SIZE) {
        tile_queries[i] = vec4<f32>(0.0);
    }
    workgroupBarrier();
    let offset = wid.y * WORKGROUP_SIZE + lid;
    r.row = params.row_start + offset;
    r.ok = offset < params.row_count && r.row < params.rows;
    return r;
}

fn base(row: u32) -> u32 {
    return (row / 32u) * params.groups * 32u + row % 32u;
}

fn finish(dot: f32, row: u32, query: u32) {
    let m = row_meta[row];
    var s = dot * m.x;
    if (params.metric == 2u) {
        s = -(query_sqnorms[query] + m.y - 2.0 * s);
    }
    s = max(s, LIVE_MIN);
    if (((live[row / 32u] >> (row % 32u)) & 1u) == 0u) {
        s = DEAD;
    }
    scores[query * params.out_stride + (row - params.row_start)] = s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn score_1(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let id = setup(wid, lid, 1u);
    if (!id.ok || id.count == 0u) {
        return;
    }
    let b = base(id.row);
    let pw = per_word();
    var acc = 0.0;
    for (var g = 0u; g < params.groups; g++) {
        acc += partial(decode(vectors[b + g * 32u]), g * pw);
    }
    finish(acc, id.row, id.first);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn score_4(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let id = setup(wid, lid, 4u);
    if (!id.ok) {
        return;
    }
    let b = base(id.row);
    let pw = per_word();
    let qv = params.query_vec4s;
    var acc = vec4<f32>(0.0);
    for (var g = 0u; g < params.groups; g++) {
        let x = decode(vectors[b + g * 32u]);
        let q = g * pw;
        acc += vec4<f32>(partial(x, q), partial(x, q + qv), partial(x, q + 2u * qv),
                         partial(x, q + 3u * qv));
    }
    for (var t = 0u; t < id.count; t++) {
        finish(acc[t], id.row, id.first + t);
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn score_8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let id = setup(wid, lid, 8u);
    if (!id.ok) {
        return;
    }
    let b = base(id.row);
    let pw = per_word();
    let qv = params.query_vec4s;
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    for (var g = 0u; g < params.groups; g++) {
        let x = decode(vectors[b + g * 32u]);
        let q = g * pw;
        lo += vec4<f32>(partial(x, q), partial(x, q + qv), partial(x, q + 2u * qv),
                        partial(x, q + 3u * qv));
        hi += vec4<f32>(partial(x, q + 4u * qv), partial(x, q + 5u * qv),
                        partial(x, q + 6u * qv), partial(x, q + 7u * qv));
    }
    for (var t = 0u; t < id.count; t++) {
        if (t < 4u) {
            finish(lo[t], id.row, id.first + t);
        } else {
            finish(hi[t - 4u], id.row, id.first + t);
        }
    }
}
