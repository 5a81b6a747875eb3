/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/bench/'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript' },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  // One embedded Postgres for the whole run; every test file clones its own database from a
  // migrated template (see test/helpers/db.ts).
  globalSetup: './test/setup/globalSetup.ts',
  // Slack's limits on every payload the Slack test doubles receive (test/helpers/slackLimits.ts).
  setupFilesAfterEnv: ['./test/setup/slackLimits.ts'],
  globalTeardown: './test/setup/globalTeardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
