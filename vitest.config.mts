import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const __dirname = dirname(fileURLToPath(import.meta.url));

// One source of truth for the @casestats/* aliases: tsconfig.base.json.
const { compilerOptions } = JSON.parse(readFileSync(resolve(__dirname, 'tsconfig.base.json'), 'utf8'));
// Exact matches: an alias must not also capture a longer path that starts with it ("@casestats/x/y").
const alias = Object.entries(compilerOptions.paths as Record<string, string[]>).map(([name, [target]]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
  replacement: resolve(__dirname, target),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['{apps,libs,test}/**/*.spec.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
