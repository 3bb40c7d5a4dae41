/**
 * The frame every report page shares: one self-contained HTML document (inline CSS, inline SVG, no
 * scripts, no network), laid out for a 1400 px screen and for print (A4/Letter: charts scale down
 * and are never split across pages).
 */
import { ROLE } from "./palette.js";
import { escapeHtml } from "./svg.js";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:${ROLE.text};
max-width:1120px;margin:2em auto;padding:0 1.5em}
h1{font-size:1.5em;margin-bottom:.2em}
h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}
a{color:${ROLE.candidate}}
nav{font-size:.9em;margin-bottom:1em}
.verdict{display:inline-block;padding:.15em .6em;border-radius:1em;color:#fff;font-weight:600}
.pass{background:${ROLE.pass}}.fail{background:${ROLE.fail}}
.box{border-left:4px solid ${ROLE.fail};background:#fdf3ec;padding:.6em 1em;margin:1em 0}
.box h2{border:0;margin:.2em 0 .4em;font-size:1.05em}.box p{margin:.4em 0}
table{border-collapse:collapse;margin:.6em 0}
td,th{padding:.25em .6em;border-bottom:1px solid #eaeef2;text-align:right;font-variant-numeric:tabular-nums;
vertical-align:top}
th{text-align:left}td.model,td.text{text-align:left}
table.estimates th .note{font-weight:400;color:${ROLE.muted};font-size:.85em;min-width:20em;max-width:28em}
td.diag{font-size:.85em;color:${ROLE.muted};text-align:left;white-space:nowrap}
svg{display:block;max-width:100%;height:auto;margin:.4em 0}svg text{font:11px system-ui,sans-serif}
.tick{fill:${ROLE.muted}}.label{fill:${ROLE.text}}.strong{font-weight:600}
.small{font-size:10px}.grid{stroke:${ROLE.grid}}.undecided{fill:${ROLE.fail}}
svg text.small{font-size:10px}svg text.cell-label{font-size:11px;font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:.3em 1.2em;font-size:.9em}.key{white-space:nowrap}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;
margin-right:.35em;vertical-align:-.1em;border:1px solid rgba(0,0,0,.25)}
.muted{color:${ROLE.muted}}.flag{color:${ROLE.fail};font-weight:700}.nowrap{white-space:nowrap}
.trends{display:flex;flex-wrap:wrap;gap:1em 2em}.trends svg{margin:0}
footer{margin-top:2.5em;font-size:.85em;color:${ROLE.muted}}
@media print{body{max-width:none;margin:0;padding:0;font-size:11px}nav{display:none}
svg,table,.box{break-inside:avoid}h2{break-after:avoid}
td,th{padding:.2em .4em}table.estimates th .note{min-width:10em}td.diag,.nowrap{white-space:normal}}
`;

/** A whole page: `title` in the tab, `body` as given (already escaped HTML). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head><body>
${body}
<footer>Colours: the Okabe–Ito palette, readable with every common colour-vision deficiency; every colour also has a
label or a shape.
One self-contained file: no scripts, no network.</footer>
</body></html>
`;
}
