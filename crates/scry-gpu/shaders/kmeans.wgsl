// The two steps of (spherical) k-means for the suggestion clustering, on row-major f32 points.
// `assign`: one invocation per point finds its best centroid (ties: the smaller index).
// `update`: one invocation per (centroid, component) sums its points in point order; then
// `normalize` (spherical k-means) rescales each centroid to unit length.

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
    points: u32,
    centroids: u32,
    dims: u32,
    metric: u32, // 0 cosine, 1 dot, 2 L2
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> points: array<f32>;
@group(0) @binding(2) var<storage, read_write> centroids: array<f32>;
@group(0) @binding(3) var<storage, read_write> assignment: array<u32>;
@group(0) @binding(4) var<storage, read_write> assign_score: array<f32>;
@group(0) @binding(5) var<storage, read_write> counts: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn assign(@builtin(global_invocation_id) gid: vec3<u32>) {
    let p = gid.x;
    if (p >= params.points) {
        return;
    }
    let d = params.dims;
    var psq = 0.0;
    for (var j = 0u; j < d; j++) {
        let x = points[p * d + j];
        psq += x * x;
    }
    var best = 0xffffffffu;
    var best_score = 0.0;
    for (var c = 0u; c < params.centroids; c++) {
        var dot = 0.0;
        var csq = 0.0;
        for (var j = 0u; j < d; j++) {
            let y = centroids[c * d + j];
            dot += points[p * d + j] * y;
            csq += y * y;
        }
        var s = dot;
        if (params.metric == 2u) {
            s = -(psq + csq - 2.0 * dot);
        }
        if (best == 0xffffffffu || s > best_score) {
            best = c;
            best_score = s;
        }
    }
    assignment[p] = best;
    assign_score[p] = best_score;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn update(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i >= params.centroids * params.dims) {
        return;
    }
    let c = i / params.dims;
    let j = i % params.dims;
    var sum = 0.0;
    var n = 0u;
    for (var p = 0u; p < params.points; p++) {
        if (assignment[p] == c) {
            sum += points[p * params.dims + j];
            n += 1u;
        }
    }
    if (n > 0u) {
        centroids[i] = sum / f32(n);
    }
    if (j == 0u) {
        counts[c] = n;
    }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn normalize(@builtin(global_invocation_id) gid: vec3<u32>) {
    let c = gid.x;
    if (c >= params.centroids || counts[c] == 0u) {
        return;
    }
    let d = params.dims;
    var sq = 0.0;
    for (var j = 0u; j < d; j++) {
        let y = centroids[c * d + j];
        sq += y * y;
    }
    if (sq > 0.0) {
        let inv = 1.0 / sqrt(sq);
        for (var j = 0u; j < d; j++) {
            centroids[c * d + j] *= inv;
        }
    }
}
