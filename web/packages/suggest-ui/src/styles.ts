/**
 * The elements' styles, adopted as constructable stylesheets (CSP `style-src 'self'` allows
 * them; `<style>` elements and `style` attributes it would block). Everything themeable is a
 * `--scry-*` custom property read here with its default; README.md lists them.
 */

/** Theme tokens: public `--scry-*` properties resolved once into private `--_*` ones. */
const TOKENS = /* css */ `
:host {
  --_font: var(--scry-font, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
  --_font-size: var(--scry-font-size, 15px);
  --_bg: var(--scry-bg, #ffffff);
  --_fg: var(--scry-fg, #1f2328);
  --_muted: var(--scry-muted, #656d76);
  --_border: var(--scry-border, #d8dee4);
  --_accent: var(--scry-accent, #4f46e5);
  --_accent-soft: var(--scry-accent-soft, color-mix(in srgb, var(--_accent) 12%, transparent));
  --_radius: var(--scry-radius, 10px);
  --_chip-bg: var(--scry-chip-bg, #f6f8fa);
  --_chip-hover-bg: var(--scry-chip-hover-bg, color-mix(in srgb, var(--_accent) 8%, var(--_chip-bg)));
  --_hover-bg: var(--scry-hover-bg, #f6f8fa);
  --_mark-bg: var(--scry-mark-bg, #fff1a8);
  --_mark-fg: var(--scry-mark-fg, inherit);
  --_error: var(--scry-error, #cf222e);
  --_thumb: var(--scry-thumb-size, 30px);
  --_result-thumb: var(--scry-result-thumb-size, 56px);
  --_gap: var(--scry-gap, 8px);
  font-family: var(--_font);
  font-size: var(--_font-size);
  line-height: 1.45;
  color: var(--_fg);
}
`;

/** `<scry-suggestions>`: a label and a wrapping row of pill-shaped chips. */
export const SUGGESTIONS_CSS =
  TOKENS +
  /* css */ `
:host { display: block; }
:host([hidden]), :host([empty]) { display: none; }
.label {
  margin: 0 0 calc(var(--_gap) * 0.75);
  font-size: 0.8em;
  font-weight: 600;
  color: var(--_muted);
}
.row {
  display: flex;
  flex-wrap: wrap;
  gap: var(--_gap);
  transition: opacity 150ms ease;
}
.row[aria-busy='true'] { opacity: 0.5; }
.chip {
  appearance: none;
  box-sizing: border-box;
  display: inline-flex;
  align-items: center;
  gap: 10px;
  max-width: 100%;
  min-height: calc(var(--_thumb) + 10px);
  margin: 0;
  padding: 4px 14px 4px 5px;
  border: 1px solid var(--_border);
  border-radius: 999px;
  background: var(--_chip-bg);
  color: var(--_fg);
  font: inherit;
  text-align: start;
  cursor: pointer;
  transition: background-color 120ms ease, border-color 120ms ease, box-shadow 120ms ease,
    transform 80ms ease;
}
.chip.text-only { padding-inline-start: 14px; }
.chip:hover {
  background: var(--_chip-hover-bg);
  border-color: color-mix(in srgb, var(--_accent) 45%, var(--_border));
  box-shadow: 0 1px 3px rgb(0 0 0 / 0.08);
}
.chip:active { transform: scale(0.98); }
.chip:focus { outline: none; }
.chip:focus-visible {
  outline: 2px solid var(--_accent);
  outline-offset: 2px;
}
.thumbs { display: inline-flex; flex: none; }
.thumb {
  box-sizing: border-box;
  width: var(--_thumb);
  height: var(--_thumb);
  border: 2px solid var(--_chip-bg);
  border-radius: 50%;
  object-fit: cover;
  background: var(--_border);
}
.thumb + .thumb { margin-inline-start: calc(var(--_thumb) * -0.35); }
.thumb.broken { display: none; }
.text { display: flex; flex-direction: column; min-width: 0; }
.query { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.base { color: var(--_muted); }
.added { font-weight: 700; color: var(--_fg); }
.titles {
  display: block;
  max-width: 24em;
  overflow: hidden;
  white-space: nowrap;
  text-overflow: ellipsis;
  font-size: 0.78em;
  color: var(--_muted);
}
.title + .title::before { content: ' · '; }
.count {
  flex: none;
  min-width: 1.4em;
  padding: 1px 7px;
  border-radius: 999px;
  background: var(--_accent-soft);
  color: var(--_accent);
  font-size: 0.75em;
  font-weight: 600;
  text-align: center;
  font-variant-numeric: tabular-nums;
}
@media (prefers-reduced-motion: reduce) {
  .row, .chip { transition: none; }
}
`;

/** `<scry-search>`: the search box, the status line, the chips and the results. */
export const SEARCH_CSS =
  TOKENS +
  /* css */ `
:host { display: block; background: var(--_bg); }
:host([hidden]) { display: none; }
.box { position: relative; display: flex; align-items: center; }
.icon {
  position: absolute;
  inset-inline-start: 14px;
  width: 18px;
  height: 18px;
  color: var(--_muted);
  pointer-events: none;
}
.input {
  box-sizing: border-box;
  width: 100%;
  margin: 0;
  padding: 12px 44px 12px 42px;
  border: 1px solid var(--_border);
  border-radius: var(--_radius);
  background: var(--_bg);
  color: var(--_fg);
  font: inherit;
  font-size: 1.05em;
  box-shadow: 0 1px 2px rgb(0 0 0 / 0.04);
  transition: border-color 120ms ease, box-shadow 120ms ease;
}
.input::placeholder { color: var(--_muted); opacity: 0.8; }
.input:focus {
  outline: none;
  border-color: var(--_accent);
  box-shadow: 0 0 0 3px var(--_accent-soft);
}
.spinner {
  position: absolute;
  inset-inline-end: 16px;
  width: 14px;
  height: 14px;
  border: 2px solid var(--_border);
  border-top-color: var(--_accent);
  border-radius: 50%;
  visibility: hidden;
  animation: spin 700ms linear infinite;
}
.root.busy .spinner { visibility: visible; }
@keyframes spin { to { transform: rotate(360deg); } }
.status {
  min-height: 1.45em;
  margin: 8px 4px;
  font-size: 0.82em;
  color: var(--_muted);
}
.status.error { color: var(--_error); }
.suggestions { margin: 0 0 12px; padding: 0 2px; }
.results {
  display: flex;
  flex-direction: column;
  gap: 2px;
  margin: 0;
  padding: 0;
  list-style: none;
}
.more {
  align-self: center;
  margin: 8px auto 0;
  padding: 6px 14px;
  font: inherit;
  color: var(--_accent);
  background: none;
  border: 1px solid currentColor;
  border-radius: var(--_radius);
  cursor: pointer;
}
.more[hidden] { display: none; }
.more:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.hit {
  position: relative;
  display: grid;
  grid-template-columns: minmax(0, 1fr);
  gap: 14px;
  padding: 10px 12px;
  border-radius: var(--_radius);
  transition: background-color 120ms ease;
}
.hit.has-image { grid-template-columns: var(--_result-thumb) minmax(0, 1fr); }
.hit:hover, .hit:focus-within { background: var(--_hover-bg); }
.hit-image {
  width: var(--_result-thumb);
  height: var(--_result-thumb);
  border-radius: calc(var(--_radius) * 0.7);
  object-fit: cover;
  background: var(--_border);
}
.hit-image.broken { visibility: hidden; }
.hit-body { min-width: 0; }
.hit-title {
  appearance: none;
  display: inline;
  margin: 0;
  padding: 0;
  border: 0;
  background: none;
  color: var(--_accent);
  font: inherit;
  font-weight: 600;
  text-align: start;
  text-decoration: none;
  cursor: pointer;
}
.hit-title::after { content: ''; position: absolute; inset: 0; border-radius: var(--_radius); }
.hit-title:hover { text-decoration: underline; }
.hit-title:focus { outline: none; }
.hit-title:focus-visible::after { outline: 2px solid var(--_accent); outline-offset: -2px; }
.hit-meta {
  overflow: hidden;
  white-space: nowrap;
  text-overflow: ellipsis;
  font-size: 0.8em;
  color: var(--_muted);
}
.hit-snippet {
  margin: 3px 0 0;
  color: color-mix(in srgb, var(--_fg) 85%, var(--_bg));
  font-size: 0.92em;
  overflow-wrap: anywhere;
}
mark {
  padding: 0 1px;
  border-radius: 3px;
  background: var(--_mark-bg);
  color: var(--_mark-fg);
}
@media (prefers-reduced-motion: reduce) {
  .input, .hit { transition: none; }
  .spinner { animation-duration: 2s; }
}
`;
