/** `npm run test:cluster`: ptq on a Temporal cluster over PostgreSQL (see test/cluster/cluster.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(ts|js)$': ['@swc/jest', { module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!@marcbachmann/cel-js/)'],
  testTimeout: 600_000,
  maxWorkers: 1,
};
