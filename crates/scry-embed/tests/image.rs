//! The CLIP-style image path against the Python reference (`scripts/embed/clip_fixture.py`:
//! Pillow preprocessing, onnxruntime embeddings) on a small random-weight CLIP-architecture model,
//! natively and in headless Chrome; and its errors.
//!
//! The fixture (`tests/fixtures/embed/clip/`, ~600 KB) is compiled in with `include_bytes!` on
//! both targets. Natively images are decoded by the library ([`RgbaImage::decode`]); the wasm
//! build has no decoder (pages decode with a canvas), so the browser test decodes the fixture
//! files with the `image` crate itself and hands the RGBA pixels over, as a page would.
//!
//! The weights are random: a caption does not pick out "its" image, so there is no retrieval
//! check here, only agreement with the reference runtime.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed test

use std::sync::OnceLock;

use scry_core::Embedder;
use scry_embed::{
    ClipEmbedder, ClipEmbedderOptions, ImagePreprocessor, ModelManifest, ModelSpec, RgbaImage,
};

// In a dedicated worker, like scry's own embedding (see tests/golden.rs).
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_dedicated_worker);
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

macro_rules! fixture {
    ($path:literal) => {
        (
            $path,
            include_bytes!(concat!("../../../tests/fixtures/embed/clip/", $path)) as &[u8],
        )
    };
}

// Statics, not constants: a constant may be copied into every codegen unit that uses it.
static FILES: &[(&str, &[u8])] = &[
    fixture!("vision.onnx"),
    fixture!("text.onnx"),
    fixture!("tokenizer.json"),
    fixture!("images/landscape.png"),
    fixture!("images/portrait.jpg"),
    fixture!("images/portrait.decoded.png"),
    fixture!("images/alpha.png"),
    fixture!("images/grey.png"),
    fixture!("images/small.png"),
    fixture!("images/wide.png"),
    fixture!("images/large.png"),
    fixture!("images/exact.png"),
    fixture!("expected/landscape.png"),
    fixture!("expected/portrait.png"),
    fixture!("expected/alpha.png"),
    fixture!("expected/grey.png"),
    fixture!("expected/small.png"),
    fixture!("expected/wide.png"),
    fixture!("expected/large.png"),
    fixture!("expected/exact.png"),
];
const MANIFEST: &str = include_str!("../../../tests/fixtures/embed/clip/manifest.json");
const REFERENCE: &str = include_str!("../../../tests/fixtures/embed/clip/reference.json");

fn file(path: &str) -> &'static [u8] {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .unwrap_or_else(|| panic!("{path} is not in FILES"))
        .1
}

#[derive(serde::Deserialize)]
struct Reference {
    image_size: u32,
    max_tokens: usize,
    images: Vec<ImageCase>,
    captions: Vec<Caption>,
}

#[derive(serde::Deserialize)]
struct ImageCase {
    file: String,
    format: String,
    width: u32,
    height: u32,
    /// For the JPEG: its pixels as Pillow decoded them, as a PNG.
    decoded: Option<String>,
    resized: [u64; 2],
    crop: [u64; 2],
    expected_crop: String,
    pixel_values_sum: f64,
    pixel_values_abs_sum: f64,
    samples: Vec<(usize, f32)>,
    embedding: Vec<f32>,
}

#[derive(serde::Deserialize)]
struct Caption {
    text: String,
    ids: Vec<u32>,
    embedding: Vec<f32>,
}

fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| serde_json::from_str(REFERENCE).unwrap())
}

fn spec() -> ModelSpec {
    ModelManifest::parse(MANIFEST).unwrap().models.remove(0)
}

/// Decodes a fixture image to RGBA.
fn decode(bytes: &[u8]) -> RgbaImage<'static> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        RgbaImage::decode(bytes).unwrap()
    }
    #[cfg(target_arch = "wasm32")]
    {
        let rgba = image::load_from_memory(bytes).unwrap().into_rgba8();
        let (w, h) = rgba.dimensions();
        RgbaImage::from_vec(w, h, rgba.into_raw()).unwrap()
    }
}

/// The reference crop (RGB bytes) of an image case.
fn expected_crop(case: &ImageCase) -> Vec<u8> {
    let crop = decode(file(&case.expected_crop));
    crop.pixels()
        .chunks_exact(4)
        .flat_map(|px| [px[0], px[1], px[2]])
        .collect()
}

fn embedder() -> &'static ClipEmbedder {
    static E: OnceLock<ClipEmbedder> = OnceLock::new();
    E.get_or_init(|| {
        ClipEmbedder::from_bytes(
            file("vision.onnx"),
            file("text.onnx"),
            file("tokenizer.json"),
            &spec(),
        )
        .unwrap()
    })
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Report line readable in the test output (`--nocapture`).
fn report(msg: &str) {
    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::console_log!("{msg}");
    #[cfg(not(target_arch = "wasm32"))]
    println!("{msg}");
}

#[test]
fn preprocessing_equals_the_pillow_reference() {
    let r = reference();
    let pre = embedder().preprocessor();
    assert_eq!(pre.crop_size(), r.image_size);
    let mut worst = (0f32, "");
    let mut jpeg_pixels = (0u8, 0usize);
    for case in &r.images {
        let image = decode(file(&case.file));
        assert_eq!((image.width(), image.height()), (case.width, case.height));
        let (w, h) = (case.width, case.height);
        assert_eq!(pre.resized_size(w, h), (case.resized[0], case.resized[1]));
        assert_eq!(pre.crop_origin(w, h), (case.crop[0], case.crop[1]));

        let expected_rgb = expected_crop(case);
        let mut expected = vec![0f32; pre.values_per_image()];
        pre.normalize_into(&expected_rgb, &mut expected).unwrap();
        let values = match &case.decoded {
            // Pillow's libjpeg-turbo and the `image` crate's zune-jpeg round the inverse DCT
            // differently, so the JPEG's pixels are compared with a tolerance (and reported);
            // the preprocessing is checked exactly on the pixels Pillow decoded.
            Some(decoded) => {
                let rgb = pre.crop_rgb(&image);
                let diffs = rgb.iter().zip(&expected_rgb).map(|(a, b)| a.abs_diff(*b));
                jpeg_pixels = (
                    diffs.clone().max().unwrap_or(0),
                    diffs.filter(|d| *d > 0).count(),
                );
                assert!(
                    jpeg_pixels.0 <= 3,
                    "JPEG pixels differ by up to {}",
                    jpeg_pixels.0
                );
                let decoded = decode(file(decoded));
                assert_eq!((decoded.width(), decoded.height()), (w, h));
                pre.preprocess(&decoded)
            }
            None => pre.preprocess(&image),
        };
        let err = max_abs_diff(&values, &expected);
        assert!(err <= 1e-3, "{}: max error {err}", case.file);
        if err > worst.0 {
            worst = (err, &case.file);
        }
        // The float conversion against numpy's own values, and checksums of the whole tensor.
        for &(i, v) in &case.samples {
            assert!(
                (values[i] - v).abs() <= 1e-5,
                "{}[{i}]: {} vs {v}",
                case.file,
                values[i]
            );
        }
        let sum: f64 = values.iter().map(|&v| f64::from(v)).sum();
        let abs_sum: f64 = values.iter().map(|&v| f64::from(v).abs()).sum();
        assert!(
            (sum - case.pixel_values_sum).abs() < 0.05,
            "{}: sum {sum}",
            case.file
        );
        assert!(
            (abs_sum - case.pixel_values_abs_sum).abs() < 0.05,
            "{}",
            case.file
        );
    }
    report(&format!(
        "preprocessing: {} images, max abs error {:.2e} ({}); JPEG file decoded by zune-jpeg vs \
         libjpeg-turbo: max {} levels, {} of {} crop values differ",
        r.images.len(),
        worst.0,
        if worst.1.is_empty() { "-" } else { worst.1 },
        jpeg_pixels.0,
        jpeg_pixels.1,
        pre.values_per_image()
    ));
}

#[test]
fn image_embeddings_equal_onnxruntime() {
    let r = reference();
    let clip = embedder();
    let images: Vec<RgbaImage<'static>> = r.images.iter().map(|c| decode(file(&c.file))).collect();
    let vectors = clip.embed_images(&images).unwrap();
    assert_eq!(vectors.len(), r.images.len());
    // The vision tower alone, on the reference crops (no decoder or resampler involved).
    let pre = clip.preprocessor();
    let mut values = vec![0f32; r.images.len() * pre.values_per_image()];
    for (case, slot) in r
        .images
        .iter()
        .zip(values.chunks_exact_mut(pre.values_per_image()))
    {
        pre.normalize_into(&expected_crop(case), slot).unwrap();
    }
    let from_values = clip.embed_pixel_values(&values).unwrap();
    assert_eq!(from_values.len(), r.images.len());
    let (mut min_cos, mut max_diff) = (1f32, 0f32);
    for ((case, v), w) in r.images.iter().zip(&vectors).zip(&from_values) {
        assert_eq!(v.len(), 64);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        let c = cos(w, &case.embedding);
        let d = max_abs_diff(w, &case.embedding);
        assert!(
            c >= 0.9999 && d <= 1e-4,
            "{}: cosine {c}, max diff {d}",
            case.file
        );
        min_cos = min_cos.min(c);
        max_diff = max_diff.max(d);
        // From the file: the same vector, but for the JPEG, whose decoders differ slightly.
        let c = cos(v, &case.embedding);
        let tolerance = if case.format == "JPEG" { 0.999 } else { 0.9999 };
        assert!(c >= tolerance, "{}: cosine {c} from the file", case.file);
        if case.format != "JPEG" {
            min_cos = min_cos.min(c);
            max_diff = max_diff.max(max_abs_diff(v, &case.embedding));
        }
    }
    report(&format!(
        "image embeddings: {} images, min cosine {min_cos:.7}, max abs diff {max_diff:.2e}",
        r.images.len()
    ));
}

#[test]
fn text_embeddings_equal_onnxruntime() {
    let r = reference();
    let clip = embedder();
    assert_eq!(clip.max_tokens(), r.max_tokens);
    let texts: Vec<&str> = r.captions.iter().map(|c| c.text.as_str()).collect();
    let vectors = clip.embed_texts(&texts).unwrap();
    assert_eq!(vectors.len(), r.captions.len());
    let (mut min_cos, mut max_diff) = (1f32, 0f32);
    for (case, v) in r.captions.iter().zip(&vectors) {
        assert_eq!(
            clip.token_ids(&case.text).unwrap(),
            case.ids,
            "{:?}",
            case.text
        );
        let c = cos(v, &case.embedding);
        let d = max_abs_diff(v, &case.embedding);
        assert!(
            c >= 0.9999 && d <= 1e-4,
            "{:?}: cosine {c}, diff {d}",
            case.text
        );
        min_cos = min_cos.min(c);
        max_diff = max_diff.max(d);
    }
    // The long caption was truncated at 77 tokens, the end-of-text token kept last.
    let long = r.captions.iter().find(|c| c.ids.len() == r.max_tokens);
    let long = long.expect("a caption longer than max_tokens");
    assert_eq!(long.ids.last(), r.captions[0].ids.last());
    report(&format!(
        "text embeddings: {} captions, min cosine {min_cos:.7}, max abs diff {max_diff:.2e}",
        r.captions.len()
    ));
}

#[test]
fn batches_of_any_size_give_the_same_vectors() {
    let r = reference();
    let small = ClipEmbedder::from_bytes_with(
        file("vision.onnx"),
        file("text.onnx"),
        file("tokenizer.json"),
        &spec(),
        &ClipEmbedderOptions {
            batch_size: 3,
            ..ClipEmbedderOptions::default()
        },
    )
    .unwrap();
    let images: Vec<RgbaImage<'static>> = r.images.iter().map(|c| decode(file(&c.file))).collect();
    let texts: Vec<&str> = r.captions.iter().rev().map(|c| c.text.as_str()).collect();
    let pairs = [
        (
            embedder().embed_images(&images).unwrap(),
            small.embed_images(&images).unwrap(),
        ),
        (
            embedder().embed_texts(&texts).unwrap(),
            small.embed_texts(&texts).unwrap(),
        ),
    ];
    assert_eq!(pairs[0].0.len(), images.len());
    assert_eq!(pairs[1].0.len(), texts.len());
    let mut worst = 1f32;
    for (all, batched) in &pairs {
        assert_eq!(batched.len(), all.len());
        for (a, b) in all.iter().zip(batched) {
            worst = worst.min(cos(a, b));
        }
    }
    assert!(worst >= 0.99999, "{worst}");
    // One at a time, too.
    for (image, v) in images.iter().zip(&pairs[0].0) {
        let one = embedder()
            .embed_images(std::slice::from_ref(image))
            .unwrap();
        assert!(cos(&one[0], v) >= 0.99999);
    }
    report(&format!("batching: min cosine {worst:.7}"));
}

#[test]
fn blank_text_is_an_error_and_the_trait_embeds_text() {
    let clip = embedder();
    for texts in [&[""][..], &[" \n\t"], &["a cat", "", "a dog"]] {
        assert_eq!(clip.embed_texts(texts).unwrap_err().code(), "EMPTY_INPUT");
    }
    assert!(clip.embed_texts(&[]).unwrap().is_empty());
    assert!(clip.embed_images(&[]).unwrap().is_empty());
    let mut clip = ClipEmbedder::from_bytes(
        file("vision.onnx"),
        file("text.onnx"),
        file("tokenizer.json"),
        &spec(),
    )
    .unwrap();
    let err = Embedder::embed(&mut clip, &["ok", " "]).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(err.to_string().contains("EMPTY_INPUT"), "{err}");
    let v = Embedder::embed(&mut clip, &[reference().captions[0].text.as_str()]).unwrap();
    assert!(cos(&v[0], &reference().captions[0].embedding) >= 0.9999);
    assert_eq!(clip.model().dims, 64);
    assert_eq!(clip.model().fingerprint.len(), 64);
    // The tag is the spec's: its id, and a fingerprint of the spec at this token limit, which
    // covers the image preprocessing too (the same files preprocessed otherwise are another
    // embedding space).
    let spec = spec();
    assert_eq!(clip.model().id, spec.id);
    assert_eq!(
        clip.model().fingerprint,
        spec.fingerprint(clip.max_tokens())
    );
    let mut other = spec.clone();
    other.image.as_mut().unwrap().mean[0] += 0.01;
    let other = ClipEmbedder::from_bytes(
        file("vision.onnx"),
        file("text.onnx"),
        file("tokenizer.json"),
        &other,
    )
    .unwrap();
    assert_eq!(other.model().id, clip.model().id);
    assert_ne!(other.model().fingerprint, clip.model().fingerprint);
}

#[test]
fn bad_pixel_buffers_are_image_invalid() {
    for (w, h, len) in [(0, 10, 0), (10, 0, 0), (2, 2, 15), (2, 2, 17), (3, 1, 9)] {
        let pixels = vec![0u8; len];
        let err = RgbaImage::new(w, h, &pixels).unwrap_err();
        assert_eq!(err.code(), "IMAGE_INVALID", "{w}×{h} with {len} bytes");
        let err = RgbaImage::from_vec(w, h, pixels).unwrap_err();
        assert_eq!(err.code(), "IMAGE_INVALID");
    }
    let pre = ImagePreprocessor::from_spec(spec().image.as_ref().unwrap()).unwrap();
    let pixels = vec![0u8; 4 * 4 * 4];
    let image = RgbaImage::new(4, 4, &pixels).unwrap();
    let err = pre.preprocess_into(&image, &mut [0.0; 10]).unwrap_err();
    assert_eq!(err.code(), "INVALID_PARAMETER");
    let err = embedder().embed_pixel_values(&[0.0; 100]).unwrap_err();
    assert_eq!(err.code(), "INVALID_PARAMETER");
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn broken_and_unsupported_image_files_are_typed_errors() {
    let png = file("images/landscape.png");
    let jpeg = file("images/portrait.jpg");
    let cases: &[(&str, &[u8], &str)] = &[
        ("empty", b"", "IMAGE_UNSUPPORTED"),
        (
            "random bytes",
            b"not an image at all, just text",
            "IMAGE_UNSUPPORTED",
        ),
        (
            "GIF",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
            "IMAGE_UNSUPPORTED",
        ),
        ("truncated PNG", &png[..png.len() / 2], "IMAGE_DECODE"),
        ("PNG header only", &png[..40], "IMAGE_DECODE"),
        ("truncated JPEG", &jpeg[..200], "IMAGE_DECODE"),
    ];
    for (what, bytes, code) in cases {
        let err = RgbaImage::decode(bytes).unwrap_err();
        assert_eq!(err.code(), *code, "{what}: {err}");
    }
    // A PNG whose pixel data is corrupted (CRC and zlib errors).
    let mut corrupt = png.to_vec();
    let mid = corrupt.len() / 2;
    corrupt[mid..mid + 64].fill(0xAB);
    assert_eq!(
        RgbaImage::decode(&corrupt).unwrap_err().code(),
        "IMAGE_DECODE"
    );
}

#[test]
fn damaged_or_swapped_model_files_are_typed_errors() {
    let (vision, text, tokenizer) = (
        file("vision.onnx"),
        file("text.onnx"),
        file("tokenizer.json"),
    );
    let spec = spec();
    let code =
        |v: &[u8], t: &[u8], k: &[u8]| ClipEmbedder::from_bytes(v, t, k, &spec).unwrap_err().code();
    assert_eq!(
        code(&vision[..vision.len() - 100], text, tokenizer),
        "MODEL_INTEGRITY"
    );
    assert_eq!(code(vision, &text[..10], tokenizer), "MODEL_INTEGRITY");
    assert_eq!(code(text, vision, tokenizer), "MODEL_INTEGRITY");
    assert_eq!(code(vision, text, b""), "MODEL_INTEGRITY");
    let err = ClipEmbedder::from_bytes(text, vision, tokenizer, &spec).unwrap_err();
    assert!(err.to_string().contains("vision.onnx"), "{err}");

    // Without roles, the files are found by their default names.
    let mut by_name = spec.clone();
    for f in &mut by_name.files {
        f.role = None;
    }
    assert_eq!(
        ClipEmbedder::from_bytes(vision, text, tokenizer, &by_name)
            .unwrap_err()
            .code(),
        "MODEL_MANIFEST_INVALID"
    );
    for f in &mut by_name.files {
        f.name = match f.name.as_str() {
            "vision.onnx" => "vision_model.onnx".into(),
            "text.onnx" => "text_model.onnx".into(),
            other => other.into(),
        };
    }
    assert!(ClipEmbedder::from_bytes(vision, text, tokenizer, &by_name).is_ok());
}

/// A model whose output needs an operator scry leaves out (`LEFT_OUT_OPS`: not in the wasm build)
/// is refused with `MODEL_UNSUPPORTED` naming it, natively and in the browser alike; one on a
/// branch no output needs does not matter (tract drops it).
#[test]
fn models_needing_left_out_operators_are_refused_by_name() {
    use prost::Message;
    use sha2::Digest;
    use tract_onnx::pb::NodeProto;

    let node = |op: &str, input: &str, output: &str| NodeProto {
        op_type: op.into(),
        name: format!("extra_{output}"),
        input: vec![input.into()],
        output: vec![output.into()],
        ..Default::default()
    };
    let original = tract_onnx::pb::ModelProto::decode(file("text.onnx")).unwrap();
    // `text_embeds` now comes out of an LSTM (live); a DFT hangs off the input (dead).
    let edited = |live: bool| {
        let mut proto = original.clone();
        let graph = proto.graph.as_mut().unwrap();
        if live {
            for n in &mut graph.node {
                for o in &mut n.output {
                    if o == "text_embeds" {
                        *o = "text_embeds_before".into();
                    }
                }
            }
            graph
                .node
                .push(node("LSTM", "text_embeds_before", "text_embeds"));
        }
        graph.node.push(node("DFT", "input_ids", "dft_out"));
        proto.encode_to_vec()
    };
    let load = |text: &[u8]| {
        let mut spec = spec();
        for f in &mut spec.files {
            if f.role.as_deref() == Some("text") {
                f.bytes = text.len() as u64;
                f.sha256 = hex::encode(sha2::Sha256::digest(text));
            }
        }
        ClipEmbedder::from_bytes(file("vision.onnx"), text, file("tokenizer.json"), &spec)
    };
    let err = load(&edited(true)).unwrap_err();
    assert_eq!(err.code(), "MODEL_UNSUPPORTED", "{err}");
    assert!(
        err.to_string()
            .ends_with("the model uses ONNX operators scry does not run: LSTM"),
        "{err}"
    );
    let clip = load(&edited(false)).unwrap();
    let v = clip.embed_texts(&["a dead branch"]).unwrap();
    assert_eq!(v[0].len(), spec().dims);
    for op in ["LSTM", "DFT", "Scan", "Resize", "RandomNormal"] {
        assert!(scry_embed::LEFT_OUT_OPS.contains(&op));
    }
}

#[test]
fn the_fixture_manifest_parses_with_its_image_block() {
    let spec = spec();
    let image = spec.image.as_ref().unwrap();
    assert_eq!((image.size, image.crop_side()), (64, 64));
    assert_eq!(spec.task, "image-text");
    // A manifest with a nonsensical image block is rejected when parsed.
    for (from, to) in [
        ("\"size\": 64", "\"size\": 0"),
        ("\"crop_size\": 64", "\"crop_size\": 65"),
        ("0.26862954", "0.0"),
        ("0.26862954,", ""),
    ] {
        assert!(MANIFEST.contains(from), "{from}");
        let bad = MANIFEST.replacen(from, to, 1);
        assert_eq!(
            ModelManifest::parse(&bad).unwrap_err().code(),
            "MODEL_MANIFEST_INVALID",
            "{to}"
        );
    }
}

/// Suggestions on an image collection: documents carry captions and CLIP image vectors; the
/// results are clustered by their image vectors and candidates are embedded by the text tower
/// into the joint space. (Random weights: the groups mean nothing, the path is what is tested.)
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn suggestions_cluster_image_vectors() {
    use scry_core::suggest::{SuggestParams, cluster};
    use scry_core::{Document, Engine, EngineConfig, Mode, SearchOptions};

    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../");
    let collection: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}tests/fixtures/images/collection.json")).unwrap(),
    )
    .unwrap();
    let docs: Vec<Document> = serde_json::from_value(collection["documents"].clone()).unwrap();
    assert!(docs.len() >= 20);
    let mut clip = ClipEmbedder::from_bytes(
        file("vision.onnx"),
        file("text.onnx"),
        file("tokenizer.json"),
        &spec(),
    )
    .unwrap();
    let images: Vec<RgbaImage<'static>> = docs
        .iter()
        .map(|d| {
            let scry_core::MetaValue::Text(path) = &d.metadata["image"] else {
                panic!("{}: no image", d.id)
            };
            decode(&std::fs::read(format!("{root}{}", path.trim_start_matches('/'))).unwrap())
        })
        .collect();
    let vectors: Vec<Vec<Vec<f32>>> = clip
        .embed_images(&images)
        .unwrap()
        .into_iter()
        .map(|v| vec![v])
        .collect();
    let mut engine = Engine::new(EngineConfig::default()).unwrap();
    let tag = scry_core::Embedder::model(&clip).clone();
    engine
        .add_with_vectors(docs.clone(), vectors.clone(), &tag)
        .unwrap();

    let params = SuggestParams {
        min_cluster: 2,
        ..Default::default()
    };
    let query = "photo";
    let out = engine.suggest(query, Some(&mut clip), &params).unwrap();
    assert!(!out.is_empty(), "an image collection gets suggestions");
    assert_eq!(
        out,
        engine.suggest(query, Some(&mut clip), &params).unwrap()
    );

    // The groups are clusters of the image vectors, in the hybrid result order.
    let qvec = clip.embed(&[query]).unwrap().pop().unwrap();
    let hits = engine
        .search(
            query,
            Some(&qvec),
            &SearchOptions {
                k: params.top_n,
                mode: Mode::Hybrid,
                ..Default::default()
            },
        )
        .unwrap();
    let points: Vec<Vec<f32>> = hits
        .iter()
        .map(|h| {
            let i = docs.iter().position(|d| d.id == h.id).unwrap();
            let v = &vectors[i][0];
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / n).collect()
        })
        .collect();
    let labels = cluster(&points, params.max_clusters, 0x5EED);
    for s in &out {
        assert!(s.query.starts_with("photo "), "{}", s.query);
        assert!(s.specificity > s.baseline_specificity, "{s:?}");
        let first = hits.iter().position(|h| h.id == s.items[0]).unwrap();
        let members: Vec<&str> = hits
            .iter()
            .zip(&labels)
            .filter(|(_, l)| **l == labels[first])
            .map(|(h, _)| h.id.as_str())
            .collect();
        assert_eq!(
            s.items, members,
            "{}: one cluster of image vectors",
            s.query
        );
    }

    // The text model of another index cannot be used for this one.
    let mut other = scry_core::HashEmbedder::new(64).unwrap();
    assert_eq!(
        engine
            .suggest(query, Some(&mut other), &params)
            .unwrap_err()
            .code(),
        "MODEL_MISMATCH"
    );
}
