/** The commander program: global options, subcommands, and the exit-code contract. */
import { Command, CommanderError, Option } from 'commander';
import { BridgeError, ExitCode, UsageError, awsFailureText } from './errors.js';
import { Ui, type Io } from './output.js';
import { exitOnInterrupt, startRun } from './interrupt.js';
import { VERSION } from './version.js';
import { SETTINGS } from './settings.js';
import { helpFooter } from './help.js';
// Each command's module (and the AWS SDK clients it needs) loads when that command runs, so
// --help, --version and a usage error start in a blink.
import type { AuditOptions } from './commands/audit-options.js';
import type { AdoptOptions, GlobalOptions, InvokeOptions, LogsOptions, SetupOptions, TeardownCliOptions } from './commands/options.js';

/**
 * The process's own streams. A reader that goes away (`bridge audit | head -1`) ends the output
 * quietly, never the run: a setup halfway through goes on to converge. Ctrl-C says what was applied.
 */
const processIo = (): Io => {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  exitOnInterrupt((line) => process.stderr.write(line));
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
};

// Every option is checked and the config made (commands/options.ts, light) before the command's
// module and the AWS SDK load: a usage error answers as fast as --help.
const options_ = () => import('./commands/options.js');
const globalsOf = (command: Command) => command.optsWithGlobals() as GlobalOptions;
/** A repeatable option's values, in order. */
const collect = (value: string, previous: string[]) => [...previous, value];
const noteTo = (ui: Ui) => (message: string) => ui.err(`${ui.chalk.yellow('note:')} ${message}`);

/**
 * How a command runs: `check` (light: its options and config, before the SDK loads), then the
 * spinner's module, then `act` with what `check` made.
 */
type Run = <P>(command: Command, check: (ui: Ui) => Promise<P>, act: (ui: Ui, prepared: P) => Promise<number>) => Promise<void>;

function buildProgram(io: Io, run: Run): Command {
  const program = new Command('bridge')
    .description('Stand up, audit and tear down a secure data bridge on AWS: Lambda -> S3, KMS-encrypted, least privilege.')
    .version(VERSION)
    .hook('preAction', (_program, action) => startRun(action.name()));
  // The stack's settings (src/settings.ts, one table): the global ones here, setup's on setup.
  const settingsOf = (command: Command, scope: 'global' | 'setup') => {
    for (const setting of SETTINGS.filter((s) => s.scope === scope)) {
      command.option(setting.flag, setting.help);
      for (const alias of setting.aliases ?? []) command.addOption(new Option(alias).hideHelp());
    }
    return command;
  };
  settingsOf(program, 'global')
    .option('--config <path>', 'config file (default: ./bridge.config.json when present)')
    .option('--env <name>', 'which of the config file\'s "environments" to use over its settings (default: BRIDGE_ENV)')
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('--no-color', 'no colours (NO_COLOR is honoured too)')
    .option('--verbose', 'show every AWS call and full errors')
    .option('--quiet', 'no progress lines: results and errors only')
    .showHelpAfterError('(run with --help for usage)')
    // Each command's help lists the global options too (--stack, --region, ... apply to all).
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  settingsOf(
    program
      .command('setup')
      .description('create or converge every resource of the stack, idempotently')
      .option('--dry-run', 'print the plan and change nothing (unchanged resources with --verbose)')
      .option('--detailed-exitcode', 'with --dry-run: exit 0 when nothing would change, 2 when changes are pending, 1 on error (for drift checks in CI)'),
    'setup',
  )
    .addOption(new Option('--source-key-env <name>', 'read the source API key from this environment variable').conflicts(['sourceKeyStdin', 'apiKeyStdin']))
    .option('--source-key-stdin', 'read the source API key from standard input')
    // Their first names, still accepted: the source's key, not the API Gateway key of --api-auth api-key.
    .addOption(new Option('--api-key-env <name>').hideHelp().conflicts(['sourceKeyStdin', 'apiKeyStdin', 'sourceKeyEnv']))
    .addOption(new Option('--api-key-stdin').hideHelp().conflicts(['sourceKeyStdin']))
    .option('--keep-source-key', 'with a --source-url on another host: send the stored source key there too (otherwise give the new key)')
    .option('--lock-timeout <duration>', 'wait this long (30s, 5m) for another run changing the stack to finish (default 0: fail at once)')
    .action(async (options: SetupOptions, command: Command) => {
      await run(
        command,
        async (ui) => (await options_()).prepareSetup(globalsOf(command), options, io, noteTo(ui)),
        async (ui, prepared) => (await import('./commands/setup.js')).runSetup(prepared, options, io, ui),
      );
    });

  program
    .command('audit')
    .description('check every control of the stack: least privilege, encryption, drift, the AWS controls')
    .option('--format <formats>', 'table (default), json, sarif, markdown or html; several separated by commas (with --output-dir or --output-file)')
    .option('--output-file <[format=]path>', 'write the report (or one format of several: sarif=audit.sarif) to this file; repeatable', collect, [])
    .option('--output-dir <dir>', 'write each format to DIR/bridge-audit.{txt,json,sarif,md}')
    .addOption(new Option('--output <format>', "the AWS CLI's --output: json or table, as --format").hideHelp())
    .option('--sarif-location <path>', 'the repository file SARIF results point at (default: the config file)')
    .option('--controls <ids>', 'judge only these controls (ids separated by commas)')
    .option('--exclude-controls <ids>', 'judge every control but these')
    .option('--severity <severities>', 'judge only controls of these severities: critical, high, medium, low, info')
    .option('--mutelist <file>', 'accepted findings: {"mutes": [{control, resource, reason, expires}]}; they show as MUTED until they expire')
    .option('--fail-on <severity>', 'exit 3 when a control at or above this fails: critical, high, medium, low (default)')
    .option('--fix', "re-apply the intended state for what failed (setup's code): shows the plan, asks, applies, audits again")
    .option('--dry-run', 'with --fix: show the plan and change nothing')
    .option('--yes', 'with --fix: apply without asking (needed without a terminal)')
    .option('--lock-timeout <duration>', 'wait this long (30s, 5m) for another run changing the stack to finish (default 0: fail at once)')
    .option('--explain <request...>', 'PRINCIPAL ACTION RESOURCE: how the live policies decide one request (e.g. execution-role s3:GetObject ARN)')
    .option('--aws-checks', "also ask AWS's own engines: IAM's policy simulator and IAM Access Analyzer (some of its checks are billed per call)")
    .option('--failures-only', 'table, markdown and html: list only failing and errored controls (the summary still counts all)')
    .option('--from-function <name>', 'audit a data bridge built by hand (the console tutorial\'s, say), found from its function; reads only')
    .option('--operators-group <name>', "with --from-function: the people's IAM group, judged too")
    .option('--operators-user <name>', "with --from-function: the people's IAM user, judged too")
    .action(async (options: AuditOptions, command: Command) => {
      await run(
        command,
        async (ui) => (await import('./commands/audit-options.js')).prepareAudit(globalsOf(command), options, io.stdin.isTTY === true, io.env, noteTo(ui)),
        async (ui, prepared) => (await import('./commands/audit.js')).runAudit(prepared, options, ui),
      );
    });

  program
    .command('teardown')
    .description('remove exactly what the stack owns; data is kept unless --delete-data')
    .option('--dry-run', 'list what would be removed and retained, and change nothing')
    .option('--delete-data', 'also delete every object version, the log groups, and schedule the key for deletion')
    .option('--key-deletion-days <days>', 'with --delete-data: days KMS waits before deleting the key, 7-30 (default 30)')
    .option('--yes', 'do not ask to type the stack name (required without a terminal)')
    .option('--lock-timeout <duration>', 'wait this long (30s, 5m) for another run changing the stack to finish (default 0: fail at once)')
    .action(async (options: TeardownCliOptions, command: Command) => {
      await run(
        command,
        async (ui) => (await options_()).prepareTeardown(globalsOf(command), options, io.stdin.isTTY === true, io.env, noteTo(ui)),
        async (ui, prepared) => (await import('./commands/teardown.js')).runTeardown(prepared, options, io, ui),
      );
    });

  program
    .command('invoke')
    .description("run the function and show its result (on Lambda, or --local on this machine)")
    .option('--payload <json>', "the event: JSON, or @file (default '{}')")
    .option('--tail', "show the invocation's log tail, with the REPORT line read")
    .option('--follow', "keep following the function's log group until Ctrl-C")
    .option('--local', 'run the handler here, in a child process, with the deployed configuration (no Docker)')
    .option('--via-api', 'call GET /data on the deployed API as a client would (SigV4, or --api-key-file)')
    .option('--api-key-file <path>', "with --via-api: send the API's key from this file (api-key mode)")
    .action(async (options: InvokeOptions, command: Command) => {
      await run(
        command,
        async (ui) => (await options_()).prepareInvoke(globalsOf(command), options, io.env, noteTo(ui)),
        async (ui, prepared) => (await import('./commands/invoke.js')).runInvoke(prepared, options, ui),
      );
    });

  settingsOf(
    program
      .command('adopt')
      .description('plan and make the move from a data bridge built by hand to a bridge stack beside it (old data is never deleted)')
      .requiredOption('--from-function <name>', 'the hand-built stack\'s function: bridge finds the rest from it')
      .option('--dry-run', 'print the plan (the new stack, the data to copy, what would be retired) and change nothing')
      .option('--yes', 'do not ask (required without a terminal)')
      .option('--retire-old', "also retire the old stack's open method, plaintext key and broad policies (each reversible; never its data)")
      .option('--source-url-var <name>', "the old function's variable holding the source URL (default: the one that holds a URL)")
      .option('--source-key-var <name>', "the old function's variable holding the source API key (default: the one that looks like a key)"),
    'setup',
  )
    .option('--lock-timeout <duration>', 'wait this long (30s, 5m) for another run changing the stack to finish (default 0: fail at once)')
    .action(async (options: AdoptOptions, command: Command) => {
      await run(
        command,
        async (ui) => (await options_()).prepareAdopt(globalsOf(command), options, io.stdin.isTTY === true, io, noteTo(ui)),
        async (ui, prepared) => (await import('./commands/adopt.js')).runAdopt(prepared, options, io, ui),
      );
    });

  program
    .command('status')
    .alias('outputs')
    .description("the stack at a glance, read-only: resources and ARNs, invoke URL, newest data, last error, drift")
    .action(async (_options: object, command: Command) => {
      await run(
        command,
        async (ui) => ({ config: await (await options_()).configFrom(globalsOf(command), {}, io.env, noteTo(ui)) }),
        async (ui, prepared) => (await import('./commands/status.js')).runStatus(prepared, ui),
      );
    });

  program
    .command('logs')
    .description("the function's logs (and with --api the API's access logs), without invoking; --follow keeps printing new ones")
    .option('--since <when>', 'from this long ago (30s, 10m, 2h, 1d) or this time (ISO 8601); default 10m')
    .option('--filter <pattern>', 'only events matching this CloudWatch Logs filter pattern (a word, "a phrase", { $.level = "error" })')
    .option('--follow', 'keep printing new events until Ctrl-C')
    .option('--api', "also the API's access log group")
    .action(async (options: LogsOptions, command: Command) => {
      await run(
        command,
        async (ui) => (await options_()).prepareLogs(globalsOf(command), options, io.env, noteTo(ui)),
        async (ui, prepared) => (await import('./commands/logs.js')).runLogs(prepared, ui),
      );
    });

  program
    .command('local')
    .description('run the local AWS (moto on 127.0.0.1) in the foreground until Ctrl-C')
    .option('--port <port>', 'port to listen on (default: a free one)')
    .option('--sample-source', "also run a look-alike of OpenWeatherMap on 127.0.0.1, so that the printed steps run the function too")
    .action(async (options: { port?: string; sampleSource?: boolean }, command: Command) => {
      await run(command, async () => undefined, async (ui) => (await import('./commands/local.js')).runLocal(options, ui));
    });

  program
    .command('demo')
    .description('the whole product on a local AWS, as a short guided tour; no AWS account needed')
    .option('--keep', 'leave the stack and the local AWS running, and say how to continue by hand')
    .action(async (options: { keep?: boolean }, command: Command) => {
      await run(command, async () => undefined, async (ui) => (await import('./commands/demo.js')).runDemo(options, io, ui, main));
    });
  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .argument('<shell>', 'bash, zsh or fish')
    .action(async (shell: string) => {
      const { SHELLS, completionScript } = await import('./completion.js');
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`invalid shell '${shell}': give bash, zsh or fish`);
      const { FORMATS } = await import('./commands/audit-options.js');
      const longs = (command: Command) => command.options.filter((o) => !(o as Option & { hidden?: boolean }).hidden && o.long).map((o) => o.long as string);
      const severities = ['critical', 'high', 'medium', 'low', 'info'];
      const spec = {
        // Each alias (status's outputs) completes as its command.
        commands: program.commands.flatMap((c) => [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description(), options: longs(c), ...(c.name() === 'completion' ? { arguments: [...SHELLS] } : {}) }))),
        globalOptions: longs(program),
        values: { '--format': [...FORMATS], '--fail-on': severities, '--severity': severities, '--api-auth': ['aws-iam', 'api-key'] },
        files: ['--config', '--api-key-file', '--operator-access-key-file', '--output-file', '--output-dir', '--mutelist', '--sarif-location'],
      };
      io.stdout.write(completionScript(shell as (typeof SHELLS)[number], spec));
    });

  for (const command of program.commands) command.addHelpText('after', helpFooter(command.name()));
  return program;
}


/** Runs the CLI; returns the exit code instead of exiting, so tests can drive it in-process. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let exitCode: number = ExitCode.ok;
  let verbose = argv.includes('--verbose');
  // The command's Ui, once made, also reports its errors: it knows which secrets to redact.
  let ui = new Ui(io, { json: false, color: !argv.includes('--no-color'), verbose });
  const uiFor = (command: Command): Ui => {
    const globals = globalsOf(command);
    ui = new Ui(io, { json: globals.json === true, color: globals.color !== false, verbose: globals.verbose === true, quiet: globals.quiet === true });
    return ui;
  };
  const program = buildProgram(io, async (command, check, act) => {
    const commandUi = uiFor(command);
    const prepared = await check(commandUi);
    // The spinner (ora) loads only once the options are checked: a usage error does not wait for it.
    await commandUi.prepare();
    exitCode = await act(commandUi, prepared);
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0; commander has said what was wrong.
      if (error.exitCode === 0) return ExitCode.ok;
      if (argv.includes('--json')) ui.jsonLine({ error: { code: 'usage', message: error.message.replace(/^error: /, ''), exitCode: ExitCode.usage } });
      return ExitCode.usage;
    }
    verbose = verbose || program.opts().verbose === true;
    return reportError(error, ui, verbose, ui.options.json || argv.includes('--json'));
  }
  return exitCode;
}

/** A failure's stable name for scripts: bridge's kinds, or AWS's own error code. */
export function errorCode(error: unknown): string {
  if (error instanceof BridgeError) {
    if (error.exitCode === ExitCode.interrupted) return 'interrupted';
    return { UsageError: 'usage', NotOursError: 'not-ours', AdoptableError: 'adoptable' }[error.name] ?? (error.exitCode === ExitCode.usage ? 'usage' : 'failed');
  }
  const name = (error as Error | undefined)?.name;
  return name && name !== 'Error' ? name : 'failed';
}

/** The line on stderr; with --json, also `{"error": {code, message, exitCode}}` on stdout, where a script reads. */
function reportError(error: unknown, ui: Ui, verbose: boolean, json: boolean): number {
  const exitCode = error instanceof BridgeError ? error.exitCode : ExitCode.failure;
  // One formatter for every failure that is not bridge's own: AWS's code, the call, the attempts.
  const message = error instanceof BridgeError ? error.message : awsFailureText(error);
  // One line: a document for --json, and a line of JSON Lines for logs --json.
  if (json) ui.jsonLine({ error: { code: errorCode(error), message, exitCode } });
  ui.err(`${ui.chalk.red('error:')} ${message}`);
  const e = error as Error | undefined;
  if (verbose && e?.stack) ui.err(e.stack);
  else if (!(error instanceof BridgeError)) ui.err('(run again with --verbose for details)');
  return exitCode;
}
