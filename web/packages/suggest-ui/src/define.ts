/** Registers the custom elements (importing the package does it once). */

import { ScrySearchElement } from './search.js';
import { ScrySuggestionsElement } from './suggestions.js';

/**
 * Defines `<scry-suggestions>` and `<scry-search>` in `registry` unless already defined.
 * The package's entry point calls it with the global registry.
 */
export function defineElements(registry: CustomElementRegistry = customElements): void {
  if (!registry.get('scry-suggestions')) {
    registry.define('scry-suggestions', ScrySuggestionsElement);
  }
  if (!registry.get('scry-search')) registry.define('scry-search', ScrySearchElement);
}

if (typeof customElements !== 'undefined') defineElements();
