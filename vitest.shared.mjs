// Shared vitest settings for every package: tests run in forked processes (the wasm backend
// and tfjs's global kernel registry are per process) and may train tiny models, so the
// timeout is generous; long training lives in benchmarks and examples, not here.
export const shared = {
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
  },
};
