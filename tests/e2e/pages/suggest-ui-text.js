// Text collection page: the Node.js API module intros plus one hostile document.
import { start } from './suggest-ui-page.js';

/** A document made of markup that must show as literal text and never run. */
const HOSTILE = {
  id: 'hostile-probe',
  title: 'Escaping probe <img src=x onerror="window.__pwned=1">',
  body: 'Hostile markup <script>window.__pwned=1</script> must be shown as plain text. <b>not bold</b> &amp; <i>not italic</i>',
  url: 'javascript:window.__pwned=1',
  // A remote thumbnail would tell its host what was searched: refused without opt-in.
  metadata: { image: 'https://tracker.example/pixel.png' },
};

await start({
  name: 'suggest-ui-text',
  collectionUrl: '/tests/fixtures/node-docs-sample.json',
  extra: [HOSTILE],
});
