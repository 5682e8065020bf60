/**
 * Images to RGBA pixels, in the engine's worker: `Blob`s are decoded by the browser
 * (`createImageBitmap`, colours as stored, alpha not premultiplied), bitmaps drawn on an
 * `OffscreenCanvas` and read back; `ImageData` and raw pixels are checked and used as they are.
 * scry-embed then resizes, crops and normalises them as the model's manifest says.
 */

import { ScryError } from '../public/errors.js';
import type { ImageInput, RawImage } from '../public/types.js';

/** Largest side accepted, in pixels (a decoded 16,384² image is already 1 GiB of RGBA). */
const MAX_SIDE = 16_384;

function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ScryError('IMAGE_INVALID', `an image of ${width} × ${height} pixels`);
  }
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw new ScryError(
      'IMAGE_UNSUPPORTED',
      `an image of ${width} × ${height} pixels; the limit is ${MAX_SIDE} a side`,
    );
  }
}

function checked(width: number, height: number, data: RawImage['data']): RawImage {
  checkSize(width, height);
  if (data.length !== width * height * 4) {
    throw new ScryError(
      'IMAGE_INVALID',
      `${data.length} bytes of pixels for ${width} × ${height} RGBA (${width * height * 4})`,
    );
  }
  return { width, height, data };
}

/** The RGBA pixels of `image`. */
export async function imagePixels(image: ImageInput): Promise<RawImage> {
  let bitmap: ImageBitmap;
  let owned = false;
  if (typeof Blob !== 'undefined' && image instanceof Blob) {
    if (typeof createImageBitmap === 'undefined') {
      throw new ScryError(
        'IMAGE_UNSUPPORTED',
        'this runtime cannot decode image files: pass RGBA pixels ({ width, height, data })',
      );
    }
    try {
      bitmap = await createImageBitmap(image, {
        premultiplyAlpha: 'none',
        colorSpaceConversion: 'none',
      });
    } catch (e) {
      throw new ScryError(
        'IMAGE_DECODE',
        `the image could not be decoded (${image.type || 'unknown type'}, ${image.size} bytes)`,
        { cause: e },
      );
    }
    owned = true;
  } else if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) {
    bitmap = image;
  } else {
    const { width, height, data } = image as RawImage;
    return checked(width, height, data);
  }
  try {
    const { width, height } = bitmap;
    if (width === 0 || height === 0) {
      throw new ScryError('IMAGE_INVALID', 'the ImageBitmap is empty (closed or transferred)');
    }
    checkSize(width, height);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new ScryError('IMAGE_UNSUPPORTED', 'no 2D canvas to read pixels from');
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, width, height);
    return { width, height, data: pixels.data };
  } finally {
    if (owned) bitmap.close();
  }
}
