// Search hits from what scry-wasm packed (`PackedHits` in src/lib.rs): one text holding every
// string, and numbers giving each string's end in UTF-16 code units. Slicing one decoded text
// is several times faster than JSON.parse of the same hits. `nums` is a view into wasm memory,
// valid only during this call: everything is read before returning.
export function unpackHits(text, nums) {
  let p = 0;
  let at = 0;
  const next = () => {
    const end = nums[p++];
    const s = text.slice(at, end);
    at = end;
    return s;
  };
  const ranges = () => {
    const out = new Array(nums[p++]);
    for (let j = 0; j < out.length; j++, p += 2) out[j] = [nums[p], nums[p + 1]];
    return out;
  };
  const count = nums[p++];
  const hits = new Array(count);
  for (let i = 0; i < count; i++) {
    const score = nums[p++];
    const textScore = nums[p++];
    const vectorScore = nums[p++];
    const id = next();
    const title = next();
    const titleHighlights = ranges();
    const headings = new Array(nums[p++]);
    for (let j = 0; j < headings.length; j++) headings[j] = next();
    const flags = nums[p++];
    const url = flags & 1 ? next() : undefined;
    const image = flags & 2 ? next() : undefined;
    const snippetText = next();
    const highlights = ranges();
    const metadata = flags & 16 ? JSON.parse(next()) : undefined;
    // Keys in the documented order; absent options are left out, not undefined.
    const hit = { id, score };
    if (!Number.isNaN(textScore)) hit.textScore = textScore;
    if (!Number.isNaN(vectorScore)) hit.vectorScore = vectorScore;
    hit.title = title;
    hit.titleHighlights = titleHighlights;
    hit.headings = headings;
    if (url !== undefined) hit.url = url;
    if (image !== undefined) hit.image = image;
    hit.snippet = {
      text: snippetText,
      highlights,
      truncatedStart: (flags & 4) !== 0,
      truncatedEnd: (flags & 8) !== 0,
    };
    if (metadata !== undefined) hit.metadata = metadata;
    hits[i] = hit;
  }
  return hits;
}
