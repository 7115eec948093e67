/**
 * The audit as one self-contained HTML page, for a reviewer: failures first by severity, each
 * with its resource, finding, fix, framework ids (linked), and, where the control compared
 * documents, its evidence as a diff from the live document to the intended one. No script, no
 * request anywhere (its Content-Security-Policy forbids both); passing controls are folded. Pure.
 */
import { diffLines } from 'diff';
import { frameworkLabel, frameworkUri } from '../frameworks.js';
import { byAttention } from '../run.js';
import type { AuditReport, AuditResult, Control, Evidence } from '../types.js';
import { SECTIONS, SERVICE_TITLES, severityCounts } from './sections.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every text that reaches the page goes through here: policies and findings hold what anyone wrote. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Objects with their keys sorted, so the diff shows what differs, not the order AWS returned it in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const pretty = (value: unknown) => `${JSON.stringify(canonical(value ?? null), null, 2)}\n`;

/** Unchanged runs longer than this are folded to their first and last lines. */
const CONTEXT = 3;

export interface DiffLine {
  kind: 'same' | 'live' | 'intended' | 'folded';
  text: string;
}

/** The live document against the intended one, line by line: '-' is only live, '+' only intended. */
export function evidenceDiff(evidence: Evidence): DiffLine[] {
  const out: DiffLine[] = [];
  const parts = diffLines(pretty(evidence.live), pretty(evidence.intended));
  parts.forEach((part, index) => {
    const lines = part.value.replace(/\n$/, '').split('\n');
    if (part.added || part.removed) {
      for (const text of lines) out.push({ kind: part.added ? 'intended' : 'live', text });
      return;
    }
    const keepHead = index === 0 ? 0 : CONTEXT;
    const keepTail = index === parts.length - 1 ? 0 : CONTEXT;
    if (lines.length <= keepHead + keepTail + 1) {
      for (const text of lines) out.push({ kind: 'same', text });
      return;
    }
    for (const text of lines.slice(0, keepHead)) out.push({ kind: 'same', text });
    out.push({ kind: 'folded', text: `${lines.length - keepHead - keepTail} unchanged lines` });
    for (const text of lines.slice(lines.length - keepTail)) out.push({ kind: 'same', text });
  });
  return out;
}

const MARK = { same: ' ', live: '-', intended: '+', folded: '…' } as const;

function evidenceBlock(evidence: Evidence): string {
  const lines = evidenceDiff(evidence)
    .map((l) => `<span class="line ${l.kind}">${MARK[l.kind]} ${escapeHtml(l.text)}</span>`)
    .join('');
  return `<figure class="evidence"><figcaption>Evidence: the ${escapeHtml(evidence.what)}, <span class="live">- live</span> against <span class="intended">+ intended</span></figcaption><pre class="diff">${lines}</pre></figure>`;
}

function frameworks(result: AuditResult): string {
  if (result.frameworks.length === 0) return '';
  const items = result.frameworks.map((ref) => {
    const uri = frameworkUri(ref);
    const label = escapeHtml(frameworkLabel(ref));
    return uri ? `<a href="${escapeHtml(uri)}" rel="noreferrer">${label}</a>` : label;
  });
  return `<dt>Frameworks</dt><dd class="frameworks">${items.join(', ')}</dd>`;
}

function article(r: AuditResult): string {
  const rows = [
    `<dt>Resource</dt><dd><code>${escapeHtml(r.resource)}</code></dd>`,
    `<dt>${r.status === 'ERROR' ? 'Why' : 'Finding'}</dt><dd class="detail">${escapeHtml(r.detail)}</dd>`,
    r.status === 'FAIL' || r.status === 'ERROR' ? `<dt>Fix</dt><dd class="fix">${escapeHtml(r.remediation)}</dd>` : '',
    r.status === 'MUTED' && r.mute ? `<dt>Muted</dt><dd>until ${escapeHtml(r.mute.expires)}: ${escapeHtml(r.mute.reason)}</dd>` : '',
    frameworks(r),
  ].join('');
  return [
    `<article class="result" id="control-${escapeHtml(r.id)}" data-status="${escapeHtml(r.status)}" data-severity="${escapeHtml(r.severity)}">`,
    `<h3><span class="status">${escapeHtml(r.status)}</span> <span class="severity ${escapeHtml(r.severity)}">${escapeHtml(r.severity)}</span> <code class="id">${escapeHtml(r.id)}</code> ${escapeHtml(r.title)}</h3>`,
    `<dl>${rows}</dl>`,
    r.evidence && r.status === 'FAIL' ? evidenceBlock(r.evidence) : '',
    '</article>',
  ].join('');
}

function passedSection(passed: AuditResult[], controls: readonly Control[]): string {
  if (passed.length === 0) return '';
  const serviceOf = new Map(controls.map((c) => [c.id, c.service]));
  const groups = (Object.keys(SERVICE_TITLES) as Control['service'][]).flatMap((service) => {
    const inService = passed.filter((r) => serviceOf.get(r.id) === service);
    if (inService.length === 0) return [];
    const items = inService.map((r) => `<li data-status="PASS"><code class="id">${escapeHtml(r.id)}</code> ${escapeHtml(r.title)}: <span class="detail">${escapeHtml(r.detail)}</span></li>`);
    return [`<h3>${SERVICE_TITLES[service]}</h3><ul>${items.join('')}</ul>`];
  });
  return `<section id="passed"><details><summary><h2>Passed (${passed.length})</h2></summary>${groups.join('')}</details></section>`;
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#fff;--card:#f6f8fa;--del:#ffebe9;--ins:#dafbe1}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--bg:#0d1117;--card:#151b23;--del:#4b1113;--ins:#12361f}}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:1.5em;margin:0 0 4px}h1 code{font-size:1em}h2{font-size:1.2em;margin:28px 0 8px;display:inline-block}h3{font-size:1em;margin:0 0 8px}
.where,.footer{color:var(--muted)}.summary span{display:inline-block;margin-right:12px}
.result{border:1px solid var(--line);border-left-width:6px;border-radius:6px;background:var(--card);padding:12px 16px;margin:10px 0;break-inside:avoid}
.result[data-status=FAIL]{border-left-color:#cf222e}.result[data-status=ERROR]{border-left-color:#8250df}.result[data-status=MUTED],.result[data-status=SKIP]{border-left-color:#8c959f}
.status{font-weight:700}.severity{border-radius:10px;padding:0 8px;font-size:.85em;color:#fff;background:#6e7781}
.severity.critical{background:#a40e26}.severity.high{background:#cf222e}.severity.medium{background:#9a6700}.severity.low{background:#0969da}
dl{display:grid;grid-template-columns:7em 1fr;gap:2px 12px;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;overflow-wrap:anywhere}
figure.evidence{margin:10px 0 0}figcaption{color:var(--muted);font-size:.9em}
pre.diff{font:12px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:8px;overflow-x:auto;white-space:pre}
.line{display:block}.line.live{background:var(--del)}.line.intended{background:var(--ins)}.line.folded{color:var(--muted);font-style:italic}
figcaption .live{background:var(--del)}figcaption .intended{background:var(--ins)}
summary{cursor:pointer}summary h2{margin:20px 0 8px}ul{margin:4px 0 12px}
@media print{details{display:block}body{max-width:none}}
`;

export function renderHtml(report: AuditReport, controls: readonly Control[]): string {
  const s = report.summary;
  const failed = report.results.filter((r) => r.status === 'FAIL');
  const title = `bridge audit: ${report.stack} in ${report.region}: ${s.fail} failed`;
  const sections = SECTIONS.flatMap(({ status, title: heading }) => {
    const results = report.results.filter((r) => r.status === status).sort(byAttention);
    if (results.length === 0) return [];
    return [`<section id="${status.toLowerCase()}"><h2>${heading} (${results.length})</h2>${results.map(article).join('')}</section>`];
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // Self-contained and inert: no script runs, nothing is fetched.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>`,
    `<header><h1>bridge audit: stack <code>${escapeHtml(report.stack)}</code></h1>`,
    `<p class="where">${escapeHtml(report.region)}, account ${escapeHtml(report.account)}, read at ${escapeHtml(report.generatedAt)}</p>`,
    `<p class="summary"><span><b>${s.fail}</b> failed</span><span><b>${s.error}</b> could not be judged</span><span><b>${s.pass}</b> passed</span><span><b>${s.skip}</b> skipped</span>${s.muted ? `<span><b>${s.muted}</b> muted</span>` : ''}</p>`,
    failed.length > 0 ? `<p class="closing"><b>Failed (${failed.length}): ${severityCounts(failed)}</b></p>` : '<p class="closing"><b>Nothing failed.</b></p>',
    '</header><main>',
    ...sections,
    passedSection(
      report.results.filter((r) => r.status === 'PASS'),
      controls,
    ),
    '</main>',
    `<footer class="footer"><p>bridge ${escapeHtml(report.bridgeVersion)}, report schema ${report.schemaVersion}. The evidence shows documents and settings only, never a secret.</p></footer>`,
    '</body></html>',
    '',
  ].join('\n');
}
