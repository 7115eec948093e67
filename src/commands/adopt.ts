/**
 * `bridge adopt --from-function NAME --stack S`: the move from a data bridge built by hand to a
 * bridge stack beside it. The plan first (the new stack as setup makes it; the source URL and key
 * from the old function, the key into SSM and never printed; the old bucket's objects to copy,
 * counted; what would be retired of the old stack, each reversible), then, confirmed, the stack,
 * the copies (verified by SHA-256), the retirements with --retire-old, and both stacks audited.
 * Old data is never deleted.
 */
import { handlerBundle } from '../bundle.js';
import { applyStack, planResult, planStack, readStack } from '../engine.js';
import { BridgeError, ExitCode, UsageError } from '../errors.js';
import type { Io, Ui } from '../output.js';
import { typedConfirmation } from '../prompt.js';
import { renderPlan } from '../render/plan.js';
import { STACK_RESOURCES } from '../resources/index.js';
import { Secret } from '../secret.js';
import { validateSourceUrl } from '../validate.js';
import { discoverHandBuilt } from '../audit/hand-built/discover.js';
import { handBuiltReport } from '../audit/hand-built/checks.js';
import { CONTROLS } from '../audit/controls/index.js';
import { auditReport } from '../audit/run.js';
import { gatherSnapshot } from '../audit/snapshot.js';
import { adoptedKey, chooseSource, retirementPlan } from '../adopt/plan.js';
import { copyVerified, currentObjects, retire, type CopiedObject } from '../adopt/apply.js';
import { forgetReads, lockStack, withStack } from './context.js';
import { readLock } from '../lock.js';
import { summaryLine } from '../audit/report/table.js';
import type { PreparedAdopt, AdoptOptions } from './options.js';

const human = (bytes: number) => (bytes < 1024 ? `${bytes} bytes` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`);

export async function runAdopt(prepared: PreparedAdopt, options: AdoptOptions, io: Io, ui: Ui): Promise<number> {
  const { config } = prepared;
  const bundle = handlerBundle();
  bundle.catch(() => {});
  return withStack(config, {}, ui, async (ctx, held) => {
    ctx.inputs.bundle = await bundle;
    const name = options.fromFunction;
    ui.working(`finding what function ${name} is part of`);
    const old = await discoverHandBuilt(ctx, { functionName: name });
    // A plan made on part of the old stack would copy too little and retire too little: stop.
    if (old.errors.size > 0) {
      throw new BridgeError(`could not read all of ${name}'s stack (${[...old.errors].map(([part, why]) => `${part}: ${why}`).join('; ')}): nothing was changed; give these credentials read access to it and run adopt again`);
    }
    const source = chooseSource(old.function.environment, { urlVariable: options.sourceUrlVar, keyVariable: options.sourceKeyVar }, true);
    const key = source.keyVariable ? new Secret(old.function.environment[source.keyVariable] as string) : null;
    if (key) {
      ui.redact(key.reveal());
      ctx.inputs.apiKey = key;
    }
    // A key in the URL's query (?appid=KEY) is not sent along: the function adds it from SSM, under the same name.
    const url = new URL(source.url);
    for (const [param, value] of [...url.searchParams]) {
      if (!key || value !== key.reveal()) continue;
      url.searchParams.delete(param);
      config.source.keyPlacement ??= { in: 'query', name: param };
    }
    config.source.url ??= validateSourceUrl(url.toString());

    ui.working(`planning stack ${config.stack}`);
    const seen = await readLock(ctx);
    let state = await readStack(ctx, STACK_RESOURCES);
    if (!key && !state.lives.get('source-api-key')) {
      throw new UsageError(`${name}'s environment holds no source key, and stack ${config.stack} has none stored: give --source-key-var NAME`);
    }
    const plan = planStack(ctx, STACK_RESOURCES, state);
    const objects = await currentObjects(ctx, old.buckets.map((b) => b.name));
    const bytes = objects.reduce((sum, o) => sum + o.size, 0);
    const retirements = retirementPlan(old, source, ctx.names.parameterName);
    ui.idle();

    const meta = { stack: config.stack, region: config.region, account: ctx.names.account, dryRun: options.dryRun === true };
    const planned = {
      ...meta,
      from: { function: old.function.arn, discovered: old.discovered },
      source: { url: config.source.url, urlFrom: source.urlVariable, keyFrom: source.keyVariable, keyTo: ctx.names.parameterName },
      setup: planResult(ctx, STACK_RESOURCES, plan),
      copy: { objects: objects.length, bytes, to: `s3://${ctx.names.bucket}/${config.dataPrefix}adopted/`, items: objects.map((o) => ({ from: `s3://${o.bucket}/${o.key}`, to: `s3://${ctx.names.bucket}/${adoptedKey(config.dataPrefix, o.bucket, o.key)}`, bytes: o.size })) },
      retire: retirements.map((r) => ({ step: r.step, resource: r.resource, undo: r.undo, applied: false })),
    };
    const c = ui.chalk;
    const planLines = [
      c.bold(`Adopt ${old.function.name} as stack ${config.stack} in ${config.region} (account ${ctx.names.account})`),
      '',
      c.bold('Found (read only):'),
      ...old.discovered.map((line) => `  ${line}`),
      '',
      c.bold('Source:'),
      `  URL from ${source.urlVariable}: ${config.source.url}`,
      source.keyVariable ? `  key from ${source.keyVariable} (not shown) into SSM ${ctx.names.parameterName}, encrypted with the stack key` : `  key: the one stack ${config.stack} holds in SSM ${ctx.names.parameterName}`,
      '',
      c.bold(`The new stack (as bridge setup makes it):`),
      ...renderPlan({ ...meta, dryRun: true }, planned.setup, c, { heading: false }).filter((line) => !/^Plan: |^Resources:|^ {2}\S+ +\S+ +arn:/.test(line) && line.trim() !== ''),
      '',
      c.bold(`Data: copy ${objects.length} object${objects.length === 1 ? '' : 's'} (${human(bytes)}) to ${planned.copy.to}, each verified by SHA-256; the old ones stay`),
      ...planned.copy.items.slice(0, 10).map((item) => `  ${item.from} -> ${item.to} (${human(item.bytes)})`),
      ...(objects.length > 10 ? [`  and ${objects.length - 10} more`] : []),
      '',
      c.bold(`Retire from the old stack (${options.retireOld ? 'with --retire-old: will be done' : 'only with --retire-old; shown, not done'}):`),
      ...retirements.flatMap((r) => [`  ${r.step}`, c.dim(`    undo: ${r.undo}`)]),
    ];
    if (options.dryRun) {
      if (ui.options.json) ui.json(planned);
      else planLines.forEach((line) => ui.out(line));
      return ExitCode.ok;
    }
    if (!ui.options.json) planLines.forEach((line) => ui.err(line));
    if (!options.yes) {
      const typed = await typedConfirmation(io, `\nType yes to build stack ${config.stack}${objects.length > 0 ? ', copy the data' : ''}${options.retireOld ? ' and retire the old stack\'s parts above' : ''}: `, 'yes', 'cancelled, nothing was changed');
      if (!typed) throw new UsageError('adopt was not confirmed: nothing was changed');
    }

    // Changes to make: under the stack's lock, and read again there where another run may have been.
    if (plan.some((change) => change.action !== 'noop') || objects.length > 0 || options.retireOld) {
      const lock = (held.lock = await lockStack(ctx, 'adopt', prepared.lockTimeoutMs, ui, seen));
      if (!lock.fresh) {
        forgetReads(ctx);
        state = await readStack(ctx, STACK_RESOURCES);
        planStack(ctx, STACK_RESOURCES, state);
      }
    }
    ui.working(`building stack ${config.stack}`);
    const applied = await applyStack(ctx, STACK_RESOURCES, state);
    const copied: CopiedObject[] = [];
    for (const [index, object] of objects.entries()) {
      ui.working(`copying ${index + 1} of ${objects.length}: s3://${object.bucket}/${object.key}`);
      copied.push(await copyVerified(ctx, object));
    }
    const retired = [];
    if (options.retireOld) {
      for (const step of retirements) {
        ui.working(step.step);
        const done = await retire(ctx, step);
        retired.push({ step: step.step, resource: step.resource, undo: step.undo, applied: done });
      }
    }
    ui.working('auditing both stacks');
    const snapshot = await gatherSnapshot(ctx);
    const newAudit = auditReport({ stack: config.stack, region: config.region, account: ctx.names.account }, CONTROLS, snapshot);
    const oldAudit = handBuiltReport(await discoverHandBuilt(ctx, { functionName: name }));
    ui.idle();
    const result = {
      ...planned,
      setup: applied,
      copy: { ...planned.copy, items: copied, verified: copied.length },
      retire: options.retireOld ? retired : planned.retire,
      audits: { new: newAudit.summary, old: oldAudit.summary },
    };
    if (ui.options.json) ui.json(result);
    else {
      ui.out(`Stack ${config.stack}: ${applied.changes.filter((ch) => ch.action !== 'noop').length} resources made or changed.`);
      ui.out(`Data: ${copied.length} object${copied.length === 1 ? '' : 's'} copied and verified by SHA-256 (${copied.filter((x) => x.skipped).length} already there), ${human(copied.reduce((s, x) => s + x.bytes, 0))}; the old ones are untouched.`);
      const done = retired.filter((r) => r.applied).length;
      ui.out(options.retireOld ? `Old stack: ${done} part${done === 1 ? '' : 's'} retired, ${retired.length - done} already retired (each undo is above).` : 'Old stack: unchanged (--retire-old retires what the plan lists).');
      ui.out(`Audit of stack ${config.stack}: ${summaryLine(newAudit.summary)} (bridge audit --stack ${config.stack})`);
      ui.out(`Audit of ${old.function.name}: ${summaryLine(oldAudit.summary)} (bridge audit --from-function ${old.function.name})`);
    }
    if (held.lock?.lost) throw new BridgeError('another run took the stack over while adopt ran: run bridge setup to converge it');
    return ExitCode.ok;
  });
}
