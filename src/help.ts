/**
 * What each command's --help says after its options, as the AWS CLI's and Terraform's help do:
 * examples, the exit codes, and the environment variables bridge reads. Pure.
 */
import { SETTINGS } from './settings.js';

const EXAMPLES: Record<string, string[]> = {
  setup: [
    'bridge setup --dry-run --source-url "https://api.openweathermap.org/data/2.5/weather?q=London" --source-key-env OWM_API_KEY',
    'bridge setup --source-url "https://api.openweathermap.org/data/2.5/weather?q=London" --source-key-env OWM_API_KEY --configure-account-logging',
    'bridge setup --dry-run --detailed-exitcode        # in CI: exit 2 when the stack has drifted',
  ],
  audit: [
    'bridge audit',
    'bridge audit --format table,sarif,markdown,html --output-dir reports --fail-on high',
    'bridge audit --fix --dry-run',
  ],
  adopt: [
    'bridge adopt --from-function my-weather-fetch --stack weather --dry-run',
    'bridge adopt --from-function my-weather-fetch --stack weather',
    'bridge adopt --from-function my-weather-fetch --stack weather --retire-old --yes',
  ],
  teardown: ['bridge teardown --dry-run --delete-data', 'bridge teardown            # asks you to type the stack name', 'bridge teardown --delete-data --yes'],
  invoke: ['bridge invoke --tail', 'bridge invoke --local --tail --payload @event.json', 'bridge invoke --via-api'],
  status: ['bridge status', 'bridge status --json | jq .drift'],
  logs: ['bridge logs --since 1h', 'bridge logs --filter \'{ $.level = "error" }\' --since 1d', 'bridge logs --follow --api'],
  local: ['bridge local --sample-source'],
  demo: ['bridge demo', 'bridge demo --keep'],
  completion: ['eval "$(bridge completion bash)"     # in ~/.bashrc', 'eval "$(bridge completion zsh)"      # in ~/.zshrc, after compinit', 'bridge completion fish > ~/.config/fish/completions/bridge.fish'],
};

const EXIT_CODES: Record<string, string> = {
  setup: '0 done (or, with --dry-run, planned); 1 failed while running (a re-run converges); 2 bad input, a name taken, or with --dry-run --detailed-exitcode changes pending; 130 interrupted',
  audit: '0 every control passed; 1 a control could not be judged (ERROR); 2 bad input; 3 a control failed at or above --fail-on; 130 interrupted',
  teardown: '0 done; 1 failed while running (a re-run finishes); 2 bad input, or the confirmation refused; 130 interrupted',
  adopt: '0 planned (--dry-run) or done, both stacks audited; 1 failed while running (a re-run converges: copies are checked, not repeated); 2 bad input, or the confirmation refused; 130 interrupted',
  status: '0 shown; 1 the stack is not in this region, or a read failed; 2 bad input',
};
const DEFAULT_EXIT_CODES = '0 done; 1 failed while running; 2 bad input; 130 interrupted';

/** The variables bridge reads: its settings' (src/settings.ts), the SDK's, and the terminal's. */
function environment(command: string): string[] {
  const settings = [...new Set(SETTINGS.flatMap((s) => s.env ?? []))];
  return [
    `${settings.join(', ')}: as the flags (the flags win)`,
    'BRIDGE_ENV: as --env, the config file\'s environment',
    'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: credentials (the AWS SDK\'s chain)',
    'AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE: where the SDK finds profiles',
    'AWS_MAX_ATTEMPTS: attempts per AWS call (default 8)',
    'NO_COLOR, FORCE_COLOR: colour off, or on in a pipe; CI: no spinner',
    ...(command === 'local' || command === 'demo' ? ['BRIDGE_PYTHON: the python3 with moto that runs the local AWS'] : []),
  ];
}

export function helpFooter(command: string): string {
  const examples = EXAMPLES[command] ?? [];
  return [
    '',
    ...(examples.length > 0 ? ['Examples:', ...examples.map((e) => `  ${e}`), ''] : []),
    `Exit codes: ${EXIT_CODES[command] ?? DEFAULT_EXIT_CODES}.`,
    '',
    'Environment:',
    ...environment(command).map((line) => `  ${line}`),
  ].join('\n');
}
