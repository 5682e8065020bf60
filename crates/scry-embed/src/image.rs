//! Image preprocessing for CLIP-style encoders: RGBA pixels → the normalised `3 × S × S` floats
//! CLIP's reference preprocessing (Pillow + torchvision) computes, with the same pixel values.
//!
//! The steps, each as the Python reference does them (OpenAI CLIP's transform, Hugging Face's
//! `CLIPImageProcessor`, `scripts/embed/clip_fixture.py`):
//!
//! 1. **Alpha is dropped.** The colour channels are used as stored, whatever the alpha, like
//!    Pillow's `image.convert("RGB")` (no compositing over a background). Grey images arrive with
//!    the grey value in R, G and B (decoders and canvases replicate it), as `convert("RGB")` does.
//! 2. **Resize** so the shortest side is `size`; the other side becomes
//!    `int(size × long / short)` (torchvision's `Resize(size)`), with Pillow's `Image.BICUBIC`:
//!    a separable convolution with Keys' cubic (`a = -0.5`) whose support widens with the
//!    downscaling factor (antialiasing), weights normalised per output pixel and rounded to
//!    22-bit fixed point, the horizontal pass first, each pass rounded and clamped to `u8`. A side
//!    that keeps its length is not resampled. Only the pixels inside the crop are computed.
//! 3. **Centre crop** `crop_size × crop_size` at torchvision's offsets
//!    `int(round((resized - crop) / 2))` (Python rounds halves to even).
//! 4. **Normalise**: `(v / 255 - mean[c]) / std[c]` in `f32`, laid out channel-major
//!    (`[3, S, S]`, the model's `pixel_values`).
//!
//! Natively [`RgbaImage::decode`] reads PNG and JPEG files (the `image` crate); browsers decode
//! with a canvas, `ImageBitmap` or WebCodecs and pass the RGBA pixels to [`RgbaImage::new`].

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{EmbedError, Result};
use crate::manifest::ImageSpec;

/// Fixed-point precision of Pillow's 8-bit resampling weights (`32 - 8 - 2` bits).
const PRECISION_BITS: u32 = 22;
/// Rounding offset added to every fixed-point sum (one half).
const HALF: i64 = 1 << (PRECISION_BITS - 1);
/// Support of the bicubic filter at scale 1 (input pixels either side of the centre).
const BICUBIC_SUPPORT: f64 = 2.0;

/// An image as 8-bit RGBA pixels, row by row from the top left (what a canvas's `ImageData`,
/// an `ImageBitmap` read back, or a decoder gives). Borrowed or owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage<'a> {
    width: u32,
    height: u32,
    pixels: Cow<'a, [u8]>,
}

impl<'a> RgbaImage<'a> {
    /// Wraps `pixels` (`width × height × 4` bytes, RGBA). A width or height of 0 or a buffer of
    /// another length is `IMAGE_INVALID`.
    pub fn new(width: u32, height: u32, pixels: &'a [u8]) -> Result<Self> {
        check_dimensions(width, height, pixels.len())?;
        Ok(Self {
            width,
            height,
            pixels: Cow::Borrowed(pixels),
        })
    }

    /// Width in pixels (≥ 1).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels (≥ 1).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGBA bytes, `width × height × 4` of them.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// An owned copy (no copy when already owned).
    pub fn into_owned(self) -> RgbaImage<'static> {
        RgbaImage {
            width: self.width,
            height: self.height,
            pixels: Cow::Owned(self.pixels.into_owned()),
        }
    }
}

impl RgbaImage<'static> {
    /// Takes ownership of `pixels` (`width × height × 4` bytes, RGBA); errors as
    /// [`RgbaImage::new`].
    pub fn from_vec(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self> {
        check_dimensions(width, height, pixels.len())?;
        Ok(Self {
            width,
            height,
            pixels: Cow::Owned(pixels),
        })
    }

    /// Decodes a PNG or JPEG file (native builds only; browsers decode images themselves).
    ///
    /// Grey images become R = G = B, palettes are expanded, images without alpha get alpha 255,
    /// 16-bit channels are reduced to 8 bits. EXIF orientation is not applied (Pillow does not
    /// apply it either unless asked). Other formats are `IMAGE_UNSUPPORTED`, corrupt or truncated
    /// files `IMAGE_DECODE`, images too large to decode within 512 MiB `IMAGE_INVALID`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        use ::image::{ImageError, ImageFormat, ImageReader};

        let format = ::image::guess_format(bytes).map_err(|_| {
            EmbedError::ImageUnsupported("not a PNG or JPEG file (unrecognised data)".into())
        })?;
        if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
            return Err(EmbedError::ImageUnsupported(format!(
                "{format:?} images are not decoded (PNG and JPEG are)"
            )));
        }
        let reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
        let decoded = reader.decode().map_err(|e| match e {
            ImageError::Unsupported(e) => EmbedError::ImageUnsupported(e.to_string()),
            ImageError::Limits(e) => EmbedError::ImageInvalid(e.to_string()),
            other => EmbedError::ImageDecode(other.to_string()),
        })?;
        let rgba = decoded.into_rgba8();
        let (width, height) = rgba.dimensions();
        Self::from_vec(width, height, rgba.into_raw())
    }
}

fn check_dimensions(width: u32, height: u32, len: usize) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(EmbedError::ImageInvalid(format!(
            "the image is {width} × {height} pixels: both sides must be at least 1"
        )));
    }
    let expected = (width as usize)
        .checked_mul(height as usize)
        .and_then(|n| n.checked_mul(4));
    if expected != Some(len) {
        return Err(EmbedError::ImageInvalid(format!(
            "a {width} × {height} RGBA image has {} bytes, got {len}",
            expected.map_or_else(|| "too many".to_owned(), |n| n.to_string())
        )));
    }
    Ok(())
}

/// CLIP's image preprocessing for one model (see the [module docs](self)): resize the shortest
/// side to `size` (bicubic, as Pillow), centre crop `crop_size`, normalise.
///
/// ```
/// use scry_embed::image::{ImagePreprocessor, RgbaImage};
///
/// let pre = ImagePreprocessor::new(224, 224, [0.481, 0.458, 0.408], [0.269, 0.261, 0.276])?;
/// let pixels = vec![128u8; 640 * 480 * 4];
/// let image = RgbaImage::new(640, 480, &pixels)?;
/// assert_eq!(pre.resized_size(640, 480), (298, 224));
/// let values = pre.preprocess(&image);
/// assert_eq!(values.len(), 3 * 224 * 224);
/// # Ok::<(), scry_embed::EmbedError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ImagePreprocessor {
    size: u32,
    crop: u32,
    mean: [f32; 3],
    std: [f32; 3],
}

impl ImagePreprocessor {
    /// A preprocessor resizing the shortest side to `size` (1..=4096) and cropping
    /// `crop_size` (1..=`size`), with per-channel `mean` and `std` (finite, `std` > 0); other
    /// values are `INVALID_PARAMETER`.
    pub fn new(size: u32, crop_size: u32, mean: [f32; 3], std: [f32; 3]) -> Result<Self> {
        let invalid = |name, reason: String| Err(EmbedError::InvalidParameter { name, reason });
        if !(1..=4096).contains(&size) {
            return invalid("size", format!("must be in 1..=4096, got {size}"));
        }
        if !(1..=size).contains(&crop_size) {
            return invalid(
                "crop_size",
                format!("must be in 1..={size}, got {crop_size}"),
            );
        }
        if mean.iter().any(|m| !m.is_finite()) {
            return invalid("mean", format!("must be finite, got {mean:?}"));
        }
        if std.iter().any(|s| !s.is_finite() || *s <= 0.0) {
            return invalid("std", format!("must be finite and positive, got {std:?}"));
        }
        Ok(Self {
            size,
            crop: crop_size,
            mean,
            std,
        })
    }

    /// The preprocessor a manifest's `image` block describes. Modes other than `resize:
    /// "shortest"`, `crop: "center"`, `interpolation: "bicubic"` are `MODEL_UNSUPPORTED`.
    pub fn from_spec(spec: &ImageSpec) -> Result<Self> {
        for (field, value, supported) in [
            ("resize", &spec.resize, "shortest"),
            ("crop", &spec.crop, "center"),
            ("interpolation", &spec.interpolation, "bicubic"),
        ] {
            if value != supported {
                return Err(EmbedError::ModelUnsupported(format!(
                    "image {field} {value:?} is not supported (only {supported:?})"
                )));
            }
        }
        Self::new(spec.size, spec.crop_side(), spec.mean, spec.std)
    }

    /// Length of the shortest side after resizing.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Side of the square crop the model sees.
    pub fn crop_size(&self) -> u32 {
        self.crop
    }

    /// Floats per preprocessed image: `3 × crop_size × crop_size`.
    pub fn values_per_image(&self) -> usize {
        let c = self.crop as usize;
        3 * c * c
    }

    /// Size `(width, height)` of a `width × height` image after resizing: the shortest side
    /// becomes `size`, the other `int(size × long / short)` (torchvision's `Resize(size)`).
    pub fn resized_size(&self, width: u32, height: u32) -> (u64, u64) {
        let (w, h) = (u64::from(width.max(1)), u64::from(height.max(1)));
        let size = u64::from(self.size);
        let (short, long) = if w <= h { (w, h) } else { (h, w) };
        // Python's `int(size * long / short)`: an exact integer product, a correctly rounded
        // division (both operands are exact in f64), truncated.
        let new_long = ((size * long) as f64 / short as f64) as u64;
        if w <= h {
            (size, new_long)
        } else {
            (new_long, size)
        }
    }

    /// Top-left corner `(left, top)` of the crop in the resized image of a `width × height`
    /// image: torchvision's `int(round((resized - crop) / 2))`, halves rounded to even.
    pub fn crop_origin(&self, width: u32, height: u32) -> (u64, u64) {
        let (w, h) = self.resized_size(width, height);
        let crop = u64::from(self.crop);
        (centre_offset(w, crop), centre_offset(h, crop))
    }

    /// The resized and cropped image as `crop_size × crop_size` RGB bytes, row by row: exactly
    /// the pixels Pillow's `convert("RGB")`, `resize(…, BICUBIC)` and `crop` give.
    pub fn crop_rgb(&self, image: &RgbaImage<'_>) -> Vec<u8> {
        let (w, h) = (image.width as usize, image.height as usize);
        let (nw, nh) = self.resized_size(image.width, image.height);
        let (left, top) = self.crop_origin(image.width, image.height);
        let c = self.crop as usize;
        let crop = self.crop as u64;
        let cols = (nw != w as u64).then(|| Coefficients::new(w, nw, left..left + crop));
        let rows = (nh != h as u64).then(|| Coefficients::new(h, nh, top..top + crop));
        // A side that keeps its length is not resampled: then crop offsets index the source.
        let (left, top) = (left as usize, top as usize);

        // Source rows the vertical pass reads (all of the crop's rows when it is not resampled).
        let src_rows = rows
            .as_ref()
            .map_or(top..top + c, Coefficients::source_range);
        let stride = c * 3;
        let mut horizontal = vec![0u8; src_rows.len() * stride];
        for (row_out, y) in horizontal.chunks_exact_mut(stride).zip(src_rows.clone()) {
            let row = &image.pixels[y * w * 4..(y + 1) * w * 4];
            match &cols {
                Some(cols) => {
                    for (px, (start, weights)) in row_out.chunks_exact_mut(3).zip(cols.iter()) {
                        for (ch, out) in px.iter_mut().enumerate() {
                            let mut acc = HALF;
                            for (t, &k) in weights.iter().enumerate() {
                                acc += i64::from(row[(start + t) * 4 + ch]) * i64::from(k);
                            }
                            *out = clip8(acc);
                        }
                    }
                }
                None => {
                    for (j, px) in row_out.chunks_exact_mut(3).enumerate() {
                        let x = (left + j) * 4;
                        px.copy_from_slice(&row[x..x + 3]);
                    }
                }
            }
        }

        match &rows {
            None => horizontal,
            Some(rows) => {
                let mut out = vec![0u8; c * stride];
                for (row_out, (start, weights)) in out.chunks_exact_mut(stride).zip(rows.iter()) {
                    let first = start - src_rows.start;
                    for (x, out) in row_out.iter_mut().enumerate() {
                        let mut acc = HALF;
                        for (t, &k) in weights.iter().enumerate() {
                            acc += i64::from(horizontal[(first + t) * stride + x]) * i64::from(k);
                        }
                        *out = clip8(acc);
                    }
                }
                out
            }
        }
    }

    /// Normalises `crop_size × crop_size` RGB bytes (from [`ImagePreprocessor::crop_rgb`]) into
    /// `out` (`3 × crop_size × crop_size` floats, channel-major): `(v / 255 - mean) / std`.
    /// Slices of other lengths are `INVALID_PARAMETER`.
    pub fn normalize_into(&self, rgb: &[u8], out: &mut [f32]) -> Result<()> {
        let plane = (self.crop as usize) * (self.crop as usize);
        if rgb.len() != plane * 3 || out.len() != plane * 3 {
            return Err(EmbedError::InvalidParameter {
                name: "pixel_values",
                reason: format!(
                    "expected {} RGB bytes and as many floats, got {} and {}",
                    plane * 3,
                    rgb.len(),
                    out.len()
                ),
            });
        }
        for (ch, channel) in out.chunks_exact_mut(plane).enumerate() {
            let (mean, std) = (self.mean[ch], self.std[ch]);
            for (o, px) in channel.iter_mut().zip(rgb.chunks_exact(3)) {
                *o = (f32::from(px[ch]) / 255.0 - mean) / std;
            }
        }
        Ok(())
    }

    /// Preprocesses one image into `out` (`3 × crop_size × crop_size` floats, the model's
    /// `pixel_values` for one image); a slice of another length is `INVALID_PARAMETER`.
    pub fn preprocess_into(&self, image: &RgbaImage<'_>, out: &mut [f32]) -> Result<()> {
        self.normalize_into(&self.crop_rgb(image), out)
    }

    /// Preprocesses one image: `3 × crop_size × crop_size` floats, channel-major.
    pub fn preprocess(&self, image: &RgbaImage<'_>) -> Vec<f32> {
        let rgb = self.crop_rgb(image);
        let mut out = vec![0f32; self.values_per_image()];
        // Both lengths come from `self.crop`: this cannot fail.
        let _ = self.normalize_into(&rgb, &mut out);
        out
    }
}

/// torchvision's centre-crop offset `int(round((outer - crop) / 2))` with Python's rounding
/// (halves to even). `outer ≥ crop`.
fn centre_offset(outer: u64, crop: u64) -> u64 {
    let d = outer.saturating_sub(crop);
    let half = d / 2;
    if d % 2 == 1 && half % 2 == 1 {
        half + 1
    } else {
        half
    }
}

/// Pillow's `clip8`: the fixed-point sum shifted down (rounding was added up front), clamped.
fn clip8(acc: i64) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Keys' cubic convolution kernel with `a = -0.5` (Pillow's `bicubic_filter`, same operation
/// order so the same doubles come out).
fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Fixed-point resampling weights for a window of output pixels along one axis.
struct Coefficients {
    /// First input index of each output pixel.
    starts: Vec<usize>,
    /// Number of weights of each output pixel.
    counts: Vec<usize>,
    /// `ksize` weights per output pixel (the first `counts[i]` are used).
    weights: Vec<i32>,
    ksize: usize,
}

impl Coefficients {
    /// Weights for output pixels `window` of an axis resized from `in_size` to `out_size`
    /// (Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`, restricted to the window).
    fn new(in_size: usize, out_size: u64, window: Range<u64>) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filterscale = scale.max(1.0);
        let support = filterscale * BICUBIC_SUPPORT;
        let ksize = support.ceil() as usize * 2 + 1;
        let n = (window.end - window.start) as usize;
        let mut starts = Vec::with_capacity(n);
        let mut counts = Vec::with_capacity(n);
        let mut weights = vec![0i32; n * ksize];
        let mut k = vec![0f64; ksize];
        for (xx, fixed) in window.zip(weights.chunks_exact_mut(ksize)) {
            let center = (xx as f64 + 0.5) * scale;
            let ss = 1.0 / filterscale;
            // C's `(int)` truncates towards zero; negatives are clamped to 0 right after.
            let xmin = ((center - support + 0.5) as i64).max(0);
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64);
            let count = (xmax - xmin).clamp(0, ksize as i64) as usize;
            let mut ww = 0.0;
            for (x, kx) in k.iter_mut().take(count).enumerate() {
                let w = bicubic(((x as i64 + xmin) as f64 - center + 0.5) * ss);
                *kx = w;
                ww += w;
            }
            for (kx, f) in k.iter().take(count).zip(fixed.iter_mut()) {
                let w = if ww != 0.0 { kx / ww } else { *kx };
                let scaled = w * f64::from(1u32 << PRECISION_BITS);
                // Rounded half away from zero, as `(int)(±0.5 + w * (1 << PRECISION_BITS))`.
                *f = if w < 0.0 {
                    (scaled - 0.5) as i32
                } else {
                    (scaled + 0.5) as i32
                };
            }
            starts.push(xmin as usize);
            counts.push(count);
        }
        Self {
            starts,
            counts,
            weights,
            ksize,
        }
    }

    /// `(first input index, weights)` per output pixel of the window.
    fn iter(&self) -> impl Iterator<Item = (usize, &[i32])> {
        self.starts
            .iter()
            .zip(&self.counts)
            .zip(self.weights.chunks_exact(self.ksize))
            .map(|((&s, &n), k)| (s, &k[..n]))
    }

    /// The input indices any output pixel of the window reads.
    fn source_range(&self) -> Range<usize> {
        let start = self.starts.iter().copied().min().unwrap_or(0);
        let end = self
            .starts
            .iter()
            .zip(&self.counts)
            .map(|(s, n)| s + n)
            .max()
            .unwrap_or(start);
        start..end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip() -> ImagePreprocessor {
        ImagePreprocessor::new(
            224,
            224,
            [0.481_454_66, 0.457_827_5, 0.408_210_73],
            [0.268_629_54, 0.261_302_6, 0.275_777_1],
        )
        .unwrap()
    }

    #[test]
    fn geometry_follows_torchvision() {
        let p = clip();
        assert_eq!(p.resized_size(640, 480), (298, 224));
        assert_eq!(p.resized_size(480, 640), (224, 298));
        assert_eq!(p.resized_size(224, 224), (224, 224));
        assert_eq!(p.resized_size(1, 1000), (224, 224_000));
        // 47 / 2 = 23.5 rounds to 24, 45 / 2 = 22.5 to 22 (halves to even).
        assert_eq!(centre_offset(64 + 47, 64), 24);
        assert_eq!(centre_offset(64 + 45, 64), 22);
        assert_eq!(centre_offset(64 + 42, 64), 21);
        assert_eq!(centre_offset(64, 64), 0);
    }

    #[test]
    fn bicubic_weights_sum_to_one_in_fixed_point() {
        for (inp, out) in [(100usize, 37u64), (37, 100), (1000, 224), (5, 224)] {
            let c = Coefficients::new(inp, out, 0..out);
            for (start, k) in c.iter() {
                let sum: i32 = k.iter().sum();
                assert!(
                    (sum - (1 << PRECISION_BITS)).abs() <= k.len() as i32,
                    "{sum}"
                );
                assert!(start + k.len() <= inp);
            }
        }
    }

    #[test]
    fn a_flat_image_stays_flat() {
        let p = clip();
        let pixels: Vec<u8> = [10u8, 200, 90, 0].repeat(333 * 517);
        let image = RgbaImage::new(333, 517, &pixels).unwrap();
        let rgb = p.crop_rgb(&image);
        assert_eq!(rgb.len(), 224 * 224 * 3);
        assert!(rgb.chunks_exact(3).all(|px| px == [10, 200, 90]));
    }

    #[test]
    fn bad_buffers_and_parameters_are_typed_errors() {
        let err = RgbaImage::new(0, 4, &[]).unwrap_err();
        assert_eq!(err.code(), "IMAGE_INVALID");
        let err = RgbaImage::new(2, 2, &[0; 15]).unwrap_err();
        assert_eq!(err.code(), "IMAGE_INVALID");
        let err = RgbaImage::new(u32::MAX, u32::MAX, &[0; 4]).unwrap_err();
        assert_eq!(err.code(), "IMAGE_INVALID");
        for (size, crop, std) in [(0, 0, 1.0), (10, 11, 1.0), (10, 10, 0.0), (5000, 10, 1.0)] {
            let err = ImagePreprocessor::new(size, crop, [0.0; 3], [std; 3]).unwrap_err();
            assert_eq!(err.code(), "INVALID_PARAMETER");
        }
        let p = clip();
        let err = p.normalize_into(&[0; 3], &mut [0.0; 3]).unwrap_err();
        assert_eq!(err.code(), "INVALID_PARAMETER");
    }

    #[test]
    fn one_pixel_images_are_upscaled_without_panicking() {
        let p = clip();
        for (w, h) in [(1, 1), (1, 7), (300, 1)] {
            let pixels = vec![77u8; w * h * 4];
            let image = RgbaImage::new(w as u32, h as u32, &pixels).unwrap();
            let values = p.preprocess(&image);
            assert_eq!(values.len(), 3 * 224 * 224);
            assert!(values.iter().all(|v| v.is_finite()));
        }
    }
}
