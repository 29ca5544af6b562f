// ${env:NAME} and ${env:NAME:-default} substitution, done on the text before YAML parsing so
// that references work anywhere, even inside flow sequences (`[${env:BROKERS}]`). `$${` is a
// literal `${`. Substituted values never span lines, so line numbers stay true.

export interface EnvIssue {
  line: number;
  column: number;
  message: string;
}

const REF = /\$(\$?)\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function substituteEnv(
  text: string,
  env: Record<string, string | undefined> = process.env,
): { text: string; issues: EnvIssue[] } {
  const issues: EnvIssue[] = [];
  const out = text.replace(REF, (whole: string, escape: string, name: string, def: string | undefined, offset: number) => {
    if (escape) return whole.slice(1);
    const value = env[name];
    if (value !== undefined && value !== '') return oneLine(value);
    if (def !== undefined) return def;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    issues.push({ line, column, message: `environment variable ${name} is not set and has no default (write \${env:${name}:-default})` });
    return '';
  });
  return { text: out, issues };
}

function oneLine(v: string): string {
  return v.includes('\n') ? v.replace(/\r?\n/g, ' ') : v;
}
