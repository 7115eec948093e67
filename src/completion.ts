/**
 * `bridge completion bash|zsh|fish`: a completion script made from the program itself (its
 * commands, their options and the global ones, and the values a few options take), so it never
 * falls behind. Pure: the caller passes what commander knows.
 */

export interface CompletionCommand {
  name: string;
  description: string;
  /** Long flags, e.g. --dry-run. */
  options: string[];
  /** Words its argument takes (completion's shells). */
  arguments?: string[];
}

export interface CompletionSpec {
  commands: CompletionCommand[];
  globalOptions: string[];
  /** Options whose value is one of a few words: --format table json ... */
  values: Record<string, string[]>;
  /** Options whose value is a path: the shell completes file names there. */
  files: string[];
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const words = (list: readonly string[]) => list.join(' ');
/** Single-quoted for a shell: no word of bridge's has a quote, but the descriptions might. */
const quoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name);
  const cases = spec.commands.map((c) => `    ${c.name}) opts=${quoted(words([...(c.arguments ?? []), ...c.options, ...spec.globalOptions]))} ;;`);
  const valueCases = Object.entries(spec.values).map(([option, values]) => `    ${option}) COMPREPLY=($(compgen -W ${quoted(words(values))} -- "$cur")); return ;;`);
  return `# bridge completion for bash: add  eval "$(bridge completion bash)"  to ~/.bashrc
_bridge() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" word opts
  case "$prev" in
${valueCases.join('\n')}
    ${spec.files.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  # The command is the first word that names one (an option's value never does).
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case " ${words(names)} " in *" $word "*) command="$word"; break ;; esac
  done
  case "$command" in
    "") opts=${quoted(words([...names, ...spec.globalOptions]))} ;;
${cases.join('\n')}
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _bridge bridge
`;
}

function zsh(spec: CompletionSpec): string {
  const names = spec.commands.map((c) => c.name);
  const described = spec.commands.map((c) => `    ${quoted(`${c.name}:${c.description.replace(/:/g, '\\:')}`)}`);
  const cases = spec.commands.map((c) => `    ${c.name}) opts=(${words([...(c.arguments ?? []), ...c.options, ...spec.globalOptions])}) ;;`);
  const valueCases = Object.entries(spec.values).map(([option, values]) => `    ${option}) compadd -- ${words(values)}; return ;;`);
  return `#compdef bridge
# bridge completion for zsh: add  eval "$(bridge completion zsh)"  to ~/.zshrc (after compinit)
_bridge() {
  local -a commands opts
  local command="" word
  commands=(
${described.join('\n')}
  )
  case "\${words[CURRENT-1]}" in
${valueCases.join('\n')}
    ${spec.files.join('|')}) _files; return ;;
  esac
  for word in "\${(@)words[2,CURRENT-1]}"; do
    if [[ " ${words(names)} " == *" $word "* ]]; then command="$word"; break; fi
  done
  case "$command" in
    "")
      if [[ "\${words[CURRENT]}" == -* ]]; then compadd -- ${words(spec.globalOptions)}; else _describe 'command' commands; fi
      return ;;
${cases.join('\n')}
  esac
  compadd -- "\${opts[@]}"
}
compdef _bridge bridge
`;
}

function fish(spec: CompletionSpec): string {
  const names = words(spec.commands.map((c) => c.name));
  const lines = [
    '# bridge completion for fish: bridge completion fish > ~/.config/fish/completions/bridge.fish',
    'complete -c bridge -f',
    ...spec.commands.map((c) => `complete -c bridge -n 'not __fish_seen_subcommand_from ${names}' -a ${c.name} -d ${quoted(c.description)}`),
    ...spec.globalOptions.map((o) => `complete -c bridge -l ${o.slice(2)}${spec.files.includes(o) ? ' -r -F' : ''}`),
    ...spec.commands.filter((c) => c.arguments).map((c) => `complete -c bridge -n '__fish_seen_subcommand_from ${c.name}' -a ${quoted(words(c.arguments as string[]))}`),
    ...spec.commands.flatMap((c) =>
      c.options.map((o) => `complete -c bridge -n '__fish_seen_subcommand_from ${c.name}' -l ${o.slice(2)}${spec.values[o] ? ` -x -a ${quoted(words(spec.values[o] as string[]))}` : spec.files.includes(o) ? ' -r -F' : ''}`),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  return shell === 'bash' ? bash(spec) : shell === 'zsh' ? zsh(spec) : fish(spec);
}
