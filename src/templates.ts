/**
 * The intended policy documents live in templates/*.json with ${Placeholder} strings, so a reviewer
 * reads exactly what access the stack grants. Rendering walks the parsed JSON (values can never
 * break the document's structure). A placeholder given as null drops every statement that uses it:
 * that is how a statement waits for a resource that does not exist yet (the API's invoke ARN).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packagePath } from './paths.js';
import type { PolicyDocument, PolicyStatement } from './policy.js';

export type TemplateName =
  | 'kms-key-policy'
  | 'bucket-policy'
  | 'execution-role-trust'
  | 'execution-role-policy'
  | 'scheduler-role-trust'
  | 'scheduler-role-policy'
  | 'operators-policy'
  | 'apigateway-logs-trust'
  | 'apigateway-logs-policy'
  | 'deployer-policy';

export const TEMPLATES_DIR = packagePath('templates');

export function templatePath(name: TemplateName): string {
  return join(TEMPLATES_DIR, `${name}.json`);
}

const PLACEHOLDER = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;

export type TemplateValues = Record<string, string | null>;

class MissingValue extends Error {}

function substitute(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (_, key: string) => {
    if (!(key in values)) throw new Error(`template placeholder \${${key}} has no value`);
    const value = values[key];
    if (value === null || value === undefined) throw new MissingValue(key);
    return value;
  });
}

function renderValue(value: unknown, values: TemplateValues): unknown {
  if (typeof value === 'string') return substitute(value, values);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [substitute(k, values), renderValue(v, values)]));
  }
  return value;
}

export function renderPolicy(template: PolicyDocument, values: TemplateValues): PolicyDocument {
  const statements: PolicyStatement[] = [];
  for (const statement of template.Statement) {
    try {
      statements.push(renderValue(statement, values) as PolicyStatement);
    } catch (error) {
      if (!(error instanceof MissingValue)) throw error;
    }
  }
  return { ...template, Statement: statements };
}

const cache = new Map<TemplateName, PolicyDocument>();

export function loadTemplate(name: TemplateName): PolicyDocument {
  let template = cache.get(name);
  if (!template) {
    template = JSON.parse(readFileSync(templatePath(name), 'utf8')) as PolicyDocument;
    cache.set(name, template);
  }
  return template;
}

export function renderTemplate(name: TemplateName, values: TemplateValues): PolicyDocument {
  return renderPolicy(loadTemplate(name), values);
}
