// Dot product of one query with N row-major vectors of `dim` f32s: scores[i] = <q, v_i>.
// A 2-D dispatch covers N beyond the 65,535-workgroup limit of one dimension.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
    n: u32,
    dim: u32,
    // Invocations per row of the dispatch grid (workgroups in x × WORKGROUP_SIZE).
    row_stride: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> query: array<f32>;
@group(0) @binding(2) var<storage, read> vectors: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x + gid.y * params.row_stride;
    if (i >= params.n) {
        return;
    }
    let base = i * params.dim;
    var acc = 0.0;
    for (var j = 0u; j < params.dim; j = j + 1u) {
        acc = acc + query[j] * vectors[base + j];
    }
    scores[i] = acc;
}
