// Image collections through the built npm package in a real browser: an image-text (CLIP
// architecture) model with its own manifest — the seeded random-weight fixture of
// scripts/embed/clip_fixture.py — indexes images given as Blobs and as a transferred
// ImageBitmap, finds each image by itself, and scores captions against images as onnxruntime
// does (reference.json); broken images are typed errors that add nothing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startServer } from '../../scripts/serve.mjs';
import { launch } from './browser.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLIP = 'tests/fixtures/embed/clip/';
const REF = JSON.parse(readFileSync(`${ROOT}${CLIP}reference.json`, 'utf8'));

let server;
let browser;

before(async () => {
  server = await startServer({ root: ROOT, port: 0 });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

test('an image-text model indexes images and finds them by image and by caption', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}tests/e2e/pages/model.html`);
  await page.waitForSelector('body[data-ready]', { state: 'attached' });
  const files = REF.images.map((i) => i.file);
  const captions = REF.captions.map((c) => c.text);
  const out = await page.evaluate(
    async ({ base, files, captions }) => {
      const engine = await window.scry.createEngine({
        name: 'clip',
        model: { url: base, manifest: `${base}manifest.json` },
        gpu: 'webgpu',
      });
      const blobs = await Promise.all(files.map((f) => fetch(base + f).then((r) => r.blob())));
      const bitmap = await createImageBitmap(blobs[0], {
        premultiplyAlpha: 'none',
        colorSpaceConversion: 'none',
      });
      const docs = files.map((f, i) => ({
        id: f,
        title: `picture ${i}`,
        image: i === 0 ? bitmap : blobs[i],
      }));
      docs.push({ id: 'note', title: 'a note', body: 'a photo of a cat in the snow' });
      const progress = [];
      await engine.add(docs, { onProgress: (p) => progress.push(p) });
      const transferred = bitmap.width === 0;
      const byImage = [];
      for (const b of blobs) {
        const hits = await engine.search(b, { mode: 'vector', k: 1 });
        byImage.push([hits[0].id, hits[0].score]);
      }
      const byCaption = [];
      for (const c of captions) {
        const hits = await engine.search(c, { mode: 'vector', k: 20 });
        byCaption.push(Object.fromEntries(hits.map((h) => [h.id, h.score])));
      }
      const hybrid = await engine.search('note', { k: 1 });
      const before = (await engine.info()).documents;
      const codes = {
        broken: await engine
          .add([{ id: 'broken', title: 'x', image: new Blob([new Uint8Array([137, 80, 78])]) }])
          .catch((e) => e.code),
        pixels: await engine
          .add([{ id: 'bad', title: 'x', image: { width: 2, height: 2, data: new Uint8Array(3) } }])
          .catch((e) => e.code),
        textMode: await engine.search(blobs[1], { mode: 'text' }).catch((e) => e.code),
      };
      const after = (await engine.info()).documents;
      const raw = await engine.search(
        { width: 1, height: 1, data: new Uint8Array([255, 0, 0, 255]) },
        { mode: 'vector', k: 1 },
      );
      const info = await engine.info();
      await engine.dispose();
      // Images need an image-text model.
      const plain = await window.scry.createEngine({ name: 'no-images' });
      codes.noModel = await plain
        .add([{ id: 'p', title: 'p', image: blobs[1] }])
        .catch((e) => e.code);
      codes.noModelSearch = await plain.search(blobs[1]).catch((e) => e.code);
      await plain.dispose();
      return {
        transferred,
        byImage,
        byCaption,
        hybrid: hybrid.map((h) => h.id),
        before,
        after,
        codes,
        raw: raw.length,
        info,
        progress: progress.at(-1),
      };
    },
    { base: `/${CLIP}`, files, captions },
  );
  assert.equal(out.info.model, 'clip-fixture-random');
  assert.ok(out.transferred, 'the ImageBitmap was transferred, not copied');
  assert.deepEqual(out.progress, {
    documents: files.length + 1,
    passages: files.length + 1,
    embedded: files.length + 1,
  });
  for (const [i, [id, score]] of out.byImage.entries()) {
    assert.equal(id, files[i], `image ${files[i]} finds itself`);
    assert.ok(score > 0.99, `${files[i]}: ${score}`);
  }
  // Browser decoding + scry's preprocessing + tract against PIL + onnxruntime: the caption
  // scores of every opaque image (alpha is premultiplied by canvases) match the reference.
  let compared = 0;
  let worst = 0;
  for (const [c, caption] of REF.captions.entries()) {
    for (const image of REF.images) {
      if (image.mode === 'RGBA') continue;
      const got = out.byCaption[c][image.file];
      assert.ok(got !== undefined, `${image.file} is among the 20 hits of "${caption.text}"`);
      const want = dot(caption.embedding, image.embedding);
      assert.ok(
        Math.abs(got - want) < 0.003,
        `"${caption.text}" × ${image.file}: ${got} vs ${want}`,
      );
      worst = Math.max(worst, Math.abs(got - want));
      compared++;
    }
  }
  assert.equal(compared, REF.captions.length * 7);
  console.log(`caption × image scores: largest difference to onnxruntime ${worst.toFixed(5)}`);
  assert.deepEqual(out.hybrid, ['note']);
  assert.deepEqual(out.codes, {
    broken: 'IMAGE_DECODE',
    pixels: 'IMAGE_INVALID',
    textMode: 'INVALID_QUERY',
    noModel: 'MODEL_UNSUPPORTED',
    noModelSearch: 'MODEL_UNSUPPORTED',
  });
  assert.equal(out.after, out.before, 'failed adds add nothing');
  assert.equal(out.raw, 1);
  assert.equal(out.info.gpu.backend, 'webgpu');
  assert.ok(out.info.gpu.searches >= files.length + captions.length);
  await context.close();
});
