import { createHash } from 'node:crypto';

/** `.w1`…`.wN`: a run of N slots of the history strip (the CSP allows no style attributes). */
function stripWidths(slots: number): string {
  return Array.from({ length: slots }, (_, i) => `.w${i + 1}{flex:${i + 1}}`).join('');
}

/**
 * The one stylesheet of the status page, inline so the page needs no second request and no
 * external asset. Colours carry a word next to them everywhere, never meaning on their own.
 */
export const statusStyle = `
:root{color-scheme:light dark;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--none:#8c959f;--line:#d0d7de;--muted:#57606a}
@media(prefers-color-scheme:dark){:root{--ok:#3fb950;--warn:#d29922;--bad:#f85149;--line:#30363d;--muted:#9198a1}}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:64rem;padding:1rem}
h1{font-size:1.4rem;margin:0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}h3{font-size:1rem;margin:0}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between}
form{display:flex;gap:.4rem;align-items:center}input{font:inherit;padding:.3rem .5rem;min-width:0}
button{font:inherit;padding:.3rem .8rem}
article{border:1px solid var(--line);border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
ul{list-style:none;margin:.3rem 0 0;padding:0}li{margin:.35rem 0;overflow-wrap:anywhere}
.muted,.meta{color:var(--muted)}.meta{font-size:.9rem}
.state{display:inline-block;min-width:5.5rem;font-weight:600}
.healthy{color:var(--ok)}.degraded{color:var(--warn)}.down{color:var(--bad)}
.strip{display:flex;height:.6rem;margin-top:.25rem;border-radius:2px;overflow:hidden;background:var(--line)}
.strip i{display:block}.strip .h{background:var(--ok)}.strip .g{background:var(--warn)}.strip .d{background:var(--bad)}.strip .n{background:var(--line)}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.25rem .5rem .25rem 0;border-bottom:1px solid var(--line);vertical-align:top}
code,pre{font-family:ui-monospace,monospace;font-size:.85rem}pre{overflow-x:auto;padding:.5rem;border:1px solid var(--line);border-radius:4px;user-select:all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dd{margin:0}
.table{overflow-x:auto}
${stripWidths(48)}`;

/** For the Content-Security-Policy: this stylesheet and nothing else. */
export const statusStyleHash = `'sha256-${createHash('sha256').update(statusStyle).digest('base64')}'`;
