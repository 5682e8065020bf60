// Test page for tests/e2e/model.test.mjs: exposes the built package to page.evaluate().
import * as scry from '/web/packages/scry/dist/index.js';

window.scry = scry;
document.body.dataset.ready = 'true';
