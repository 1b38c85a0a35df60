import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { pool: 'forks', testTimeout: 120_000, include: ['test/**/*.test.js'] } });
