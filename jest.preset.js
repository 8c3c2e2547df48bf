// Shared jest settings: SWC transpiles TypeScript with decorator metadata (NestJS DI needs it);
// tsconfig paths are resolved by Nx's resolver, so tests import libs by their aliases.
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  resolver: '@nx/jest/plugins/resolver',
  testMatch: ['**/?(*.)+(spec|int-spec|e2e-spec).ts'],
  testTimeout: 30000,
};
