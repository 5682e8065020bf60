// Top-k selection in two kinds of passes, both "per-workgroup partial top-k":
// - `select_scores` reads a window of raw scores (row id = id_base + index) and writes, for
//   each block of `block_len` scores, its best k (score bits, id) pairs;
// - `select_pairs` does the same over such pairs, merging blocks until one list per query is
//   left.
// Each invocation keeps its own sorted best-k of a strided slice (coalesced reads); then the
// workgroup extracts the k best of all lists in k rounds of a tree reduction.
// Order: higher score first, ties to the smaller id (as scry-core's `TopK`).

override WORKGROUP_SIZE: u32 = 128u; // a power of two, at most 256
const MAX_K: u32 = 128u;
const NONE: u32 = 0xffffffffu;
const DEAD: f32 = -0x1.fffffep+127f; // as in score.wgsl: deleted rows and empty slots

struct Params {
    count: u32, // items per query in the input
    in_stride: u32, // items between consecutive queries in the input
    block_len: u32, // items per workgroup
    k: u32,
    out_stride: u32, // pairs between consecutive queries in the output
    out_block: u32, // first output block of this pass
    id_base: u32, // added to score indices to give row ids (select_scores)
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read> pairs_in: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> pairs_out: array<vec2<u32>>;

var<workgroup> red_score: array<f32, 256>;
var<workgroup> red_id: array<u32, 256>;
var<workgroup> red_lane: array<u32, 256>;

var<private> best_score: array<f32, MAX_K>;
var<private> best_id: array<u32, MAX_K>;
var<private> worst_score: f32;
var<private> worst_id: u32;

fn better(s: f32, i: u32, t: f32, j: u32) -> bool {
    return s > t || (s == t && i < j);
}

fn init_list() {
    for (var i = 0u; i < params.k; i++) {
        best_score[i] = DEAD;
        best_id[i] = NONE;
    }
    worst_score = DEAD;
    worst_id = NONE;
}

fn offer(s: f32, id: u32) {
    if (!better(s, id, worst_score, worst_id)) {
        return;
    }
    var j = params.k - 1u;
    loop {
        if (j == 0u || !better(s, id, best_score[j - 1u], best_id[j - 1u])) {
            break;
        }
        best_score[j] = best_score[j - 1u];
        best_id[j] = best_id[j - 1u];
        j -= 1u;
    }
    best_score[j] = s;
    best_id[j] = id;
    worst_score = best_score[params.k - 1u];
    worst_id = best_id[params.k - 1u];
}

// The k best of all invocations' lists, written to this block's output.
fn merge_and_write(lid: u32, query: u32, block: u32) {
    var head = 0u;
    let out_base = query * params.out_stride + (params.out_block + block) * params.k;
    for (var round = 0u; round < params.k; round++) {
        if (head < params.k) {
            red_score[lid] = best_score[head];
            red_id[lid] = best_id[head];
        } else {
            red_score[lid] = DEAD;
            red_id[lid] = NONE;
        }
        red_lane[lid] = lid;
        workgroupBarrier();
        for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
            if (lid < stride) {
                let o = lid + stride;
                if (better(red_score[o], red_id[o], red_score[lid], red_id[lid])) {
                    red_score[lid] = red_score[o];
                    red_id[lid] = red_id[o];
                    red_lane[lid] = red_lane[o];
                }
            }
            workgroupBarrier();
        }
        if (lid == 0u) {
            pairs_out[out_base + round] = vec2<u32>(bitcast<u32>(red_score[0]), red_id[0]);
        }
        if (lid == red_lane[0] && red_id[0] != NONE) {
            head += 1u;
        }
        workgroupBarrier();
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn select_scores(@builtin(workgroup_id) wid: vec3<u32>,
                 @builtin(local_invocation_index) lid: u32) {
    let query = wid.y;
    let start = wid.x * params.block_len;
    let end = min(start + params.block_len, params.count);
    init_list();
    let base = query * params.in_stride;
    for (var i = start + lid; i < end; i += WORKGROUP_SIZE) {
        offer(scores[base + i], params.id_base + i);
    }
    merge_and_write(lid, query, wid.x);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn select_pairs(@builtin(workgroup_id) wid: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
    let query = wid.y;
    let start = wid.x * params.block_len;
    let end = min(start + params.block_len, params.count);
    init_list();
    let base = query * params.in_stride;
    for (var i = start + lid; i < end; i += WORKGROUP_SIZE) {
        let p = pairs_in[base + i];
        offer(bitcast<f32>(p.x), p.y);
    }
    merge_and_write(lid, query, wid.x);
}
