// Image collection page: captioned scikit-image samples (tests/fixtures/images, made by
// scripts/fixtures/images.py); thumbnails come from each document's metadata.image.
import { start } from './suggest-ui-page.js';

await start({
  name: 'suggest-ui-image',
  collectionUrl: '/tests/fixtures/images/collection.json',
});
