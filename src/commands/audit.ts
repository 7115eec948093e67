/** `bridge audit`: judge every control of the stack; --fix re-applies through setup's code and judges again. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { explain, explanationLines, isPrincipalName } from '../access/explain.js';
import { principals } from '../access/table.js';
import { liveAccessTable, livePolicies } from '../audit/controls/access.js';
import { gatherAwsOpinions } from '../audit/aws-opinions.js';
import { awsCheckControls } from '../audit/controls/aws-checks.js';
import { CONTROLS } from '../audit/controls/index.js';
import { renderHtml } from '../audit/report/html.js';
import { renderMarkdown } from '../audit/report/markdown.js';
import { renderSarif } from '../audit/report/sarif.js';
import { renderTable } from '../audit/report/table.js';
import { auditReport, failingAtOrAbove, summarize } from '../audit/run.js';
import { gatherSnapshot } from '../audit/snapshot.js';
import type { AuditReport, Control } from '../audit/types.js';
import { BridgeError, ExitCode, UsageError } from '../errors.js';
import type { Ui } from '../output.js';
import { STACK_RESOURCES } from '../resources/index.js';
import { isStackOwned, type StackContext } from '../resources/types.js';
import { VERSION } from '../version.js';
import { applyFix, confirmFix, planFix, planLines, refuseCreation } from './audit-fix.js';
import { forgetReads, lockStack, releaseLock, stackContext, withStack } from './context.js';
import type { AuditFormat, AuditOptions, PreparedAudit } from './audit-options.js';
import { applyMutelist, readMutelist, type MuteEntry } from '../audit/mutelist.js';
import { selectControls } from '../audit/select.js';

export interface RenderOptions {
  failuresOnly?: boolean;
  sarifLocation?: string | undefined;
  /** The terminal's columns, when the report goes to one. */
  width?: number | undefined;
}

export function renderReport(report: AuditReport, format: AuditFormat, ui: Ui, controls: readonly Control[] = CONTROLS, options: RenderOptions = {}): string {
  const { failuresOnly = false, sarifLocation, width } = options;
  // For people only: the machine formats keep every result (SARIF lists failures anyway).
  const shown = failuresOnly ? { ...report, results: report.results.filter((r) => r.status === 'FAIL' || r.status === 'ERROR') } : report;
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'sarif':
      return `${JSON.stringify(renderSarif(report, controls, { version: VERSION, ...(sarifLocation ? { location: sarifLocation } : {}) }), null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(shown);
    case 'html':
      return renderHtml(shown, controls);
    case 'table':
      return `${renderTable(shown, controls, ui.chalk, { verbose: ui.options.verbose, ...(width ? { width } : {}) }).join('\n')}\n`;
  }
}

/** The catalogue, with the second opinion of AWS's engines when asked for. */
function catalogue(awsChecks: boolean): readonly Control[] {
  return awsChecks ? [...CONTROLS, ...awsCheckControls] : CONTROLS;
}

interface Judging {
  controls: readonly Control[];
  awsChecks: boolean;
  mutes: readonly MuteEntry[];
  fixing: boolean;
}

async function audit(ctx: StackContext, judging: Judging, ui: Ui) {
  const { awsChecks } = judging;
  const snapshot: Awaited<ReturnType<typeof gatherSnapshot>> = await gatherSnapshot(ctx);
  // What the stack owns is what teardown would remove; account-wide settings do not count.
  const nothing = STACK_RESOURCES.filter(isStackOwned).every((r) => snapshot.state.lives.get(r.kind) == null);
  if (nothing && snapshot.errors.size === 0) {
    // --fix never builds a stack: that is a usage error, as the plan of a missing one would be.
    const NotFound = judging.fixing ? UsageError : BridgeError;
    throw new NotFound(`stack ${ctx.config.stack} was not found in ${ctx.config.region} (account ${ctx.names.account}): run bridge setup first, or give the right --stack and --region`);
  }
  if (awsChecks) {
    ui.working("asking IAM's policy simulator and IAM Access Analyzer");
    snapshot.aws = await gatherAwsOpinions(ctx, snapshot);
    for (const outcome of Object.values(snapshot.aws)) {
      if (outcome.status === 'unavailable') ui.err(`${ui.chalk.yellow('note:')} ${outcome.reason}: its controls are skipped, the audit goes on`);
    }
  }
  const judged = auditReport({ stack: ctx.config.stack, region: ctx.config.region, account: ctx.names.account }, judging.controls, snapshot);
  const results = applyMutelist(judged.results, judging.mutes, snapshot.now);
  return { snapshot, report: { ...judged, results, summary: summarize(results) } };
}

/** --explain: one request over the live policies, with the decision's path; exit 3 when not as intended. */
async function runExplain(ctx: StackContext, request: string[], ui: Ui): Promise<number> {
  const [principal, action, resource] = request as [string, string, string];
  if (!isPrincipalName(principal, ctx.names)) {
    throw new UsageError(`--explain: unknown principal '${principal}': use one of ${Object.keys(principals(ctx.names)).join(', ')}`);
  }
  const snapshot = await gatherSnapshot(ctx);
  const rows = liveAccessTable(snapshot);
  if (!rows) throw new BridgeError(`stack ${ctx.config.stack} is not complete in ${ctx.config.region} (no key or no API): run bridge setup first`);
  const explanation = explain(rows, ctx.names, livePolicies(snapshot), principal, action, resource);
  ui.idle();
  if (ui.options.json) ui.json(explanation);
  else explanationLines(explanation).forEach((line) => ui.out(line));
  if (explanation.verdict.decision === 'cannot-judge') return ExitCode.failure;
  return explanation.row && explanation.verdict.decision !== explanation.row.intended ? ExitCode.auditFailed : ExitCode.ok;
}

export async function runAudit(prepared: PreparedAudit, options: AuditOptions, ui: Ui): Promise<number> {
  const { config } = prepared;
  if (options.fromFunction) return runHandBuiltAudit(prepared, options, ui);
  const request = options.explain;
  if (request) {
    return withStack(config, {}, ui, async (ctx) => {
      ui.working(`explaining for stack ${config.stack}`);
      return runExplain(ctx, request, ui);
    });
  }
  const { lockTimeoutMs } = prepared;
  // Checked against the catalogue before any AWS call: a misspelt id is a usage error, nothing read.
  const awsChecks = options.awsChecks === true;
  const all = catalogue(awsChecks);
  const controls = selectControls(all, { only: options.controls, except: options.excludeControls, severities: options.severity });
  // One mutelist serves audits with and without --aws-checks: its ids are checked against both.
  const mutes = options.mutelist ? readMutelist(options.mutelist, catalogue(true).map((c) => c.id)) : [];
  const judging: Judging = { controls, awsChecks, mutes, fixing: options.fix === true };
  return withStack(config, {}, ui, async (ctx, held) => {
    ui.working(`auditing stack ${config.stack}`);
    let { report } = await audit(ctx, judging, ui);
    ui.idle();
    if (options.fix && report.summary.fail > 0) {
      // Fixing changes the stack: under its lock (a dry run changes nothing and takes none), judged
      // again there, as another run may have changed it; the fix applies with what that read learned.
      if (!options.dryRun) held.lock = await lockStack(ctx, 'audit --fix', lockTimeoutMs, ui);
      forgetReads(ctx);
      const underLock = await audit(ctx, judging, ui);
      report = underLock.report;
      ui.idle();
      const before = report.summary;
      ui.err(ui.chalk.bold(`Before: ${before.pass} passed, ${before.fail} failed, ${before.error} errors.`));
      const plan = planFix(ctx, report, all, underLock.snapshot.state);
      for (const line of planLines(plan, ui)) ui.err(line);
      refuseCreation(plan, ctx);
      if (options.dryRun) {
        ui.err('--dry-run: nothing was changed');
      } else if (plan.changes.length > 0) {
        if (!options.yes) await confirmFix(ui.io, ui);
        await applyFix(ctx, plan, underLock.snapshot.state, ui);
        ({ report } = await audit({ ...ctx, refs: {} }, judging, ui));
        ui.err(ui.chalk.bold(`After: ${report.summary.pass} passed, ${report.summary.fail} failed, ${report.summary.error} errors.`));
      }
      await releaseLock(held.lock, ui);
      delete held.lock;
    }
    return writeReports(report, prepared, options, controls, ui);
  }, { tagIndex: true });
}

/**
 * `audit --from-function NAME`: a data bridge bridge did not build, found from its function and
 * judged with the same catalogue; read calls only. Same formats, exit codes and --fail-on.
 */
async function runHandBuiltAudit(prepared: PreparedAudit, options: AuditOptions, ui: Ui): Promise<number> {
  const { discoverHandBuilt } = await import('../audit/hand-built/discover.js');
  const { handBuiltReport } = await import('../audit/hand-built/checks.js');
  const ctx = await stackContext(prepared.config, {}, ui);
  try {
    const name = options.fromFunction as string;
    ui.progress(`Function ${ui.chalk.bold(name)} in ${prepared.config.region} (account ${ctx.names.account}): a data bridge bridge did not build`);
    ui.working(`finding what function ${name} is part of`);
    const found = await discoverHandBuilt(ctx, { functionName: name, ...(options.operatorsGroup ? { operatorsGroup: options.operatorsGroup } : {}), ...(options.operatorsUser ? { operatorsUser: options.operatorsUser } : {}) });
    ui.idle();
    ui.err(ui.chalk.bold('Found (read only, nothing changed):'));
    for (const line of found.discovered) ui.err(`  ${line}`);
    const controls = selectControls(CONTROLS, { only: options.controls, except: options.excludeControls, severities: options.severity });
    const judged = handBuiltReport(found, controls);
    const mutes = options.mutelist ? readMutelist(options.mutelist, catalogue(true).map((c) => c.id)) : [];
    const results = applyMutelist(judged.results, mutes, found.now);
    return writeReports({ ...judged, results, summary: summarize(results) }, prepared, options, controls, ui);
  } finally {
    ui.idle();
    ctx.aws.destroy();
  }
}

/** Writes every format where it goes, and answers the exit code: incomplete (1), failing (3), or 0. */
function writeReports(report: AuditReport, prepared: PreparedAudit, options: AuditOptions, controls: readonly Control[], ui: Ui): number {
  const { outputs, failOn } = prepared;
  const s = report.summary;
  for (const output of outputs) {
    const stdout = ui.io.stdout as { isTTY?: boolean; columns?: number };
    const text = renderReport(report, output.format, ui, controls, {
      failuresOnly: options.failuresOnly === true,
      sarifLocation: prepared.sarifLocation,
      width: !output.path && stdout.isTTY ? stdout.columns : undefined,
    });
    if (output.path) {
      mkdirSync(dirname(output.path), { recursive: true });
      // A file is no terminal: no colour codes in it.
      writeFileSync(output.path, ui.clean(stripVTControlCharacters(text)));
      ui.err(`wrote ${output.format} to ${output.path}: ${s.pass} passed, ${s.fail} failed, ${s.error} errors`);
    } else {
      // The report is the result: on stdout even in table form (stdout holds it alone under --json).
      ui.io.stdout.write(ui.clean(text));
    }
  }
  if (outputs.some((o) => o.format === 'sarif') && !prepared.sarifLocation) {
    ui.err(`${ui.chalk.yellow('note:')} GitHub code scanning refuses SARIF results without a file of the repository: give --sarif-location PATH (the workflow that runs the audit, say) or keep a bridge.config.json`);
  }
  // Incomplete is worse than failing: an unjudged control outranks every FAIL in the exit code.
  if (report.summary.error > 0) {
    const failing = failingAtOrAbove(report.results, failOn).length;
    ui.err(
      `${ui.chalk.red('error:')} the audit is incomplete: ${report.summary.error} control${report.summary.error === 1 ? '' : 's'} could not be judged (ERROR)` +
        `${failing > 0 ? `, besides ${failing} failing` : ''}; exit 1. Fix the access or the fault each names and audit again`,
    );
    return ExitCode.failure;
  }
  if (failingAtOrAbove(report.results, failOn).length > 0) return ExitCode.auditFailed;
  return ExitCode.ok;
}
