import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/jest.config.js', 'jest.config.js', 'jest.preset.js', 'tmp/**', 'data/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@nx/enforce-module-boundaries': ['error', {
        enforceBuildableLibDependency: true,
        banTransitiveDependencies: true,
        depConstraints: [
          // Apps are thin bootstraps: they use libs, never other apps.
          { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:runtime', 'type:api', 'type:agent', 'type:drivers', 'type:util', 'type:data-access', 'type:contracts', 'type:testing'] },
          // The runtime composes services into processes: the operator command and the all-in-one.
          { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:api', 'type:agent', 'type:util', 'type:data-access'] },
          { sourceTag: 'type:api', onlyDependOnLibsWithTags: ['type:data-access', 'type:drivers', 'type:contracts', 'type:util', 'type:testing'] },
          // Drivers touch the host; they know no database and no API.
          { sourceTag: 'type:drivers', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:testing'] },
          { sourceTag: 'type:agent', onlyDependOnLibsWithTags: ['type:drivers', 'type:contracts', 'type:util', 'type:testing'] },
          { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:contracts', 'type:util', 'type:testing'] },
          // A contract may name another service's wire shapes (compute's carry block storage's connection info).
          { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
          { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:testing'] },
          { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:util', 'type:data-access'] },
          // Agents hold no database credentials: no data-access code may reach them.
          { sourceTag: 'runtime:agent', notDependOnLibsWithTags: ['type:data-access', 'type:api'] },
          { sourceTag: 'scope:overcast', onlyDependOnLibsWithTags: ['scope:overcast', 'scope:shared', 'scope:identity', 'scope:compute', 'scope:image', 'scope:network', 'scope:block-storage'] },
          // A service talks to another through its REST API or its bus contracts, never its code.
          { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
          { sourceTag: 'scope:identity', onlyDependOnLibsWithTags: ['scope:identity', 'scope:shared', 'type:contracts', 'type:runtime'] },
          { sourceTag: 'scope:compute', onlyDependOnLibsWithTags: ['scope:compute', 'scope:shared', 'type:contracts', 'type:runtime'] },
          { sourceTag: 'scope:image', onlyDependOnLibsWithTags: ['scope:image', 'scope:shared', 'type:contracts', 'type:runtime'] },
          { sourceTag: 'scope:network', onlyDependOnLibsWithTags: ['scope:network', 'scope:shared', 'type:contracts', 'type:runtime'] },
          { sourceTag: 'scope:block-storage', onlyDependOnLibsWithTags: ['scope:block-storage', 'scope:shared', 'type:contracts', 'type:runtime'] },
        ],
      }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
    },
  },
];
