import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PolicyConfigError } from './policy-errors';

/**
 * Reads an oslo.policy file (`name: "rule"` pairs) as JSON when it ends in `.json`, else as YAML.
 * An empty file has no rules, as in oslo.policy.
 */
export function readPolicyFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new PolicyConfigError(`Cannot load policy file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) {
    return {};
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new PolicyConfigError(`Policy file ${path} must map rule names to rule strings`);
  }
  const rules: Record<string, string> = {};
  for (const [name, rule] of Object.entries(parsed)) {
    // oslo.policy still accepts the old list-of-lists form; we take only rule strings.
    if (typeof rule !== 'string') {
      throw new PolicyConfigError(`Policy file ${path}: rule "${name}" must be a string`);
    }
    rules[name] = rule;
  }
  return rules;
}
