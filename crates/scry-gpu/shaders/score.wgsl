// Scores a tile of queries against a window of one chunk of resident vectors.
//
// Layout: rows are grouped in tiles of 32. A row is `groups` vec4<u32> words (4 f32, 8 f16 or
// 16 int8 components each); word g of row r sits at ((r / 32) * groups + g) * 32 + r % 32, so
// the 32 lanes of a tile read 512 contiguous bytes per step (coalesced on every GPU).
// One invocation scores one row against QUERY_TILE queries held in workgroup memory.

override WORKGROUP_SIZE: u32 = 256u; // a multiple of 32, at most 256
override QUERY_TILE: u32 = 8u; // at most MAX_QUERY_TILE
const MAX_QUERY_TILE: u32 = 8u;
const QUERY_VEC4S: u32 = 960u; // 15,360 bytes: under WebGPU's 16 KiB workgroup default

struct Params {
    rows: u32, // rows in the chunk
    row_start: u32, // first row of the window
    row_count: u32, // rows in the window
    groups: u32, // vec4<u32> words per row
    queries: u32, // queries in the batch
    metric: u32, // 0 cosine, 1 dot, 2 L2
    out_stride: u32, // scores per query in `scores`
    query_vec4s: u32, // vec4<f32> per query (groups × components per word / 4 ... padded)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> vectors: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> row_meta: array<vec2<f32>>; // (scale, squared norm)
@group(0) @binding(3) var<storage, read> live: array<u32>; // one bit per row
@group(0) @binding(4) var<storage, read> queries: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> query_sqnorms: array<f32>;
@group(0) @binding(6) var<storage, read_write> scores: array<f32>;

var<workgroup> tile_queries: array<vec4<f32>, QUERY_VEC4S>;

fn load_queries(lid: u32, first: u32, count: u32) {
    let total = count * params.query_vec4s;
    for (var i = lid; i < total; i += WORKGROUP_SIZE) {
        tile_queries[i] = queries[first * params.query_vec4s + i];
    }
    workgroupBarrier();
}

fn int8x4(w: u32) -> vec4<f32> {
    return vec4<f32>((vec4<i32>(vec4<u32>(w) << vec4<u32>(24u, 16u, 8u, 0u))) >> vec4<u32>(24u));
}

fn finish(acc: array<f32, MAX_QUERY_TILE>, row: u32, first: u32, count: u32) {
    let window_row = row - params.row_start;
    let alive = (live[row / 32u] >> (row % 32u)) & 1u;
    let m = row_meta[row];
    for (var t = 0u; t < QUERY_TILE; t++) {
        if (t < count) {
            var s = acc[t] * m.x;
            if (params.metric == 2u) {
                s = -(query_sqnorms[first + t] + m.y - 2.0 * s);
            }
            if (alive == 0u) {
                s = bitcast<f32>(0xff800000u); // -inf: never selected
            }
            scores[(first + t) * params.out_stride + window_row] = s;
        }
    }
}

struct Ids {
    row: u32,
    first: u32,
    count: u32,
    ok: bool,
}

fn ids(wid: vec3<u32>, lid: u32, num: vec3<u32>) -> Ids {
    var r: Ids;
    r.first = wid.z * QUERY_TILE;
    r.count = min(QUERY_TILE, params.queries - min(r.first, params.queries));
    let offset = (wid.x + wid.y * num.x) * WORKGROUP_SIZE + lid;
    r.row = params.row_start + offset;
    r.ok = offset < params.row_count && r.row < params.rows;
    return r;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn score_f32(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
             @builtin(num_workgroups) num: vec3<u32>) {
    let id = ids(wid, lid, num);
    load_queries(lid, id.first, id.count);
    if (!id.ok) {
        return;
    }
    var acc: array<f32, MAX_QUERY_TILE>;
    let base = (id.row / 32u) * params.groups * 32u + id.row % 32u;
    for (var g = 0u; g < params.groups; g++) {
        let x = bitcast<vec4<f32>>(vectors[base + g * 32u]);
        for (var t = 0u; t < QUERY_TILE; t++) {
            acc[t] += dot(x, tile_queries[t * params.query_vec4s + g]);
        }
    }
    finish(acc, id.row, id.first, id.count);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn score_f16(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
             @builtin(num_workgroups) num: vec3<u32>) {
    let id = ids(wid, lid, num);
    load_queries(lid, id.first, id.count);
    if (!id.ok) {
        return;
    }
    var acc: array<f32, MAX_QUERY_TILE>;
    let base = (id.row / 32u) * params.groups * 32u + id.row % 32u;
    for (var g = 0u; g < params.groups; g++) {
        let w = vectors[base + g * 32u];
        let lo = vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
        let hi = vec4<f32>(unpack2x16float(w.z), unpack2x16float(w.w));
        for (var t = 0u; t < QUERY_TILE; t++) {
            let q = t * params.query_vec4s + 2u * g;
            acc[t] += dot(lo, tile_queries[q]) + dot(hi, tile_queries[q + 1u]);
        }
    }
    finish(acc, id.row, id.first, id.count);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn score_i8(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
            @builtin(num_workgroups) num: vec3<u32>) {
    let id = ids(wid, lid, num);
    load_queries(lid, id.first, id.count);
    if (!id.ok) {
        return;
    }
    var acc: array<f32, MAX_QUERY_TILE>;
    let base = (id.row / 32u) * params.groups * 32u + id.row % 32u;
    for (var g = 0u; g < params.groups; g++) {
        let w = vectors[base + g * 32u];
        let c0 = int8x4(w.x);
        let c1 = int8x4(w.y);
        let c2 = int8x4(w.z);
        let c3 = int8x4(w.w);
        for (var t = 0u; t < QUERY_TILE; t++) {
            let q = t * params.query_vec4s + 4u * g;
            acc[t] += (dot(c0, tile_queries[q]) + dot(c1, tile_queries[q + 1u]))
                + (dot(c2, tile_queries[q + 2u]) + dot(c3, tile_queries[q + 3u]));
        }
    }
    finish(acc, id.row, id.first, id.count);
}
