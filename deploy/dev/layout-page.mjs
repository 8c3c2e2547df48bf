#!/usr/bin/env node
// Writes docs/layout.md from Nx's project graph: every app and library, what it is (its
// project.json `metadata.description`), its tags and what it depends on. With --check, writes
// nothing and fails when the page is not what the workspace now makes (the test suite runs that).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const page = join(workspace, 'docs', 'layout.md');

/** The project graph as Nx computes it from the sources' imports (`nx graph --file`). */
function projectGraph() {
  const directory = mkdtempSync(join(tmpdir(), 'overcast-layout-'));
  try {
    const file = join(directory, 'graph.json');
    execFileSync(join(workspace, 'node_modules', '.bin', 'nx'), ['graph', `--file=${file}`], {
      cwd: workspace,
      // Its own project-graph cache: the test suite runs this beside `nx run-many`, which holds the workspace's.
      env: { ...process.env, NX_DAEMON: 'false', NX_WORKSPACE_DATA_DIRECTORY: join(directory, 'nx') },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    return JSON.parse(readFileSync(file, 'utf8')).graph;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const tag = (project, kind) => (project.data.tags ?? []).find((each) => each.startsWith(`${kind}:`))?.slice(kind.length + 1) ?? '';

/** Scopes in the order a reader meets them: the command, the services, then what they share. */
const SCOPES = ['overcast', 'identity', 'image', 'network', 'block-storage', 'compute', 'shared'];

function render(graph) {
  const projects = Object.values(graph.nodes);
  const dependsOn = (name) =>
    (graph.dependencies[name] ?? [])
      .map((edge) => edge.target)
      .filter((target) => graph.nodes[target] !== undefined)
      .sort();
  const lines = [
    '# Workspace layout',
    '',
    'Generated from Nx\'s project graph (the imports of the sources and their tests) by',
    '`node deploy/dev/layout-page.mjs`; the test suite fails when this page is stale. Why it is laid',
    'out so: [architecture.md](architecture.md).',
    'Apps are thin process entries; the code lives in libraries, tagged by kind (`type:`) and service',
    '(`scope:`), and eslint\'s module boundaries keep the kinds apart (a service reaches another only',
    'through its REST API or bus contracts; agents never reach data access).',
  ];
  for (const scope of SCOPES) {
    const inScope = projects.filter((project) => tag(project, 'scope') === scope).sort((a, b) => a.name.localeCompare(b.name));
    if (inScope.length === 0) {
      continue;
    }
    lines.push('', `## ${scope}`, '', '| project | kind | where | what it is | depends on |', '|---|---|---|---|---|');
    for (const project of inScope) {
      const kind = [tag(project, 'type'), tag(project, 'runtime') && `runtime:${tag(project, 'runtime')}`].filter(Boolean).join(', ');
      const description = project.data.metadata?.description ?? '';
      const dependencies = dependsOn(project.name).map((name) => `\`${name}\``).join(', ') || '—';
      lines.push(`| \`${project.name}\` | ${kind} | \`${project.data.root}\` | ${description.replace(/\|/g, '\\|')} | ${dependencies} |`);
    }
  }
  const unscoped = projects.filter((project) => !SCOPES.includes(tag(project, 'scope'))).map((project) => project.name);
  if (unscoped.length > 0) {
    throw new Error(`projects without a known scope tag: ${unscoped.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

const text = render(projectGraph());
if (process.argv.includes('--check')) {
  const current = readFileSync(page, 'utf8');
  if (current !== text) {
    console.error('docs/layout.md is stale: run node deploy/dev/layout-page.mjs');
    process.exit(1);
  }
} else {
  writeFileSync(page, text);
}
