//! Errors as they reach JavaScript: an `Error` whose `name` is `ScryError` and `code` is stable.

use wasm_bindgen::JsValue;

/// Builds the JavaScript error for a code and message.
pub(crate) fn js_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    err.set_name("ScryError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

impl From<ScryJsError> for JsValue {
    fn from(e: ScryJsError) -> Self {
        let err = js_error(e.code, &e.message);
        if !e.chunks.is_empty() {
            let list: js_sys::Array = e.chunks.iter().map(|c| JsValue::from_str(c)).collect();
            // Setting a property on a fresh Error object cannot fail.
            let _ = js_sys::Reflect::set(&err, &JsValue::from_str("chunks"), &list);
        }
        err
    }
}

/// Any error of the Rust crates, flattened to its code and message.
#[derive(Debug)]
pub(crate) struct ScryJsError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    /// `CHUNKS_NEEDED`: the static index chunks to load (the error's `chunks` array).
    pub(crate) chunks: Vec<String>,
}

impl From<scry_core::CoreError> for ScryJsError {
    fn from(e: scry_core::CoreError) -> Self {
        let chunks = match &e {
            scry_core::CoreError::ChunksNeeded(c) => c.clone(),
            _ => Vec::new(),
        };
        Self {
            code: e.code(),
            message: e.to_string(),
            chunks,
        }
    }
}

#[cfg(feature = "embed")]
impl From<scry_embed::EmbedError> for ScryJsError {
    fn from(e: scry_embed::EmbedError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            chunks: Vec::new(),
        }
    }
}

impl ScryJsError {
    pub(crate) fn invalid_options(what: &str, e: impl std::fmt::Display) -> Self {
        Self {
            code: "INVALID_OPTIONS",
            message: format!("invalid {what}: {e}"),
            chunks: Vec::new(),
        }
    }
}
