import { h } from 'preact';
import htm from 'htm';

/** Tagged-template views (no JSX step in the build): html`<div>${x}</div>`. */
export const html = htm.bind(h);
